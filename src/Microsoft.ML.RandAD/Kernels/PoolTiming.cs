using System.Diagnostics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Where the threads of <see cref="WorkerPool"/> spend a stretch of work (set <see cref="WorkerPool.Timing"/>, run, read):
/// how many calls were spread over the threads, how long the calling thread spent in them, how long it then waited for
/// the workers' last parts, and how long the workers waited for the next call. With two threads, the calling thread's
/// time outside the calls plus its waits at their ends is time one core works alone.
/// </summary>
internal sealed class PoolTiming
{
    private long _dispatches;
    private long _dispatchTicks;
    private long _waitTicks;
    private long _workerIdleTicks;

    /// <summary>Calls spread over the threads.</summary>
    public long Dispatches => Volatile.Read(ref _dispatches);

    /// <summary>The calling thread inside those calls, from the dispatch to the last part's end.</summary>
    public TimeSpan InCalls => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _dispatchTicks));

    /// <summary>The part of <see cref="InCalls"/> the calling thread spent waiting, its own parts done, for the workers'.</summary>
    public TimeSpan WaitingForWorkers => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _waitTicks));

    /// <summary>The workers between calls (summed over workers): the end of their last part to the next call's start.</summary>
    public TimeSpan WorkersIdle => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _workerIdleTicks));

    internal void AddDispatch(long ticks, long waitTicks)
    {
        Interlocked.Increment(ref _dispatches);
        Interlocked.Add(ref _dispatchTicks, ticks);
        Interlocked.Add(ref _waitTicks, waitTicks);
    }

    internal void AddWorkerIdle(long ticks) => Interlocked.Add(ref _workerIdleTicks, ticks);
}
