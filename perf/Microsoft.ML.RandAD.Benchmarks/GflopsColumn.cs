using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>Floating-point operations per operation divided by a time statistic (flops per nanosecond = GFLOP/s).</summary>
/// <param name="name">Column header.</param>
/// <param name="flops">Flops of one benchmark operation, or null when the case has none.</param>
/// <param name="time">The statistic divided by, in nanoseconds (mean, fastest iteration, ...).</param>
internal sealed class GflopsColumn(string name, Func<BenchmarkCase, double?> flops, Func<Statistics, double> time) : IColumn
{
    public string Id => nameof(GflopsColumn) + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"Billions of floating-point operations per second ({name})";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        Statistics? statistics = summary[benchmarkCase]?.ResultStatistics;
        return statistics is not null && time(statistics) is double ns && ns > 0 && flops(benchmarkCase) is double f
            ? (f / ns).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
            : "NA";
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
