namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>Small helpers for the measurement verbs.</summary>
internal static class Stats
{
    /// <summary>The median (upper median for an even count); the input is not modified.</summary>
    public static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
