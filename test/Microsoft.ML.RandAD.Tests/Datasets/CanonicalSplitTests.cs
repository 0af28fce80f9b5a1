using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

[TestClass]
public sealed class CanonicalSplitTests
{
    [TestMethod]
    public void SplitMix64MatchesTheReferenceGeneratorForSeedZero()
    {
        // Outputs of Vigna's splitmix64.c for seed 0.
        var random = new SplitMix64(0);
        Assert.AreEqual(0xE220A8397B1DCDAFUL, random.Next());
        Assert.AreEqual(0x6E789E6AA1B965F4UL, random.Next());
        Assert.AreEqual(0x06C45D188009454FUL, random.Next());
    }

    [TestMethod]
    public void PermutationOf70000MatchesDataMdCheckValues()
    {
        int[] permutation = CanonicalSplit.Permutation(70_000);

        CollectionAssert.AreEqual(new[] { 42267, 14907, 36411, 4443, 25397, 11198, 7176, 41097, 27039, 33315 }, permutation[..10]);
    }

    [TestMethod]
    public void PermutationHoldsEveryIndexOnce()
    {
        int[] permutation = CanonicalSplit.Permutation(10_000);

        CollectionAssert.AreEqual(Enumerable.Range(0, 10_000).ToArray(), permutation.Order().ToArray());
        CollectionAssert.AreEqual(permutation, CanonicalSplit.Permutation(10_000), "same seed, same permutation");
        CollectionAssert.AreNotEqual(permutation, CanonicalSplit.Permutation(10_000, seed: 43));
    }

    [TestMethod]
    public void Over255PaletteIsPixelOver255InFloatAndInDouble()
    {
        // DATA.md's "pixel/255 as float32" reads the same whether the division is done in float or in double.
        float[] palette = EncodedImages.Over255Palette();
        for (int k = 0; k < 256; k++)
        {
            Assert.AreEqual((float)(k / 255.0), palette[k], $"k = {k}");
            Assert.AreEqual(k, (int)MathF.Round(palette[k] * 255f), "IDX writing rounds back to k");
        }
    }
}
