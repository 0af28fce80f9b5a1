using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// Job and columns for the GEMM benchmarks: OpenBLAS told to use its SkylakeX (AVX-512) kernels where the processor has them, GFLOP/s
/// columns, and the OpenBLAS cases dropped with a message when the library is not installed.
/// </summary>
/// <remarks>
/// <c>OPENBLAS_CORETYPE=SkylakeX</c> is set for every benchmark process on a processor with AVX-512: Debian's
/// DYNAMIC_ARCH OpenBLAS reads it when it loads and would otherwise identify this virtual CPU by its own probing (0.3.21
/// does not know Zen 5 and falls back to its AVX2 kernels). Without AVX-512 it is left alone: forced there, the SkylakeX
/// kernels die on their first AVX-512 instruction (seen on a Zen 3 VM), and OpenBLAS's own probing picks its AVX2
/// kernels (core "Zen" on that VM). Each
/// iteration runs the product enough times to last ~100 ms; 15 measured iterations after 5 warm-ups keep
/// a full run of both classes within about ten minutes on 2 cores.
/// </remarks>
public sealed class GemmBenchmarkConfig : ManualConfig
{
    /// <summary>The environment variable OpenBLAS reads to pick its kernels.</summary>
    public const string CoreTypeVariable = "OPENBLAS_CORETYPE";

    /// <summary>Creates the configuration.</summary>
    public GemmBenchmarkConfig()
    {
        Job job = Job.Default;
        if (Avx512F.IsSupported)
        {
            job = job.WithEnvironmentVariable(CoreTypeVariable, "SkylakeX");
        }

        AddJob(job
            .WithWarmupCount(5)
            .WithIterationCount(15)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)));

        // Mean-based GFLOP/s is the headline; the best iteration's is the one least disturbed by other
        // processes on a shared machine (it is what the code does when it has the cores to itself).
        AddColumn(StatisticColumn.Min, new GflopsColumn("GFLOP/s", Flops, s => s.Mean), new GflopsColumn("best GFLOP/s", Flops, s => s.Min));
        if (!OpenBlas.IsAvailable)
        {
            Console.WriteLine($"// OpenBLAS ({OpenBlas.LibraryName}) was not found: the OpenBLAS benchmarks are skipped; install libopenblas0-pthread to compare.");
            AddFilter(new SimpleFilter(b => b.Descriptor.WorkloadMethod.Name != nameof(GemmBenchmarkBase.OpenBLAS)));
        }
    }

    private static double? Flops(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters["Shape"] is GemmShape shape ? shape.Flops : null;
}
