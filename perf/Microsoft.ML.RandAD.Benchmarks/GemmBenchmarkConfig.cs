using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// Job and columns for the GEMM benchmarks: OpenBLAS told to use its SkylakeX (AVX-512) kernels, a
/// GFLOP/s column, and the OpenBLAS cases dropped with a message when the library is not installed.
/// </summary>
/// <remarks>
/// <c>OPENBLAS_CORETYPE=SkylakeX</c> is set for every benchmark process: Debian's DYNAMIC_ARCH OpenBLAS
/// reads it when it loads and would otherwise identify this virtual CPU by its own probing. Each
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
        AddJob(Job.Default
            .WithEnvironmentVariable(CoreTypeVariable, "SkylakeX")
            .WithWarmupCount(5)
            .WithIterationCount(15)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)));
        AddColumn(new GflopsColumn());
        if (!OpenBlas.IsAvailable)
        {
            Console.WriteLine($"// OpenBLAS ({OpenBlas.LibraryName}) was not found: the OpenBLAS benchmarks are skipped; install libopenblas0-pthread to compare.");
            AddFilter(new SimpleFilter(b => b.Descriptor.WorkloadMethod.Name != nameof(GemmBenchmarkBase.OpenBLAS)));
        }
    }

    /// <summary>2·M·N·K divided by the mean time (flops per nanosecond = GFLOP/s).</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Billions of floating-point operations per second: 2·M·N·K / mean time";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return mean is double ns && benchmarkCase.Parameters["Shape"] is GemmShape shape
                ? (shape.Flops / ns).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
                : "NA";
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
