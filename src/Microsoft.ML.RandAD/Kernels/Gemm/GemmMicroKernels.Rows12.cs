using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>The 12-row tiles: 12×32 on AVX-512, all 32 zmm registers in use.</summary>
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>C[0..rows, 0..cols) = alpha·(A panel × B panel) + beta·C for a 12×(2·lanes) tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile12x2<TV, TVec, TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        int lanes = TV.Lanes;
        if (cols <= lanes)
        {
            // A panel that ends within its first vector (n ≤ 16 on AVX-512): skip the all-zero second half.
            Tile12x1<TV, TVec, TA>(kc, a, b, c, ldc, alpha, beta, rows, cols);
            return;
        }

        PrefetchTile(c, ldc, rows, 2 * lanes);

        TVec c0a = TV.Zero; TVec c0b = TV.Zero;
        TVec c1a = TV.Zero; TVec c1b = TV.Zero;
        TVec c2a = TV.Zero; TVec c2b = TV.Zero;
        TVec c3a = TV.Zero; TVec c3b = TV.Zero;
        TVec c4a = TV.Zero; TVec c4b = TV.Zero;
        TVec c5a = TV.Zero; TVec c5b = TV.Zero;
        TVec c6a = TV.Zero; TVec c6b = TV.Zero;
        TVec c7a = TV.Zero; TVec c7b = TV.Zero;
        TVec c8a = TV.Zero; TVec c8b = TV.Zero;
        TVec c9a = TV.Zero; TVec c9b = TV.Zero;
        TVec c10a = TV.Zero; TVec c10b = TV.Zero;
        TVec c11a = TV.Zero; TVec c11b = TV.Zero;
        // Two k steps per iteration (the same operations in the same order): half the loop overhead, which matters
        // because the body is 3.5 instructions a cycle at the FMA bound, close to the 4-wide front end of Intel cores.
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            TVec b0 = TV.Load(b), b1 = TV.Load(b + lanes);
            TVec a0b0 = TV.Broadcast(a[TA.Offset(0)]); c0a = TV.MultiplyAdd(a0b0, b0, c0a); c0b = TV.MultiplyAdd(a0b0, b1, c0b);
            TVec a1b0 = TV.Broadcast(a[TA.Offset(1)]); c1a = TV.MultiplyAdd(a1b0, b0, c1a); c1b = TV.MultiplyAdd(a1b0, b1, c1b);
            TVec a2b0 = TV.Broadcast(a[TA.Offset(2)]); c2a = TV.MultiplyAdd(a2b0, b0, c2a); c2b = TV.MultiplyAdd(a2b0, b1, c2b);
            TVec a3b0 = TV.Broadcast(a[TA.Offset(3)]); c3a = TV.MultiplyAdd(a3b0, b0, c3a); c3b = TV.MultiplyAdd(a3b0, b1, c3b);
            TVec a4b0 = TV.Broadcast(a[TA.Offset(4)]); c4a = TV.MultiplyAdd(a4b0, b0, c4a); c4b = TV.MultiplyAdd(a4b0, b1, c4b);
            TVec a5b0 = TV.Broadcast(a[TA.Offset(5)]); c5a = TV.MultiplyAdd(a5b0, b0, c5a); c5b = TV.MultiplyAdd(a5b0, b1, c5b);
            TVec a6b0 = TV.Broadcast(a[TA.Offset(6)]); c6a = TV.MultiplyAdd(a6b0, b0, c6a); c6b = TV.MultiplyAdd(a6b0, b1, c6b);
            TVec a7b0 = TV.Broadcast(a[TA.Offset(7)]); c7a = TV.MultiplyAdd(a7b0, b0, c7a); c7b = TV.MultiplyAdd(a7b0, b1, c7b);
            TVec a8b0 = TV.Broadcast(a[TA.Offset(8)]); c8a = TV.MultiplyAdd(a8b0, b0, c8a); c8b = TV.MultiplyAdd(a8b0, b1, c8b);
            TVec a9b0 = TV.Broadcast(a[TA.Offset(9)]); c9a = TV.MultiplyAdd(a9b0, b0, c9a); c9b = TV.MultiplyAdd(a9b0, b1, c9b);
            TVec a10b0 = TV.Broadcast(a[TA.Offset(10)]); c10a = TV.MultiplyAdd(a10b0, b0, c10a); c10b = TV.MultiplyAdd(a10b0, b1, c10b);
            TVec a11b0 = TV.Broadcast(a[TA.Offset(11)]); c11a = TV.MultiplyAdd(a11b0, b0, c11a); c11b = TV.MultiplyAdd(a11b0, b1, c11b);
            TVec b2 = TV.Load(b + (2 * lanes)), b3 = TV.Load(b + (2 * lanes) + lanes);
            TVec a0b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(0)]); c0a = TV.MultiplyAdd(a0b2, b2, c0a); c0b = TV.MultiplyAdd(a0b2, b3, c0b);
            TVec a1b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(1)]); c1a = TV.MultiplyAdd(a1b2, b2, c1a); c1b = TV.MultiplyAdd(a1b2, b3, c1b);
            TVec a2b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(2)]); c2a = TV.MultiplyAdd(a2b2, b2, c2a); c2b = TV.MultiplyAdd(a2b2, b3, c2b);
            TVec a3b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(3)]); c3a = TV.MultiplyAdd(a3b2, b2, c3a); c3b = TV.MultiplyAdd(a3b2, b3, c3b);
            TVec a4b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(4)]); c4a = TV.MultiplyAdd(a4b2, b2, c4a); c4b = TV.MultiplyAdd(a4b2, b3, c4b);
            TVec a5b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(5)]); c5a = TV.MultiplyAdd(a5b2, b2, c5a); c5b = TV.MultiplyAdd(a5b2, b3, c5b);
            TVec a6b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(6)]); c6a = TV.MultiplyAdd(a6b2, b2, c6a); c6b = TV.MultiplyAdd(a6b2, b3, c6b);
            TVec a7b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(7)]); c7a = TV.MultiplyAdd(a7b2, b2, c7a); c7b = TV.MultiplyAdd(a7b2, b3, c7b);
            TVec a8b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(8)]); c8a = TV.MultiplyAdd(a8b2, b2, c8a); c8b = TV.MultiplyAdd(a8b2, b3, c8b);
            TVec a9b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(9)]); c9a = TV.MultiplyAdd(a9b2, b2, c9a); c9b = TV.MultiplyAdd(a9b2, b3, c9b);
            TVec a10b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(10)]); c10a = TV.MultiplyAdd(a10b2, b2, c10a); c10b = TV.MultiplyAdd(a10b2, b3, c10b);
            TVec a11b2 = TV.Broadcast(a[TA.Step(12) + TA.Offset(11)]); c11a = TV.MultiplyAdd(a11b2, b2, c11a); c11b = TV.MultiplyAdd(a11b2, b3, c11b);
            a += 2 * TA.Step(12);
            b += 4 * lanes;
        }

        if (p < kc)
        {
            TVec b0 = TV.Load(b), b1 = TV.Load(b + lanes);
            TVec a0b0 = TV.Broadcast(a[TA.Offset(0)]); c0a = TV.MultiplyAdd(a0b0, b0, c0a); c0b = TV.MultiplyAdd(a0b0, b1, c0b);
            TVec a1b0 = TV.Broadcast(a[TA.Offset(1)]); c1a = TV.MultiplyAdd(a1b0, b0, c1a); c1b = TV.MultiplyAdd(a1b0, b1, c1b);
            TVec a2b0 = TV.Broadcast(a[TA.Offset(2)]); c2a = TV.MultiplyAdd(a2b0, b0, c2a); c2b = TV.MultiplyAdd(a2b0, b1, c2b);
            TVec a3b0 = TV.Broadcast(a[TA.Offset(3)]); c3a = TV.MultiplyAdd(a3b0, b0, c3a); c3b = TV.MultiplyAdd(a3b0, b1, c3b);
            TVec a4b0 = TV.Broadcast(a[TA.Offset(4)]); c4a = TV.MultiplyAdd(a4b0, b0, c4a); c4b = TV.MultiplyAdd(a4b0, b1, c4b);
            TVec a5b0 = TV.Broadcast(a[TA.Offset(5)]); c5a = TV.MultiplyAdd(a5b0, b0, c5a); c5b = TV.MultiplyAdd(a5b0, b1, c5b);
            TVec a6b0 = TV.Broadcast(a[TA.Offset(6)]); c6a = TV.MultiplyAdd(a6b0, b0, c6a); c6b = TV.MultiplyAdd(a6b0, b1, c6b);
            TVec a7b0 = TV.Broadcast(a[TA.Offset(7)]); c7a = TV.MultiplyAdd(a7b0, b0, c7a); c7b = TV.MultiplyAdd(a7b0, b1, c7b);
            TVec a8b0 = TV.Broadcast(a[TA.Offset(8)]); c8a = TV.MultiplyAdd(a8b0, b0, c8a); c8b = TV.MultiplyAdd(a8b0, b1, c8b);
            TVec a9b0 = TV.Broadcast(a[TA.Offset(9)]); c9a = TV.MultiplyAdd(a9b0, b0, c9a); c9b = TV.MultiplyAdd(a9b0, b1, c9b);
            TVec a10b0 = TV.Broadcast(a[TA.Offset(10)]); c10a = TV.MultiplyAdd(a10b0, b0, c10a); c10b = TV.MultiplyAdd(a10b0, b1, c10b);
            TVec a11b0 = TV.Broadcast(a[TA.Offset(11)]); c11a = TV.MultiplyAdd(a11b0, b0, c11a); c11b = TV.MultiplyAdd(a11b0, b1, c11b);
        }

        if (cols < 2 * lanes)
        {
            // Partial tiles store out of line: twelve inlined copies of the masked stores made this method the first
            // step's longest compilation. The accumulators go to the stack first, so none is live across the call.
            TVec* spill = stackalloc TVec[24];
            spill[0] = c0a; spill[1] = c0b;
            spill[2] = c1a; spill[3] = c1b;
            spill[4] = c2a; spill[5] = c2b;
            spill[6] = c3a; spill[7] = c3b;
            spill[8] = c4a; spill[9] = c4b;
            spill[10] = c5a; spill[11] = c5b;
            spill[12] = c6a; spill[13] = c6b;
            spill[14] = c7a; spill[15] = c7b;
            spill[16] = c8a; spill[17] = c8b;
            spill[18] = c9a; spill[19] = c9b;
            spill[20] = c10a; spill[21] = c10b;
            spill[22] = c11a; spill[23] = c11b;
            StorePartialTile<TV, TVec>(spill, c, ldc, alpha, beta, rows, cols);
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
        if (rows <= 6)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (6 * ldc), c6a, c6b, va, vb, beta);
        if (rows <= 7)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (7 * ldc), c7a, c7b, va, vb, beta);
        if (rows <= 8)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (8 * ldc), c8a, c8b, va, vb, beta);
        if (rows <= 9)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (9 * ldc), c9a, c9b, va, vb, beta);
        if (rows <= 10)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (10 * ldc), c10a, c10b, va, vb, beta);
        if (rows <= 11)
        {
            return;
        }

        StoreFullRow<TV, TVec>(c + (11 * ldc), c11a, c11b, va, vb, beta);
    }

    /// <summary>The first vector of a 12×(2·lanes) tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile12x1<TV, TVec, TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        TVec c0a = TV.Zero; TVec c1a = TV.Zero; TVec c2a = TV.Zero; TVec c3a = TV.Zero;
        TVec c4a = TV.Zero; TVec c5a = TV.Zero; TVec c6a = TV.Zero; TVec c7a = TV.Zero;
        TVec c8a = TV.Zero; TVec c9a = TV.Zero; TVec c10a = TV.Zero; TVec c11a = TV.Zero;
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
            c6a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(6)]), b0, c6a);
            c7a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(7)]), b0, c7a);
            c8a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(8)]), b0, c8a);
            c9a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(9)]), b0, c9a);
            c10a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(10)]), b0, c10a);
            c11a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset(11)]), b0, c11a);
            a += TA.Step(12);
            b += 2 * lanes;
        }

        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta), zero = TV.Zero;
        StoreRow<TV, TVec>(c, c0a, zero, va, vb, beta, cols);
        if (rows <= 1)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (1 * ldc), c1a, zero, va, vb, beta, cols);
        if (rows <= 2)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (2 * ldc), c2a, zero, va, vb, beta, cols);
        if (rows <= 3)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (3 * ldc), c3a, zero, va, vb, beta, cols);
        if (rows <= 4)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (4 * ldc), c4a, zero, va, vb, beta, cols);
        if (rows <= 5)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (5 * ldc), c5a, zero, va, vb, beta, cols);
        if (rows <= 6)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (6 * ldc), c6a, zero, va, vb, beta, cols);
        if (rows <= 7)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (7 * ldc), c7a, zero, va, vb, beta, cols);
        if (rows <= 8)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (8 * ldc), c8a, zero, va, vb, beta, cols);
        if (rows <= 9)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (9 * ldc), c9a, zero, va, vb, beta, cols);
        if (rows <= 10)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (10 * ldc), c10a, zero, va, vb, beta, cols);
        if (rows <= 11)
        {
            return;
        }

        StoreRow<TV, TVec>(c + (11 * ldc), c11a, zero, va, vb, beta, cols);
    }
}
