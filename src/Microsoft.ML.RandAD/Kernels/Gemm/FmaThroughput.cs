using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The machine's multiply-add peak, measured: a register-only loop of independent fused multiply-adds, the
/// ceiling a GEMM micro-kernel is judged against (benchmarks only; nothing in training calls it).
/// </summary>
/// <remarks>
/// 12 independent accumulators cover the FMA latency (4 cycles) times the FMA ports (2) with room to spare,
/// so the loop runs at issue rate: 2 FMAs per cycle per core on a part with two 512-bit FMA units, at
/// whatever clock the core holds while running 512-bit code.
/// </remarks>
internal static unsafe class FmaThroughput
{
    /// <summary>Accumulators (and FMAs per iteration) of the loops.</summary>
    public const int Chains = 12;

    /// <summary>Runs <paramref name="iterations"/>·<see cref="Chains"/> 512-bit FMAs (16 lanes, 2 flops each).</summary>
    /// <returns>A value that depends on every FMA, so the loop cannot be removed.</returns>
    public static float Run512(long iterations) => Avx512F.IsSupported
        ? Run<GemmVector512, Vector512<float>>(iterations)
        : throw new PlatformNotSupportedException("AVX-512F is not available.");

    /// <summary>Runs <paramref name="iterations"/>·<see cref="Chains"/> 256-bit FMAs (8 lanes, 2 flops each): the AVX2 peak.</summary>
    /// <returns>A value that depends on every FMA, so the loop cannot be removed.</returns>
    public static float Run256(long iterations) => Fma.IsSupported
        ? Run<GemmVector256, Vector256<float>>(iterations)
        : throw new PlatformNotSupportedException("FMA (AVX2) is not available.");

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run<TV, TVec>(long iterations)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        TVec x = TV.Broadcast(0.999f), y = TV.Broadcast(1e-3f);
        TVec c0 = y, c1 = y, c2 = y, c3 = y, c4 = y, c5 = y, c6 = y, c7 = y, c8 = y, c9 = y, c10 = y, c11 = y;
        for (long i = 0; i < iterations; i++)
        {
            c0 = TV.MultiplyAdd(c0, x, y);
            c1 = TV.MultiplyAdd(c1, x, y);
            c2 = TV.MultiplyAdd(c2, x, y);
            c3 = TV.MultiplyAdd(c3, x, y);
            c4 = TV.MultiplyAdd(c4, x, y);
            c5 = TV.MultiplyAdd(c5, x, y);
            c6 = TV.MultiplyAdd(c6, x, y);
            c7 = TV.MultiplyAdd(c7, x, y);
            c8 = TV.MultiplyAdd(c8, x, y);
            c9 = TV.MultiplyAdd(c9, x, y);
            c10 = TV.MultiplyAdd(c10, x, y);
            c11 = TV.MultiplyAdd(c11, x, y);
        }

        // Sum the chains so the result depends on every one.
        TVec sum = TV.Add(TV.Add(TV.Add(c0, c1), TV.Add(c2, c3)), TV.Add(TV.Add(c4, c5), TV.Add(c6, c7)));
        sum = TV.Add(sum, TV.Add(TV.Add(c8, c9), TV.Add(c10, c11)));
        float* lanes = stackalloc float[TV.Lanes];
        TV.Store(lanes, sum);
        return lanes[0];
    }
}
