using System.Diagnostics;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// An exclusive lock on a file next to the cache, so that when the test runner and a sample start together
/// only one of them downloads and converts; the other waits and then reads the finished cache. .NET takes
/// an OS lock for <see cref="FileShare.None"/> (flock on Unix), which the OS drops when the holder dies, so a
/// crashed fetch never leaves a stale lock behind. Correctness does not depend on it: the cache is written
/// by atomic rename anyway.
/// </summary>
internal sealed class CacheLock : IDisposable
{
    private readonly FileStream stream;

    private CacheLock(FileStream stream) => this.stream = stream;

    public static CacheLock Acquire(string lockPath, TimeSpan timeout, Action<string> report)
    {
        var waited = Stopwatch.StartNew();
        bool reported = false;
        while (true)
        {
            try
            {
                return new CacheLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (e is not DirectoryNotFoundException)
            {
                if (waited.Elapsed >= timeout)
                    throw new DataSetUnavailableException(
                        $"Waited {timeout.TotalSeconds:F0} s for another process to finish fetching data into the same cache " +
                        $"(lock file {lockPath}). If no other RandAD process is running, delete that file and try again.", e);
                if (!reported)
                {
                    report($"waiting for another process that is fetching into the same cache (lock file {lockPath})");
                    reported = true;
                }
                Thread.Sleep(200);
            }
        }
    }

    // The lock file itself stays: deleting it would race with a process that just opened it.
    public void Dispose() => stream.Dispose();
}
