using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

[TestClass]
public sealed class IdxFilesTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void WriteThenLoadRoundTripsExactly(bool compress)
    {
        using var folder = new TempFolder();
        DataSplit original = SyntheticSplit(trainCount: 30, testCount: 7, height: 5, width: 4);

        IdxFiles.Write(original, folder.Path, compress);
        DataSplit loaded = IdxFiles.Load(folder.Path, "synthetic", classCount: 3);

        string suffix = compress ? ".gz" : "";
        Assert.IsTrue(File.Exists(folder.File(IdxFiles.TrainImages + suffix)));
        Assert.IsFalse(loaded.IsCanonicalSplit);
        StringAssert.Contains(loaded.Source, "own train/t10k split");
        foreach ((DataSet expected, DataSet actual) in new[] { (original.Train, loaded.Train), (original.Test, loaded.Test) })
        {
            Assert.AreEqual(expected.ImageHeight, actual.ImageHeight);
            Assert.AreEqual(expected.ImageWidth, actual.ImageWidth);
            CollectionAssert.AreEqual(expected.Labels, actual.Labels);
            Assert.IsTrue(expected.Features.AsSpan().SequenceEqual(actual.Features), "pixels k/255 survive exactly");
        }
    }

    [TestMethod]
    public void MissingFilesAreAllNamed()
    {
        using var folder = new TempFolder();
        IdxFiles.Write(SyntheticSplit(4, 2), folder.Path);
        File.Delete(folder.File(IdxFiles.TestLabels));

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => IdxFiles.Load(folder.Path));

        StringAssert.Contains(error.Message, IdxFiles.TestLabels);
        StringAssert.Contains(error.Message, folder.Path);
        Assert.IsFalse(IdxFiles.Exists(folder.Path));
    }

    [TestMethod]
    public void BadMagicNumberIsReported()
    {
        using var folder = new TempFolder();
        IdxFiles.Write(SyntheticSplit(4, 2), folder.Path);
        byte[] images = File.ReadAllBytes(folder.File(IdxFiles.TrainImages));
        BinaryPrimitives.WriteInt32BigEndian(images, 0x12345678);
        File.WriteAllBytes(folder.File(IdxFiles.TrainImages), images);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => IdxFiles.Load(folder.Path));

        StringAssert.Contains(error.Message, IdxFiles.TrainImages);
        StringAssert.Contains(error.Message, "magic number is 0x12345678, expected 0x00000803");
    }

    [TestMethod]
    public void SwappedImagesAndLabelsAreRecognised()
    {
        using var folder = new TempFolder();
        IdxFiles.Write(SyntheticSplit(4, 2), folder.Path);
        File.Copy(folder.File(IdxFiles.TestLabels), folder.File(IdxFiles.TestImages), overwrite: true);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => IdxFiles.Load(folder.Path));

        StringAssert.Contains(error.Message, "images and labels swapped?");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void TruncatedImagesAreReported(bool compress)
    {
        using var folder = new TempFolder();
        IdxFiles.Write(SyntheticSplit(10, 2, height: 3, width: 3), folder.Path);
        byte[] images = File.ReadAllBytes(folder.File(IdxFiles.TrainImages));
        byte[] truncated = images[..^5];
        string path = folder.File(IdxFiles.TrainImages + (compress ? ".gz" : ""));
        File.Delete(folder.File(IdxFiles.TrainImages));
        File.WriteAllBytes(path, compress ? Gzip(truncated) : truncated);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => IdxFiles.Load(folder.Path));

        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "truncated: its header declares 10 images of 3×3 (90 bytes after the header) but only 85 follow");
    }

    [TestMethod]
    public void TruncatedHeaderIsReported()
    {
        using var folder = new TempFolder();
        IdxFiles.Write(SyntheticSplit(4, 2), folder.Path);
        File.WriteAllBytes(folder.File(IdxFiles.TrainLabels), [0, 0, 8, 1, 0]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => IdxFiles.Load(folder.Path));

        StringAssert.Contains(error.Message, "truncated: 5 bytes, shorter than the 8-byte IDX header of labels");
    }

    [TestMethod]
    public void ExtraBytesLabelMismatchAndLabelRangeAreReported()
    {
        using var folder = new TempFolder();
        IdxFiles.Write(SyntheticSplit(4, 2), folder.Path);
        string labels = folder.File(IdxFiles.TrainLabels);
        byte[] good = File.ReadAllBytes(labels);

        File.WriteAllBytes(labels, [.. good, 0]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IdxFiles.Load(folder.Path)).Message, "longer than its header declares");

        byte[] fewer = good[..^1];
        BinaryPrimitives.WriteInt32BigEndian(fewer.AsSpan(4), 3);
        File.WriteAllBytes(labels, fewer);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IdxFiles.Load(folder.Path)).Message, "holds 3 labels but");

        byte[] outOfRange = (byte[])good.Clone();
        outOfRange[8 + 2] = 10;
        File.WriteAllBytes(labels, outOfRange);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IdxFiles.Load(folder.Path)).Message,
            "label 10 at index 2 is not below the class count 10");
    }

    [TestMethod]
    public void FashionMnistUsesIdxFilesInTheCacheFolderWithoutNpm()
    {
        using var cache = new TempFolder();
        var options = new DataSetOptions { CacheDirectory = cache.Path, NpmCommand = cache.File("no-such-npm") };
        IdxFiles.Write(SyntheticSplit(12, 5, classCount: 10), FashionMnist.IdxFolder(options), compress: true);

        DataSplit split = FashionMnist.Load(options);

        Assert.AreEqual(12, split.Train.Count);
        Assert.AreEqual(5, split.Test.Count);
        Assert.IsFalse(split.IsCanonicalSplit);
        Assert.AreEqual("Ankle boot", split.Train.ClassNames[9]);
    }

    /// <summary>Pixels on the k/255 grid, labels cycling through the classes.</summary>
    private static DataSplit SyntheticSplit(int trainCount, int testCount, int height = 28, int width = 28, int classCount = 3)
    {
        DataSet Part(string name, int count, int salt)
        {
            var features = new float[count * height * width];
            for (int i = 0; i < features.Length; i++)
                features[i] = (i * 31 + salt) % 256 / 255f;
            byte[] labels = Enumerable.Range(0, count).Select(i => (byte)((i + salt) % classCount)).ToArray();
            return new DataSet(name, features, labels, height, width, classCount);
        }
        return new DataSplit("synthetic", Part("synthetic train", trainCount, 1), Part("synthetic test", testCount, 2), "test", false);
    }

    private static byte[] Gzip(byte[] contents)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(contents);
        return compressed.ToArray();
    }
}
