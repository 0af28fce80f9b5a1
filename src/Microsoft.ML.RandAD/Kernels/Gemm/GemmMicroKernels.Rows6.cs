using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>The 6-row tiles: 6×16 on AVX2, 6×8 on 128-bit vectors, 6×2 scalar, within 16 registers.</summary>
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>C[0..rows, 0..cols) = alpha·(A panel × B panel) + beta·C for a 6×(2·lanes) tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x2<TV, TVec, TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        int lanes = TV.Lanes;
        if (cols <= lanes)
        {
            // A panel that ends within its first vector (n ≤ 16 on AVX-512): skip the all-zero second half.
            Tile6x1<TV, TVec, TA>(kc, a, b, c, ldc, alpha, beta, rows, cols);
            return;
        }

        PrefetchTile(c, ldc, rows, 2 * lanes);

        TVec c0a = TV.Zero; TVec c0b = TV.Zero;
        TVec c1a = TV.Zero; TVec c1b = TV.Zero;
        TVec c2a = TV.Zero; TVec c2b = TV.Zero;
        TVec c3a = TV.Zero; TVec c3b = TV.Zero;
        TVec c4a = TV.Zero; TVec c4b = TV.Zero;
        TVec c5a = TV.Zero; TVec c5b = TV.Zero;
        // Two k steps per iteration (the same operations in the same order), as in the 12-row tile: half the loop control.
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            TVec b0 = TV.Load(b), b1 = TV.Load(b + lanes);
            TVec a0 = TV.Broadcast(a[TA.Offset(0)]); c0a = TV.MultiplyAdd(a0, b0, c0a); c0b = TV.MultiplyAdd(a0, b1, c0b);
            TVec a1 = TV.Broadcast(a[TA.Offset(1)]); c1a = TV.MultiplyAdd(a1, b0, c1a); c1b = TV.MultiplyAdd(a1, b1, c1b);
            TVec a2 = TV.Broadcast(a[TA.Offset(2)]); c2a = TV.MultiplyAdd(a2, b0, c2a); c2b = TV.MultiplyAdd(a2, b1, c2b);
            TVec a3 = TV.Broadcast(a[TA.Offset(3)]); c3a = TV.MultiplyAdd(a3, b0, c3a); c3b = TV.MultiplyAdd(a3, b1, c3b);
            TVec a4 = TV.Broadcast(a[TA.Offset(4)]); c4a = TV.MultiplyAdd(a4, b0, c4a); c4b = TV.MultiplyAdd(a4, b1, c4b);
            TVec a5 = TV.Broadcast(a[TA.Offset(5)]); c5a = TV.MultiplyAdd(a5, b0, c5a); c5b = TV.MultiplyAdd(a5, b1, c5b);
            TVec b0s = TV.Load(b + (2 * lanes)), b1s = TV.Load(b + (2 * lanes) + lanes);
            TVec a0s = TV.Broadcast(a[TA.Step(6) + TA.Offset(0)]); c0a = TV.MultiplyAdd(a0s, b0s, c0a); c0b = TV.MultiplyAdd(a0s, b1s, c0b);
            TVec a1s = TV.Broadcast(a[TA.Step(6) + TA.Offset(1)]); c1a = TV.MultiplyAdd(a1s, b0s, c1a); c1b = TV.MultiplyAdd(a1s, b1s, c1b);
            TVec a2s = TV.Broadcast(a[TA.Step(6) + TA.Offset(2)]); c2a = TV.MultiplyAdd(a2s, b0s, c2a); c2b = TV.MultiplyAdd(a2s, b1s, c2b);
            TVec a3s = TV.Broadcast(a[TA.Step(6) + TA.Offset(3)]); c3a = TV.MultiplyAdd(a3s, b0s, c3a); c3b = TV.MultiplyAdd(a3s, b1s, c3b);
            TVec a4s = TV.Broadcast(a[TA.Step(6) + TA.Offset(4)]); c4a = TV.MultiplyAdd(a4s, b0s, c4a); c4b = TV.MultiplyAdd(a4s, b1s, c4b);
            TVec a5s = TV.Broadcast(a[TA.Step(6) + TA.Offset(5)]); c5a = TV.MultiplyAdd(a5s, b0s, c5a); c5b = TV.MultiplyAdd(a5s, b1s, c5b);
            a += 2 * TA.Step(6);
            b += 4 * lanes;
        }

        if (p < kc)
        {
            TVec b0 = TV.Load(b), b1 = TV.Load(b + lanes);
            TVec a0 = TV.Broadcast(a[TA.Offset(0)]); c0a = TV.MultiplyAdd(a0, b0, c0a); c0b = TV.MultiplyAdd(a0, b1, c0b);
            TVec a1 = TV.Broadcast(a[TA.Offset(1)]); c1a = TV.MultiplyAdd(a1, b0, c1a); c1b = TV.MultiplyAdd(a1, b1, c1b);
            TVec a2 = TV.Broadcast(a[TA.Offset(2)]); c2a = TV.MultiplyAdd(a2, b0, c2a); c2b = TV.MultiplyAdd(a2, b1, c2b);
            TVec a3 = TV.Broadcast(a[TA.Offset(3)]); c3a = TV.MultiplyAdd(a3, b0, c3a); c3b = TV.MultiplyAdd(a3, b1, c3b);
            TVec a4 = TV.Broadcast(a[TA.Offset(4)]); c4a = TV.MultiplyAdd(a4, b0, c4a); c4b = TV.MultiplyAdd(a4, b1, c4b);
            TVec a5 = TV.Broadcast(a[TA.Offset(5)]); c5a = TV.MultiplyAdd(a5, b0, c5a); c5b = TV.MultiplyAdd(a5, b1, c5b);
        }

        StoreRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b);
    }

    /// <summary>The first vector of a 6×(2·lanes) tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x1<TV, TVec, TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        TVec c0a = TV.Zero; TVec c1a = TV.Zero; TVec c2a = TV.Zero; TVec c3a = TV.Zero;
        TVec c4a = TV.Zero; TVec c5a = TV.Zero;
        int lanes = TV.Lanes;
        for (int p = 0; p < kc; p++)
        {
            TVec b0 = TV.Load(b);
            c0a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(0)]), b0, c0a);
            c1a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(1)]), b0, c1a);
            c2a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(2)]), b0, c2a);
            c3a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(3)]), b0, c3a);
            c4a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(4)]), b0, c4a);
            c5a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(5)]), b0, c5a);
            a += TA.Step(6);
            b += 2 * lanes;
        }

        TVec zero = TV.Zero;
        StoreRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, c0a, zero, c1a, zero, c2a, zero, c3a, zero, c4a, zero, c5a, zero);
    }

    /// <summary>Writes the first <paramref name="rows"/> rows of a 6-row tile (see <see cref="StoreRow{TV, TVec}"/>); inlined, so the accumulators stay in registers.</summary>
    /// <remarks>No <c>stackalloc</c> here: the JIT does not inline a method that has one, and this one, called with its twelve
    /// accumulators on the stack, cost every AVX2 tile a call (partial tiles spill in <see cref="StorePartialRows6{TV, TVec}"/>).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreRows6<TV, TVec>(
        float* c, nint ldc, float alpha, float beta, int rows, int cols,
        TVec c0a, TVec c0b, TVec c1a, TVec c1b, TVec c2a, TVec c2b, TVec c3a, TVec c3b, TVec c4a, TVec c4b, TVec c5a, TVec c5b)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        if (cols < 2 * TV.Lanes)
        {
            StorePartialRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b);
            return;
        }

        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta);
        StoreFullRow<TV, TVec>(c, c0a, c0b, va, vb, beta);
        if (rows <= 1)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (1 * ldc), c1a, c1b, va, vb, beta);
        if (rows <= 2)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (2 * ldc), c2a, c2b, va, vb, beta);
        if (rows <= 3)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (3 * ldc), c3a, c3b, va, vb, beta);
        if (rows <= 4)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (4 * ldc), c4a, c4b, va, vb, beta);
        if (rows <= 5)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (5 * ldc), c5a, c5b, va, vb, beta);
    }

    /// <summary>A 6-row tile narrower than 2·lanes columns, out of line, as in the 12-row tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void StorePartialRows6<TV, TVec>(
        float* c, nint ldc, float alpha, float beta, int rows, int cols,
        TVec c0a, TVec c0b, TVec c1a, TVec c1b, TVec c2a, TVec c2b, TVec c3a, TVec c3b, TVec c4a, TVec c4b, TVec c5a, TVec c5b)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        TVec* spill = stackalloc TVec[12];
        spill[0] = c0a; spill[1] = c0b;
        spill[2] = c1a; spill[3] = c1b;
        spill[4] = c2a; spill[5] = c2b;
        spill[6] = c3a; spill[7] = c3b;
        spill[8] = c4a; spill[9] = c4b;
        spill[10] = c5a; spill[11] = c5b;
        StorePartialTile<TV, TVec>(spill, c, ldc, alpha, beta, rows, cols);
    }
}
