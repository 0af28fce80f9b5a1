using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Columns;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// What is this machine's single-precision FMA peak with AVX-512 and with AVX2, on 1 and on 2 cores? The ceiling the
/// GEMM numbers are read against: peak GFLOP/s = 2 flops × lanes (16 or 8) × FMAs per second.
/// </summary>
/// <remarks>
/// Each operation is <see cref="IterationsPerThread"/>·12 independent 512-bit FMAs per thread, register
/// only; <c>[OperationsPerInvoke]</c> makes BenchmarkDotNet report the time of one FMA per thread, so
/// GFLOP/s = 32 · threads / (mean in ns). Run:
/// <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- --filter '*FmaPeak*'</c>.
/// </remarks>
[Config(typeof(Config))]
public unsafe class FmaPeakBenchmarks
{
    /// <summary>Loop iterations per thread per operation (12 FMAs each).</summary>
    public const long IterationsPerThread = 2_000_000;

    /// <summary>Threads running the loop at once.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Applies the thread count (the worker pool runs one part per thread).</summary>
    [GlobalSetup]
    public void Setup() => KernelSettings.ThreadCount = Threads;

    /// <summary>One 512-bit FMA per thread (amortized over the loop).</summary>
    [Benchmark(OperationsPerInvoke = (int)(IterationsPerThread * FmaThroughput.Chains))]
    public void Fma512()
    {
        if (Threads == 1)
        {
            FmaThroughput.Run512(IterationsPerThread);
            return;
        }

        WorkerPool.Run(&RunPart, null, Threads);
    }

    private static void RunPart(void* context, int part, int parts) => FmaThroughput.Run512(IterationsPerThread);

    /// <summary>One 256-bit FMA per thread (amortized over the loop): the ceiling of the AVX2 path.</summary>
    [Benchmark(OperationsPerInvoke = (int)(IterationsPerThread * FmaThroughput.Chains))]
    public void Fma256()
    {
        if (Threads == 1)
        {
            FmaThroughput.Run256(IterationsPerThread);
            return;
        }

        WorkerPool.Run(&RunPart256, null, Threads);
    }

    private static void RunPart256(void* context, int part, int parts) => FmaThroughput.Run256(IterationsPerThread);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));

            // One operation is one FMA on each thread: 32 flops per thread at 512 bits, 16 at 256.
            static double? Flops(BenchmarkCase b) =>
                (b.Descriptor.WorkloadMethod.Name == nameof(Fma512) ? 32.0 : 16.0) * (int)b.Parameters["Threads"];
            AddColumn(StatisticColumn.Min, new GflopsColumn("GFLOP/s", Flops, s => s.Mean), new GflopsColumn("best GFLOP/s", Flops, s => s.Min));
            if (!Avx512F.IsSupported)
            {
                Console.WriteLine("// This processor has no AVX-512: the 512-bit FMA peak is skipped.");
                AddFilter(new SimpleFilter(b => b.Descriptor.WorkloadMethod.Name != nameof(Fma512)));
            }
        }
    }
}
