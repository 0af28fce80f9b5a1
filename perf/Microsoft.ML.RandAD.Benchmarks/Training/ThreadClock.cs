using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>). On a machine shared with other jobs the wall
/// time of a single-threaded step includes whatever ran while the thread was descheduled; its CPU time does not, so
/// single-thread comparisons use both. Elsewhere it falls back to the wall clock.
/// </summary>
internal static unsafe partial class ThreadClock
{
    private const int ThreadCpuTimeId = 3;

    private static readonly bool s_available = OperatingSystem.IsLinux() && TryRead(out _);

    /// <summary>Whether <see cref="Seconds"/> reads thread CPU time (otherwise wall time).</summary>
    public static bool IsThreadCpuTime => s_available;

    /// <summary>Ticks of <see cref="Ticks"/> per second.</summary>
    public static long TicksPerSecond => s_available ? 1_000_000_000 : Stopwatch.Frequency;

    /// <summary>Seconds of CPU the calling thread has used (an arbitrary origin).</summary>
    public static double Seconds() => Ticks() / (double)TicksPerSecond;

    /// <summary>Nanoseconds of CPU the calling thread has used (Stopwatch ticks of wall time where unavailable).</summary>
    public static long Ticks() => s_available && TryRead(out long nanoseconds) ? nanoseconds : Stopwatch.GetTimestamp();

    private static bool TryRead(out long nanoseconds)
    {
        TimeSpec time;
        bool ok = clock_gettime(ThreadCpuTimeId, &time) == 0;
        nanoseconds = (time.Seconds * 1_000_000_000) + time.Nanoseconds;
        return ok;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clock, TimeSpec* time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
