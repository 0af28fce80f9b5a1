using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>The 6-row tile that packs its B panel while it multiplies.</summary>
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>
    /// <see cref="Tile6x2{TV, TVec, TA}"/> on a full-width B panel read straight from B (its 2·lanes columns contiguous,
    /// k steps <paramref name="kStride"/> apart), packing the panel into <paramref name="b"/> as it goes: AVX2's twin of
    /// <see cref="Tile12x2Packing{TV, TVec, TA}"/>, in the same 15 of 16 registers as the packed tile. The sums are the same
    /// as the packed kernel's, in the same order. x86 only (the prefetch is SSE): the driver calls it on the AVX2 path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x2Packing<TV, TVec, TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
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
            a += TA.Step(6);
            b += 2 * lanes;
        }

        StoreRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b);
    }
}
