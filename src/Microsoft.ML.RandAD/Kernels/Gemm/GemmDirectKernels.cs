using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Register-blocked kernels for small products that read A in place (no packing): A by two strides, so NN
/// and TN share one kernel, and B by rows of whole vectors, so each k step is one or two plain loads.
/// </summary>
/// <remarks>
/// Six rows keep every row pointer in a register (eight spill three of them on x64). A's rows are reached
/// through fixed base pointers plus one running offset, so the loop needs one address update per k step
/// whatever A's layout. B must hold whole vectors: the caller pads a ragged last column block. Sums run
/// over k in order in one lane, like the packed kernels.
/// </remarks>
internal static unsafe class GemmDirectKernels
{
    /// <summary>
    /// C[0..rows, 0..cols) = alpha·A·B + beta·C for up to 6 rows × 2 vectors of B, the second loaded through
    /// <typeparamref name="TLast"/>: whole, or its first <c>cols − Lanes</c> lanes read in place (a ragged last block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows6x2<TV, TVec, TLast>(int k, float* a, nint aRow, nint aK, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TLast : IVectorLoad
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
        int lanes = TV.Lanes, last = cols - lanes;
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

        // Full tiles store inline, partial ones out of line (as the packed tiles do): six inlined copies of the masked stores
        // made this kernel the longest compilation of an MLP's first step.
        GemmMicroKernels.StoreRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b);
    }

    /// <summary>Columns one <see cref="Row1x8{TV, TVec}"/> call covers: eight vectors.</summary>
    public const int WideVectors = 8;

    /// <summary>
    /// C[0, 0..8·lanes) = alpha·a·B + beta·C for a single row (a vector times a matrix: scoring one row): each k step reads
    /// eight vectors of B's row side by side, so B streams in runs of 512 bytes (AVX-512) instead of the 128 of
    /// <see cref="Rows6x2{TV, TVec, TLast}"/>, whose other five rows would be wasted. The same sums in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row1x8<TV, TVec>(int k, float* a, nint aK, float* b, nint ldb, float* c, float alpha, float beta)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int lanes = TV.Lanes;
        TVec c0 = TV.Zero, c1 = TV.Zero, c2 = TV.Zero, c3 = TV.Zero, c4 = TV.Zero, c5 = TV.Zero, c6 = TV.Zero, c7 = TV.Zero;
        nint at = 0;
        for (int p = 0; p < k; p++)
        {
            TVec av = TV.Broadcast(a[at]);
            c0 = TV.MultiplyAdd(av, TV.Load(b), c0);
            c1 = TV.MultiplyAdd(av, TV.Load(b + lanes), c1);
            c2 = TV.MultiplyAdd(av, TV.Load(b + (2 * lanes)), c2);
            c3 = TV.MultiplyAdd(av, TV.Load(b + (3 * lanes)), c3);
            c4 = TV.MultiplyAdd(av, TV.Load(b + (4 * lanes)), c4);
            c5 = TV.MultiplyAdd(av, TV.Load(b + (5 * lanes)), c5);
            c6 = TV.MultiplyAdd(av, TV.Load(b + (6 * lanes)), c6);
            c7 = TV.MultiplyAdd(av, TV.Load(b + (7 * lanes)), c7);
            at += aK;
            b += ldb;
        }

        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta);
        int full = 2 * lanes;
        GemmMicroKernels.StoreRow<TV, TVec>(c, c0, c1, va, vb, beta, full);
        GemmMicroKernels.StoreRow<TV, TVec>(c + (2 * lanes), c2, c3, va, vb, beta, full);
        GemmMicroKernels.StoreRow<TV, TVec>(c + (4 * lanes), c4, c5, va, vb, beta, full);
        GemmMicroKernels.StoreRow<TV, TVec>(c + (6 * lanes), c6, c7, va, vb, beta, full);
    }

    /// <summary>
    /// C[0, 0..cols) = alpha·a·B + beta·C for a single row and a ragged block of B (cols &lt; 2·lanes, not whole vectors),
    /// read in place with masked loads rather than copied padded first: for one row the copy cost more than the product
    /// (a 1568×10 head copied 100 KB a call). The same sums in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row1Ragged<TV, TVec>(int k, float* a, nint aK, float* b, nint ldb, float* c, float alpha, float beta, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int lanes = TV.Lanes;
        int first = Math.Min(cols, lanes), second = cols - first;
        TVec c0 = TV.Zero, c1 = TV.Zero;
        nint at = 0;
        if (second == 0)
        {
            for (int p = 0; p < k; p++)
            {
                c0 = TV.MultiplyAdd(TV.Broadcast(a[at]), TV.LoadFirst(b, first), c0);
                at += aK;
                b += ldb;
            }
        }
        else
        {
            for (int p = 0; p < k; p++)
            {
                TVec av = TV.Broadcast(a[at]);
                c0 = TV.MultiplyAdd(av, TV.Load(b), c0);
                c1 = TV.MultiplyAdd(av, TV.LoadFirst(b + lanes, second), c1);
                at += aK;
                b += ldb;
            }
        }

        GemmMicroKernels.StoreRow<TV, TVec>(c, c0, c1, TV.Broadcast(alpha), TV.Broadcast(beta), beta, cols);
    }

    /// <summary>
    /// C[0..rows, 0..cols) = alpha·A·B + beta·C for up to 6 rows × 1 vector of B, loaded through <typeparamref name="TLast"/>:
    /// whole, or its first <c>cols</c> lanes read in place.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows6x1<TV, TVec, TLast>(int k, float* a, nint aRow, nint aK, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TLast : IVectorLoad
    {
        // Rows past the edge re-read row 0 (always present) and are never stored.
        float* a0 = a;
        float* a1 = rows > 1 ? a + (1 * aRow) : a;
        float* a2 = rows > 2 ? a + (2 * aRow) : a;
        float* a3 = rows > 3 ? a + (3 * aRow) : a;
        float* a4 = rows > 4 ? a + (4 * aRow) : a;
        float* a5 = rows > 5 ? a + (5 * aRow) : a;
        TVec c0a = TV.Zero;
        TVec c1a = TV.Zero;
        TVec c2a = TV.Zero;
        TVec c3a = TV.Zero;
        TVec c4a = TV.Zero;
        TVec c5a = TV.Zero;
        nint at = 0;
        for (int p = 0; p < k; p++)
        {
            TVec b0 = TLast.Load<TV, TVec>(b, cols);
            TVec a0v = TV.Broadcast(a0[at]); c0a = TV.MultiplyAdd(a0v, b0, c0a);
            TVec a1v = TV.Broadcast(a1[at]); c1a = TV.MultiplyAdd(a1v, b0, c1a);
            TVec a2v = TV.Broadcast(a2[at]); c2a = TV.MultiplyAdd(a2v, b0, c2a);
            TVec a3v = TV.Broadcast(a3[at]); c3a = TV.MultiplyAdd(a3v, b0, c3a);
            TVec a4v = TV.Broadcast(a4[at]); c4a = TV.MultiplyAdd(a4v, b0, c4a);
            TVec a5v = TV.Broadcast(a5[at]); c5a = TV.MultiplyAdd(a5v, b0, c5a);
            at += aK;
            b += ldb;
        }

        TVec zero = TV.Zero;
        GemmMicroKernels.StoreRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, c0a, zero, c1a, zero, c2a, zero, c3a, zero, c4a, zero, c5a, zero);
    }
}

/// <summary>How a kernel loads the last vector of a row of B: <see cref="WholeVector"/> or <see cref="FirstLanes"/>.</summary>
internal unsafe interface IVectorLoad
{
    /// <summary>Loads a vector at <paramref name="source"/> of which the first <paramref name="count"/> lanes are B's.</summary>
    static abstract TVec Load<TV, TVec>(float* source, int count)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged;
}

/// <summary>Every lane is B's: a plain load.</summary>
internal readonly struct WholeVector : IVectorLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe TVec Load<TV, TVec>(float* source, int count)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged => TV.Load(source);
}

/// <summary>
/// Only the first <c>count</c> lanes are B's (a ragged last block read in place): a masked load, which reads nothing past
/// them, so B's last row may end the caller's span. It replaced a padded copy of the block on every call (16×1568×10, the
/// CNN's head per chunk: 13 GFLOP/s with the copy, against 40 for the unragged 16×1568×16).
/// </summary>
internal readonly struct FirstLanes : IVectorLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe TVec Load<TV, TVec>(float* source, int count)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged => TV.LoadFirst(source, count);
}
