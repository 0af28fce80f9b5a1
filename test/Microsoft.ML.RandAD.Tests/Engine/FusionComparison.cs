using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>Two networks of the same spec and seed, one with a fusion off, stepped on the same random batches and scored on the same rows.</summary>
internal static class FusionComparison
{
    /// <summary>
    /// Two networks of <paramref name="spec"/> and <paramref name="seed"/> with the same chunk rows and sketches (exact, or
    /// magnitude sampling keeping a quarter, planned for <paramref name="batch"/> rows), <paramref name="turnOff"/> applied to
    /// the second: (with the fusion, without it).
    /// </summary>
    public static (Network Fused, Network Apart) Pair(NetworkSpec spec, ulong seed, string sketch, int chunkRows, int batch, Action<Network> turnOff)
    {
        RadSettings settings = sketch == "exact" ? RadSettings.Exact : new RadSettings { KeepFraction = 0.25f, Estimator = RadEstimator.SampledByMagnitude };
        Network fused = Network.Create(spec, seed), apart = Network.Create(spec, seed);
        turnOff(apart);
        foreach (Network network in new[] { fused, apart })
        {
            network.ChunkRows = chunkRows;
            network.ConfigureSketches(settings, batch);
        }

        return (fused, apart);
    }

    /// <summary>
    /// Three steps of <paramref name="batch"/> rows (features in [−1, 1), labels of <paramref name="classes"/> classes): the
    /// same loss and gradients to the bit and the same ledger each step, and <paramref name="someNonZero"/> true of the fused
    /// network's gradients (so the comparison is not of zeros). <paramref name="ledgers"/>, when given, checks the two ledgers
    /// after each step instead of holding them equal.
    /// </summary>
    public static void AssertSameSteps(
        Network apart, Network fused, int batch, int classes, Func<float[], bool> someNonZero, string what, Action<int>? ledgers = null)
    {
        var random = new Random(5);
        for (int step = 0; step < 3; step++)
        {
            float[] x = [.. Enumerable.Range(0, batch * fused.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            float[] y = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(classes))];
            x.CopyTo(apart.BeginStep(batch));
            x.CopyTo(fused.BeginStep(batch));
            Assert.AreEqual(apart.ForwardBackward(y), fused.ForwardBackward(y), 0, $"step {step}: loss");
            KernelTestCases.AssertBitEqual(apart.Gradients, fused.Gradients, $"step {step}: gradients");
            if (ledgers is null)
            {
                Assert.AreEqual(apart.Ledger.ToString(), fused.Ledger.ToString(), $"step {step}: the same bytes kept per layer");
                Assert.AreEqual(apart.Ledger.PeakRetainedBytes, fused.Ledger.PeakRetainedBytes, $"step {step}: the same peak");
            }
            else
            {
                ledgers(step);
            }

            Assert.IsTrue(someNonZero(fused.Gradients), what);
        }
    }

    /// <summary>
    /// Scores 37 rows of features in [−1, 1) with both networks: the same outputs to the bit, and not all zero (so the
    /// comparison is not of zeros).
    /// </summary>
    public static void AssertSameScores(Network apart, Network fused)
    {
        const int rows = 37;
        var random = new Random(9);
        float[] x = [.. Enumerable.Range(0, rows * fused.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] scoredFused = new float[rows * fused.OutputSize], scoredApart = new float[rows * fused.OutputSize];
        fused.CreateScorer().Score(x, rows, scoredFused);
        apart.CreateScorer().Score(x, rows, scoredApart);
        KernelTestCases.AssertBitEqual(scoredApart, scoredFused, "scored outputs");
        Assert.IsTrue(scoredFused.Any(v => v != 0), "the scores are not all zero");
    }
}
