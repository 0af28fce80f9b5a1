using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Register-blocked GEMM micro-kernels on packed panels, written once over <see cref="IGemmVector{TVec}"/>.
/// </summary>
/// <remarks>
/// <para>A tile is R rows × 2 vectors of C. Packed A holds R floats per k step (one per row), packed B holds
/// 2·lanes floats per k step, both zero-padded past the matrix edge, so every k step is two vector loads,
/// R broadcasts and 2·R independent multiply-adds. 12×2 fills the 32 registers of AVX-512 (24 accumulators,
/// 2 B vectors, a broadcast); 6×2 fits the 16 registers of AVX2, SSE and NEON.</para>
/// <para>Each element of C is summed over k in order, in one accumulator lane, then written as
/// <c>alpha·acc + beta·C</c> (multiply, multiply, add: the same operations on edge and full tiles), so the
/// result does not depend on where a tile falls or on which thread computes it.</para>
/// <para>The tiles unroll on R, so <c>eng/generate-gemm-tiles.py</c> writes them (GemmMicroKernels.Tiles.g.cs).</para>
/// </remarks>
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>k steps between the B row a fused tile reads and the one it prefetches.</summary>
    public const int FusedPrefetchSteps = 16;

    /// <summary>
    /// Asks for the tile's rows of C ahead of the epilogue: C rows lie a full row stride apart (a new page
    /// each for a 1024-wide C), so without this the epilogue waits on a cache miss per row; with it the
    /// misses resolve into L2 while the k loop runs. L2 rather than L1, because the B panel streaming
    /// through L1 (kc·2·lanes floats) would evict them again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, nint ldc, int rows, int cols)
    {
        if (Sse.IsSupported)
        {
            for (int r = 0; r < rows; r++, c += ldc)
            {
                Sse.Prefetch1(c);
                Sse.Prefetch1(c + cols - 1);
            }
        }
    }

    /// <summary><see cref="StoreRow{TV, TVec}"/> for a row of all 2·lanes columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreFullRow<TV, TVec>(float* c, TVec acc0, TVec acc1, TVec alpha, TVec betaVector, float beta)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        acc0 = TV.Multiply(alpha, acc0);
        acc1 = TV.Multiply(alpha, acc1);
        if (beta != 0)
        {
            acc0 = TV.Add(acc0, TV.Multiply(betaVector, TV.Load(c)));
            acc1 = TV.Add(acc1, TV.Multiply(betaVector, TV.Load(c + TV.Lanes)));
        }

        TV.Store(c, acc0);
        TV.Store(c + TV.Lanes, acc1);
    }

    /// <summary>
    /// Writes the first <paramref name="rows"/> rows of a tile narrower than 2·lanes columns from its accumulators laid out
    /// row by row (two a row) at <paramref name="accumulators"/>; the same operations as <see cref="StoreRow{TV, TVec}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void StorePartialTile<TV, TVec>(TVec* accumulators, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta);
        for (int r = 0; r < rows; r++)
        {
            StoreRow<TV, TVec>(c + (r * ldc), accumulators[2 * r], accumulators[(2 * r) + 1], va, vb, beta, cols);
        }
    }

    /// <summary>Writes one row of a tile: alpha·acc + beta·C over the first <paramref name="cols"/> columns; C is not read when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreRow<TV, TVec>(float* c, TVec acc0, TVec acc1, TVec alpha, TVec betaVector, float beta, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int lanes = TV.Lanes;
        acc0 = TV.Multiply(alpha, acc0);
        acc1 = TV.Multiply(alpha, acc1);
        if (cols >= 2 * lanes)
        {
            if (beta != 0)
            {
                acc0 = TV.Add(acc0, TV.Multiply(betaVector, TV.Load(c)));
                acc1 = TV.Add(acc1, TV.Multiply(betaVector, TV.Load(c + lanes)));
            }

            TV.Store(c, acc0);
            TV.Store(c + lanes, acc1);
            return;
        }

        // A partial row masks only the vector that is partial: AVX2's masked store is several times a plain one's cost on
        // AMD even with a full or an empty mask, and a row of 8 columns of a 1568×16×8 product paid two (18.6 GFLOP/s).
        if (cols >= lanes)
        {
            int second = cols - lanes;
            if (beta != 0)
            {
                acc0 = TV.Add(acc0, TV.Multiply(betaVector, TV.Load(c)));
                if (second > 0)
                {
                    acc1 = TV.Add(acc1, TV.Multiply(betaVector, TV.LoadFirst(c + lanes, second)));
                }
            }

            TV.Store(c, acc0);
            if (second > 0)
            {
                TV.StoreFirst(c + lanes, acc1, second);
            }

            return;
        }

        if (beta != 0)
        {
            acc0 = TV.Add(acc0, TV.Multiply(betaVector, TV.LoadFirst(c, cols)));
        }

        TV.StoreFirst(c, acc0, cols);
    }
}
