using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>The epoch shuffle and the step seeds are part of what makes a run reproducible: pinned to their definitions.</summary>
[TestClass]
public sealed class SeededOrderTests
{
    [TestMethod]
    [DataRow(0UL, 0)]
    [DataRow(7UL, 0)]
    [DataRow(7UL, 3)]
    public void EpochOrderIsFisherYatesDrivenBySplitMix64OfTheSeedAndEpoch(ulong seed, int epoch)
    {
        const int rows = 1000;
        float[] index = [.. Enumerable.Range(0, rows).Select(i => (float)i)];
        var source = new InMemoryMinibatchSource(index, index, null, 1, seed: seed);
        source.StartEpoch(epoch);
        Assert.AreEqual(rows, source.NextBatch(rows));
        var order = new float[rows];
        source.FillTargets(order, default);

        int[] expected = [.. Enumerable.Range(0, rows)];
        ulong state = seed ^ (0xA0761D6478BD642FUL * (ulong)(epoch + 1));
        for (int i = rows - 1; i > 0; i--)
        {
            int j = (int)(Next(ref state) % (ulong)(i + 1));
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }

        CollectionAssert.AreEqual(expected.Select(i => (float)i).ToArray(), order);
    }

    [TestMethod]
    public void StepSeedIsSplitMix64OfTheNetworkSeedAndStep()
    {
        var network = Network.Create(NetworkSpec.Mlp(3, [2], 2, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 42);
        foreach (long step in new long[] { 0, 1, 1000 })
        {
            ulong state = 42UL ^ (0x5DEECE66DUL * (ulong)(step + 1));
            Assert.AreEqual(Next(ref state), network.StepSeedOf(step), $"step {step}");
        }
    }

    /// <summary>SplitMix64 as DATA.md writes it.</summary>
    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
