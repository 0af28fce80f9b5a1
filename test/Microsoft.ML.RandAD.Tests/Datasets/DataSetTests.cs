using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

[TestClass]
public sealed class DataSetTests
{
    private static DataSet Encoded(int count = 6, int height = 3, int width = 2)
    {
        var random = new Random(4);
        byte[] codes = [.. Enumerable.Range(0, count * height * width).Select(_ => (byte)random.Next(256))];
        byte[] labels = [.. Enumerable.Range(0, count).Select(i => (byte)(i % 3))];
        float[] palette = [.. Enumerable.Range(0, 256).Select(k => k / 255f)];
        return new DataSet("encoded", codes, palette, labels, height, width, classCount: 3);
    }

    [TestMethod]
    public void EncodedImagesDecodeLikeTheirFloatArray()
    {
        DataSet encoded = Encoded();
        Assert.IsTrue(encoded.IsEncoded);
        long codeBytes = encoded.PixelBytes;
        double meanFromCodes = encoded.PixelMean();
        var image = new float[encoded.FeatureLength];
        var fromCopies = new List<float>();
        for (int i = 0; i < encoded.Count; i++)
        {
            encoded.CopyImage(i, image);
            fromCopies.AddRange(image);
        }

        Assert.AreEqual(codeBytes, encoded.PixelBytes, "CopyImage must not decode the whole data set");
        CollectionAssert.AreEqual(fromCopies, encoded.Features, "CopyImage and Features agree");
        Assert.AreEqual(codeBytes + (4L * encoded.Features.Length), encoded.PixelBytes, "Features is decoded once and kept");
        Assert.AreEqual(meanFromCodes, encoded.PixelMean(), "the mean is the same from codes and from floats");

        var floats = new DataSet("floats", encoded.Features, encoded.Labels, encoded.ImageHeight, encoded.ImageWidth, 3);
        Assert.IsFalse(floats.IsEncoded);
        Assert.AreEqual(meanFromCodes, floats.PixelMean());
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void EveryCodeDecodesToItsPaletteEntry(bool byteOver255)
    {
        // One 16×16 image holding every code. The k/255 palette decodes by conversion and division, any other by lookup.
        byte[] codes = [.. Enumerable.Range(0, 256).Select(k => (byte)(255 - k))];
        float[] palette = [.. Enumerable.Range(0, 256).Select(k => k / 255f)];
        if (!byteOver255)
        {
            palette[200] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(palette[200]) + 1);
        }

        var set = new DataSet("every code", codes, palette, [0], 16, 16, classCount: 1);
        var image = new float[256];
        set.CopyImage(0, image);
        for (int p = 0; p < codes.Length; p++)
        {
            Assert.AreEqual(BitConverter.SingleToInt32Bits(palette[codes[p]]), BitConverter.SingleToInt32Bits(image[p]), $"code {codes[p]}");
        }
    }

    [TestMethod]
    [DataRow("k/255")]
    [DataRow("palette")]
    [DataRow("floats")]
    public void ImagesAtIndicesAreTheImagesOneByOne(string kind)
    {
        DataSet encoded = Encoded(count: 9);
        DataSet set = kind switch
        {
            "k/255" => encoded,
            "palette" => new DataSet("palette", encoded.Take(9).Features.Select(p => (byte)MathF.Round(p * 255)).ToArray(),
                [.. Enumerable.Range(0, 256).Select(k => k * 0.001f)], encoded.Labels, encoded.ImageHeight, encoded.ImageWidth, 3),
            _ => new DataSet("floats", encoded.Take(9).Features, encoded.Labels, encoded.ImageHeight, encoded.ImageWidth, 3),
        };
        int[] indices = [7, 2, 2, 8, 0, 5];
        int d = set.FeatureLength;
        float[] expected = new float[indices.Length * d], actual = new float[(indices.Length * d) + 3];
        for (int r = 0; r < indices.Length; r++)
        {
            set.CopyImage(indices[r], expected.AsSpan(r * d, d));
        }

        actual.AsSpan(indices.Length * d).Fill(-1f);
        long pixelBytes = set.PixelBytes;
        set.CopyImages(indices, actual);
        CollectionAssert.AreEqual(expected, actual.AsSpan(0, indices.Length * d).ToArray(), kind);
        Assert.IsTrue(actual.AsSpan(indices.Length * d).ToArray().All(v => v == -1f), "nothing written past the images");
        Assert.AreEqual(pixelBytes, set.PixelBytes, "the data set is not decoded whole");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => set.CopyImages([1, 9], new float[2 * d]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => set.CopyImages([1, 2], new float[(2 * d) - 1]));
    }

    [TestMethod]
    public void TakeKeepsTheCodes()
    {
        DataSet encoded = Encoded();
        DataSet first = encoded.Take(4);
        Assert.IsTrue(first.IsEncoded);
        CollectionAssert.AreEqual(encoded.Features.AsSpan(0, 4 * encoded.FeatureLength).ToArray(), first.Features);
    }

    [TestMethod]
    public void CodesPastThePaletteAreRejected()
    {
        byte[] codes = [0, 1, 2, 5];
        var error = Assert.ThrowsExactly<ArgumentException>(() => new DataSet("bad", codes, [0f, 0.5f, 1f], [0], 2, 2, classCount: 1));
        StringAssert.Contains(error.Message, "pixel code 5");
    }
}
