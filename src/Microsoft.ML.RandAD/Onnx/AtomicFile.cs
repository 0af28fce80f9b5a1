namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Writes a file all or nothing: into a temporary file in the same folder (same volume, so the final rename is
/// atomic), flushed to disk, then renamed over the target. On any failure the temporary file is deleted and an
/// existing file at the target is left as it was.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string target = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{path}' is not a file path.", nameof(path));
        if (Directory.Exists(target))
        {
            throw new IOException($"Cannot write '{target}': it is a directory.");
        }

        string temporary = TemporaryPathFor(target, folder);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>A hidden name next to the target, unique per call: <c>.name.{random}.tmp</c>.</summary>
    internal static string TemporaryPathFor(string target, string folder) =>
        Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Best effort: the original failure is what the caller needs to see.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
