using System.Text;
using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

[TestClass]
public sealed class NpmJsonImagesTests
{
    [TestMethod]
    public void RowsOfBytesSkipsEmptyRowsAndKeepsOrder()
    {
        byte[] codes = NpmJsonImages.ParseRowsOfBytes(Utf8("{\"data\": [[1,2,3], [], [250,0,255]]}"), 3, "x.json");

        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 250, 0, 255 }, codes);
    }

    [TestMethod]
    [DataRow("{\"data\": [[1,2]]}", "x.json: data[0] has 2 values, expected 3.")]
    [DataRow("{\"data\": [[1,2,3,4]]}", "x.json: data[0] has more than 3 values.")]
    [DataRow("{\"data\": [[1,2,3],[1,256,3]]}", "x.json: data[1][1] is not an integer in 0..255.")]
    [DataRow("{\"data\": [[1,2.5,3]]}", "x.json: data[0][1] is not an integer in 0..255.")]
    [DataRow("{\"data\": [7]}", "x.json: data[0] is a Number, expected an array of pixel values.")]
    [DataRow("{\"pixels\": []}", "x.json: has no \"data\" array.")]
    [DataRow("{\"data\": [[1,2,3]", "x.json:")]
    public void RowsOfBytesRejectsMalformedInputNamingTheEntry(string json, string expected)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => NpmJsonImages.ParseRowsOfBytes(Utf8(json), 3, "x.json"));

        StringAssert.StartsWith(error.Message, expected);
    }

    [TestMethod]
    public void FlatFloatsKeepEachParsedFloat32Exactly()
    {
        var palette = new PaletteBuilder();

        byte[] codes = NpmJsonImages.ParseFlatFloats(Utf8("{\"data\": [0, 0.624, 1, 0.624, 0.2, 0]}"), 3, "d.json", palette);
        float[] values = palette.ToSortedPalette(out byte[] remap);

        CollectionAssert.AreEqual(new[] { 0f, 0.2f, 0.624f, 1f }, values);
        CollectionAssert.AreEqual(new[] { 0f, 0.624f, 1f, 0.624f, 0.2f, 0f }, codes.Select(c => values[remap[c]]).ToArray());
    }

    [TestMethod]
    [DataRow("{\"data\": [0, 1.5, 0]}", "d.json: data[1] is not a number in [0, 1].")]
    [DataRow("{\"data\": [0, 0.5]}", "d.json: holds 2 values, not a multiple of 3 pixels per image.")]
    public void FlatFloatsRejectsMalformedInput(string json, string expected)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => NpmJsonImages.ParseFlatFloats(Utf8(json), 3, "d.json", new PaletteBuilder()));

        StringAssert.StartsWith(error.Message, expected);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
