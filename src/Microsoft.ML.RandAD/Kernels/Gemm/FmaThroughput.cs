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
internal static class FmaThroughput
{
    /// <summary>Accumulators (and FMAs per iteration) of the loops.</summary>
    public const int Chains = 12;

    /// <summary>Runs <paramref name="iterations"/>·<see cref="Chains"/> 512-bit FMAs (16 lanes, 2 flops each).</summary>
    /// <returns>A value that depends on every FMA, so the loop cannot be removed.</returns>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Run512(long iterations)
    {
        if (!Avx512F.IsSupported)
        {
            throw new PlatformNotSupportedException("AVX-512F is not available.");
        }

        Vector512<float> x = Vector512.Create(0.999f), y = Vector512.Create(1e-3f);
        Vector512<float> c0 = y, c1 = y, c2 = y, c3 = y, c4 = y, c5 = y, c6 = y, c7 = y, c8 = y, c9 = y, c10 = y, c11 = y;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, x, y);
            c1 = Avx512F.FusedMultiplyAdd(c1, x, y);
            c2 = Avx512F.FusedMultiplyAdd(c2, x, y);
            c3 = Avx512F.FusedMultiplyAdd(c3, x, y);
            c4 = Avx512F.FusedMultiplyAdd(c4, x, y);
            c5 = Avx512F.FusedMultiplyAdd(c5, x, y);
            c6 = Avx512F.FusedMultiplyAdd(c6, x, y);
            c7 = Avx512F.FusedMultiplyAdd(c7, x, y);
            c8 = Avx512F.FusedMultiplyAdd(c8, x, y);
            c9 = Avx512F.FusedMultiplyAdd(c9, x, y);
            c10 = Avx512F.FusedMultiplyAdd(c10, x, y);
            c11 = Avx512F.FusedMultiplyAdd(c11, x, y);
        }

        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    /// <summary>Runs <paramref name="iterations"/>·<see cref="Chains"/> 256-bit FMAs (8 lanes, 2 flops each): the AVX2 peak.</summary>
    /// <returns>A value that depends on every FMA, so the loop cannot be removed.</returns>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Run256(long iterations)
    {
        if (!Fma.IsSupported)
        {
            throw new PlatformNotSupportedException("FMA (AVX2) is not available.");
        }

        Vector256<float> x = Vector256.Create(0.999f), y = Vector256.Create(1e-3f);
        Vector256<float> c0 = y, c1 = y, c2 = y, c3 = y, c4 = y, c5 = y, c6 = y, c7 = y, c8 = y, c9 = y, c10 = y, c11 = y;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, x, y);
            c1 = Fma.MultiplyAdd(c1, x, y);
            c2 = Fma.MultiplyAdd(c2, x, y);
            c3 = Fma.MultiplyAdd(c3, x, y);
            c4 = Fma.MultiplyAdd(c4, x, y);
            c5 = Fma.MultiplyAdd(c5, x, y);
            c6 = Fma.MultiplyAdd(c6, x, y);
            c7 = Fma.MultiplyAdd(c7, x, y);
            c8 = Fma.MultiplyAdd(c8, x, y);
            c9 = Fma.MultiplyAdd(c9, x, y);
            c10 = Fma.MultiplyAdd(c10, x, y);
            c11 = Fma.MultiplyAdd(c11, x, y);
        }

        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
