using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>The 12-row tile that packs its B panel while it multiplies.</summary>
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>k steps between the B row a fused tile reads and the one it prefetches.</summary>
    public const int FusedPrefetchSteps = 16;

    /// <summary>
    /// <see cref="Tile12x2{TV, TVec, TA}"/> on a full-width B panel read straight from B (its 2·lanes columns
    /// contiguous, k steps <paramref name="kStride"/> apart), packing the panel into <paramref name="b"/> as it goes.
    /// </summary>
    /// <remarks>
    /// Run on the first row micro-panel of a block, it replaces the separate packing pass over the panel: the copy's
    /// loads and stores ride along with the FMAs (two of each per 24 FMAs), and the source rows are prefetched
    /// <see cref="FusedPrefetchSteps"/> k steps ahead. The sums are the same as the packed kernel's, in the same order.
    /// x86 only (the prefetch is SSE): the driver calls it on the AVX-512 path.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile12x2Packing<TV, TVec, TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        int lanes = TV.Lanes;
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
        for (int p = 0; p < kc; p++)
        {
            if (p + FusedPrefetchSteps < kc)
            {
                float* ahead = source + (FusedPrefetchSteps * kStride);
                Sse.Prefetch0(ahead);
                Sse.Prefetch0(ahead + (2 * lanes) - 1);
            }

            TVec b0 = TV.Load(source), b1 = TV.Load(source + lanes);
            TV.Store(b, b0);
            TV.Store(b + lanes, b1);
            source += kStride;
            TVec a0 = TV.Broadcast(a[TA.Offset(0)]); c0a = TV.MultiplyAdd(a0, b0, c0a); c0b = TV.MultiplyAdd(a0, b1, c0b);
            TVec a1 = TV.Broadcast(a[TA.Offset(1)]); c1a = TV.MultiplyAdd(a1, b0, c1a); c1b = TV.MultiplyAdd(a1, b1, c1b);
            TVec a2 = TV.Broadcast(a[TA.Offset(2)]); c2a = TV.MultiplyAdd(a2, b0, c2a); c2b = TV.MultiplyAdd(a2, b1, c2b);
            TVec a3 = TV.Broadcast(a[TA.Offset(3)]); c3a = TV.MultiplyAdd(a3, b0, c3a); c3b = TV.MultiplyAdd(a3, b1, c3b);
            TVec a4 = TV.Broadcast(a[TA.Offset(4)]); c4a = TV.MultiplyAdd(a4, b0, c4a); c4b = TV.MultiplyAdd(a4, b1, c4b);
            TVec a5 = TV.Broadcast(a[TA.Offset(5)]); c5a = TV.MultiplyAdd(a5, b0, c5a); c5b = TV.MultiplyAdd(a5, b1, c5b);
            TVec a6 = TV.Broadcast(a[TA.Offset(6)]); c6a = TV.MultiplyAdd(a6, b0, c6a); c6b = TV.MultiplyAdd(a6, b1, c6b);
            TVec a7 = TV.Broadcast(a[TA.Offset(7)]); c7a = TV.MultiplyAdd(a7, b0, c7a); c7b = TV.MultiplyAdd(a7, b1, c7b);
            TVec a8 = TV.Broadcast(a[TA.Offset(8)]); c8a = TV.MultiplyAdd(a8, b0, c8a); c8b = TV.MultiplyAdd(a8, b1, c8b);
            TVec a9 = TV.Broadcast(a[TA.Offset(9)]); c9a = TV.MultiplyAdd(a9, b0, c9a); c9b = TV.MultiplyAdd(a9, b1, c9b);
            TVec a10 = TV.Broadcast(a[TA.Offset(10)]); c10a = TV.MultiplyAdd(a10, b0, c10a); c10b = TV.MultiplyAdd(a10, b1, c10b);
            TVec a11 = TV.Broadcast(a[TA.Offset(11)]); c11a = TV.MultiplyAdd(a11, b0, c11a); c11b = TV.MultiplyAdd(a11, b1, c11b);
            a += TA.Step(12);
            b += 2 * lanes;
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
}
