using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>How a direct kernel loads the last vector of a B row: whole, or only the columns that exist.</summary>
/// <remarks>A type parameter rather than a flag, so the full-width loop carries no per-step edge test.</remarks>
internal unsafe interface IGemmLastVector
{
    /// <summary>Loads <paramref name="count"/> floats (1..lanes) into a vector.</summary>
    static abstract TVec Load<TV, TVec>(float* source, int count)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged;
}

/// <summary>The last vector is full: a plain load.</summary>
internal readonly unsafe struct GemmFullVector : IGemmLastVector
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TV, TVec>(float* source, int count)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged => TV.Load(source);
}

/// <summary>The last vector is cut by the matrix edge: a masked load that reads nothing past it.</summary>
internal readonly unsafe struct GemmPartialVector : IGemmLastVector
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TV, TVec>(float* source, int count)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged => TV.LoadFirst(source, count);
}

/// <summary>
/// Register-blocked kernels for small products that read A and B in place (no packing): A by two strides,
/// so NN and TN share one kernel, and B by rows, so each k step is one or two vector loads.
/// </summary>
/// <remarks>
/// A's rows are reached through fixed base pointers plus one running offset, so the loop needs one
/// address update per k step whatever A's layout. Sums run over k in order in one lane, like the packed
/// kernels, so the result does not depend on the thread count.
/// </remarks>
internal static unsafe class GemmDirectKernels
{
    /// <summary>C[0..rows, 0..cols) = alpha·A·B + beta·C for up to 6 rows × 2 vectors, reading A and B where they lie.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows6x2<TV, TVec, TLast>(int k, float* a, nint aRow, nint aK, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TLast : IGemmLastVector
    {
        // Rows past the edge re-read row 0 (always present) and are never stored.
        float* a0 = a;
        float* a1 = rows > 1 ? a + (1 * aRow) : a;
        float* a2 = rows > 2 ? a + (2 * aRow) : a;
        float* a3 = rows > 3 ? a + (3 * aRow) : a;
        float* a4 = rows > 4 ? a + (4 * aRow) : a;
        float* a5 = rows > 5 ? a + (5 * aRow) : a;
        TVec c0a = TV.Zero; TVec c0b = TV.Zero;
        TVec c1a = TV.Zero; TVec c1b = TV.Zero;
        TVec c2a = TV.Zero; TVec c2b = TV.Zero;
        TVec c3a = TV.Zero; TVec c3b = TV.Zero;
        TVec c4a = TV.Zero; TVec c4b = TV.Zero;
        TVec c5a = TV.Zero; TVec c5b = TV.Zero;
        int lanes = TV.Lanes;
        int last = cols - (1 * lanes);
        nint at = 0;
        for (int p = 0; p < k; p++)
        {
            TVec b0 = TV.Load(b), b1 = TLast.Load<TV, TVec>(b + lanes, last);
            TVec a0v = TV.Broadcast(a0[at]); c0a = TV.MultiplyAdd(a0v, b0, c0a); c0b = TV.MultiplyAdd(a0v, b1, c0b);
            TVec a1v = TV.Broadcast(a1[at]); c1a = TV.MultiplyAdd(a1v, b0, c1a); c1b = TV.MultiplyAdd(a1v, b1, c1b);
            TVec a2v = TV.Broadcast(a2[at]); c2a = TV.MultiplyAdd(a2v, b0, c2a); c2b = TV.MultiplyAdd(a2v, b1, c2b);
            TVec a3v = TV.Broadcast(a3[at]); c3a = TV.MultiplyAdd(a3v, b0, c3a); c3b = TV.MultiplyAdd(a3v, b1, c3b);
            TVec a4v = TV.Broadcast(a4[at]); c4a = TV.MultiplyAdd(a4v, b0, c4a); c4b = TV.MultiplyAdd(a4v, b1, c4b);
            TVec a5v = TV.Broadcast(a5[at]); c5a = TV.MultiplyAdd(a5v, b0, c5a); c5b = TV.MultiplyAdd(a5v, b1, c5b);
            at += aK;
            b += ldb;
        }

        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta);
        GemmMicroKernels.StoreRow<TV, TVec>(c, c0a, c0b, va, vb, beta, cols);
        if (rows <= 1)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (1 * ldc), c1a, c1b, va, vb, beta, cols);
        if (rows <= 2)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (2 * ldc), c2a, c2b, va, vb, beta, cols);
        if (rows <= 3)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (3 * ldc), c3a, c3b, va, vb, beta, cols);
        if (rows <= 4)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (4 * ldc), c4a, c4b, va, vb, beta, cols);
        if (rows <= 5)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (5 * ldc), c5a, c5b, va, vb, beta, cols);
    }

    /// <summary>C[0..rows, 0..cols) = alpha·A·B + beta·C for up to 8 rows × 1 vector, reading A and B where they lie.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows8x1<TV, TVec, TLast>(int k, float* a, nint aRow, nint aK, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TLast : IGemmLastVector
    {
        // Rows past the edge re-read row 0 (always present) and are never stored.
        float* a0 = a;
        float* a1 = rows > 1 ? a + (1 * aRow) : a;
        float* a2 = rows > 2 ? a + (2 * aRow) : a;
        float* a3 = rows > 3 ? a + (3 * aRow) : a;
        float* a4 = rows > 4 ? a + (4 * aRow) : a;
        float* a5 = rows > 5 ? a + (5 * aRow) : a;
        float* a6 = rows > 6 ? a + (6 * aRow) : a;
        float* a7 = rows > 7 ? a + (7 * aRow) : a;
        TVec c0a = TV.Zero;
        TVec c1a = TV.Zero;
        TVec c2a = TV.Zero;
        TVec c3a = TV.Zero;
        TVec c4a = TV.Zero;
        TVec c5a = TV.Zero;
        TVec c6a = TV.Zero;
        TVec c7a = TV.Zero;
        int lanes = TV.Lanes;
        int last = cols;
        nint at = 0;
        for (int p = 0; p < k; p++)
        {
            TVec b0 = TLast.Load<TV, TVec>(b, last);
            TVec a0v = TV.Broadcast(a0[at]); c0a = TV.MultiplyAdd(a0v, b0, c0a);
            TVec a1v = TV.Broadcast(a1[at]); c1a = TV.MultiplyAdd(a1v, b0, c1a);
            TVec a2v = TV.Broadcast(a2[at]); c2a = TV.MultiplyAdd(a2v, b0, c2a);
            TVec a3v = TV.Broadcast(a3[at]); c3a = TV.MultiplyAdd(a3v, b0, c3a);
            TVec a4v = TV.Broadcast(a4[at]); c4a = TV.MultiplyAdd(a4v, b0, c4a);
            TVec a5v = TV.Broadcast(a5[at]); c5a = TV.MultiplyAdd(a5v, b0, c5a);
            TVec a6v = TV.Broadcast(a6[at]); c6a = TV.MultiplyAdd(a6v, b0, c6a);
            TVec a7v = TV.Broadcast(a7[at]); c7a = TV.MultiplyAdd(a7v, b0, c7a);
            at += aK;
            b += ldb;
        }

        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta);
        GemmMicroKernels.StoreRow<TV, TVec>(c, c0a, TV.Zero, va, vb, beta, cols);
        if (rows <= 1)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (1 * ldc), c1a, TV.Zero, va, vb, beta, cols);
        if (rows <= 2)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (2 * ldc), c2a, TV.Zero, va, vb, beta, cols);
        if (rows <= 3)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (3 * ldc), c3a, TV.Zero, va, vb, beta, cols);
        if (rows <= 4)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (4 * ldc), c4a, TV.Zero, va, vb, beta, cols);
        if (rows <= 5)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (5 * ldc), c5a, TV.Zero, va, vb, beta, cols);
        if (rows <= 6)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (6 * ldc), c6a, TV.Zero, va, vb, beta, cols);
        if (rows <= 7)
        {
            return;
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c + (7 * ldc), c7a, TV.Zero, va, vb, beta, cols);
    }
}
