using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>
/// Distribution checks with fixed seeds (so they cannot flake): each statistic must fall inside its 0.999
/// acceptance region. A wrong word mapping or a biased transform fails them by a wide margin.
/// </summary>
[TestClass]
public sealed class CounterRngStatisticsTests
{
    private const ulong Seed = 20_240_601, Stream = 3;
    private const double Z999TwoSided = 3.2905;

    [TestMethod]
    [DataRow(2)]
    [DataRow(7)]
    [DataRow(784)]
    [DataRow(1000)]
    public void UniformIndicesPassChiSquare(int bound)
    {
        int n = Math.Max(200_000, 500 * bound);
        var indices = new int[n];
        CounterRng.UniformIndices(Seed, Stream, 0, bound, indices);
        var counts = new long[bound];
        foreach (int i in indices)
        {
            Assert.IsTrue(i >= 0 && i < bound, $"index {i} outside [0, {bound})");
            counts[i]++;
        }

        double expected = (double)n / bound;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        double limit = ChiSquareQuantile999(bound - 1);
        Assert.IsTrue(chiSquare < limit, $"chi-square {chiSquare:F1} with {bound - 1} degrees of freedom exceeds the 0.999 quantile {limit:F1}");
    }

    [TestMethod]
    public void RademacherSignsAreBalanced()
    {
        const int n = 1_000_000;
        var signs = new float[n];
        CounterRng.Rademacher(Seed, Stream, 0, 0.5f, signs);
        Assert.IsTrue(signs.All(s => s is 0.5f or -0.5f), "an entry is not ±magnitude");
        long negatives = signs.LongCount(s => s < 0);
        double z = (negatives - n / 2.0) / Math.Sqrt(n / 4.0);
        Assert.IsTrue(Math.Abs(z) < Z999TwoSided, $"binomial z = {z:F2} for {negatives} negatives of {n}");

        // Adjacent signs must be independent too: agreement of neighbours is again Binomial(n - 1, ½).
        long agree = 0;
        for (int i = 1; i < n; i++)
        {
            agree += signs[i] == signs[i - 1] ? 1 : 0;
        }

        double zPairs = (agree - (n - 1) / 2.0) / Math.Sqrt((n - 1) / 4.0);
        Assert.IsTrue(Math.Abs(zPairs) < Z999TwoSided, $"neighbour agreement z = {zPairs:F2}");
    }

    [TestMethod]
    public void GaussianHasRequestedMeanAndVariance()
    {
        const int n = 1_000_000;
        const double sigma = 2;
        var values = new float[n];
        CounterRng.Gaussian(Seed, Stream, 0, (float)sigma, values);
        double mean = values.Average(v => (double)v);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double fourth = values.Average(v => Math.Pow(v - mean, 4)) / (variance * variance);
        Assert.IsTrue(Math.Abs(mean) < Z999TwoSided * sigma / Math.Sqrt(n), $"mean {mean:F5}");
        Assert.IsTrue(Math.Abs(variance - sigma * sigma) < Z999TwoSided * sigma * sigma * Math.Sqrt(2.0 / n), $"variance {variance:F5}, expected {sigma * sigma}");
        Assert.IsTrue(Math.Abs(fourth - 3) < 0.05, $"kurtosis {fourth:F3}, a normal has 3");
    }

    [TestMethod]
    [DataRow(0.1f)]
    [DataRow(0.5f)]
    [DataRow(0.9f)]
    public void BernoulliMaskKeepsAtTheRequestedRate(float p)
    {
        const int n = 1_000_003;
        var mask = new ulong[BitMask.WordCount(n)];
        CounterRng.BernoulliMask(Seed, Stream, 0, p, n, mask);
        long kept = mask.Sum(w => (long)ulong.PopCount(w));
        double z = (kept - n * (double)p) / Math.Sqrt(n * (double)p * (1 - p));
        Assert.IsTrue(Math.Abs(z) < Z999TwoSided, $"kept {kept} of {n} at p = {p}: z = {z:F2}");
    }

    [TestMethod]
    public void UniformFloatsLieInUnitIntervalWithUniformMean()
    {
        const int n = 1_000_000;
        var values = new float[n];
        CounterRng.UniformFloats(Seed, Stream, 0, values);
        Assert.IsTrue(values.All(v => v >= 0f && v < 1f), "a value is outside [0, 1)");
        double mean = values.Average(v => (double)v);
        Assert.IsTrue(Math.Abs(mean - 0.5) < Z999TwoSided * Math.Sqrt(1.0 / 12 / n), $"mean {mean:F5}");
    }

    /// <summary>0.999 quantile of chi-square: exact for 1 and 6 degrees of freedom, Wilson–Hilferty (error &lt; 0.1%) for many.</summary>
    private static double ChiSquareQuantile999(int degrees) => degrees switch
    {
        1 => 10.828,
        6 => 22.458,
        _ => degrees * Math.Pow(1 - 2.0 / (9 * degrees) + 3.0902 * Math.Sqrt(2.0 / (9 * degrees)), 3),
    };
}
