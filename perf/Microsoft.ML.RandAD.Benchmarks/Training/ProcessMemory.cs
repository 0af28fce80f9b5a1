namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>Resident memory of this process from /proc (Linux): current and peak (VmHWM).</summary>
internal static class ProcessMemory
{
    public static long CurrentBytes() => Read("VmRSS:") ?? Environment.WorkingSet;

    public static long PeakBytes() => Read("VmHWM:") ?? System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;

    private static long? Read(string key)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }

        foreach (string line in File.ReadLines(status))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return null;
    }
}
