using System.Runtime.CompilerServices;
namespace Microsoft.ML.RandAD.Kernels;

/// <summary>A piece of work split into numbered parts that may run on different threads.</summary>
/// <remarks>
/// A part's result must depend only on its index, never on which thread runs it, so results stay
/// bit-identical for a given part count whatever the scheduling.
/// </remarks>
internal interface IParallelWork
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="partCount"/>.</summary>
    void Run(int part, int partCount);
}

/// <summary>A kernel job over a range of items (elements, rows, images…) that <see cref="WorkerPool.RunRanges{TJob}(ref TJob, int, int)"/> splits into parts.</summary>
internal interface IRangeJob
{
    /// <summary>Processes items [first, first + count).</summary>
    void RunRange(int first, int count);
}

/// <summary>
/// Persistent worker threads shared by every parallel kernel: threads start once, then wait for work,
/// so a call pays a wake-up (a spin most of the time), never a thread start, and allocates nothing.
/// </summary>
/// <remarks>
/// The calling thread takes parts too. Parts are claimed with an interlocked counter, so a late worker
/// costs nothing. Nested calls (work that itself calls <c>Run</c>) and calls from a second thread while
/// the pool is busy run inline on the caller, which keeps the pool free of deadlocks.
/// </remarks>
internal static unsafe class WorkerPool
{
    // Wait this long for the next call before blocking: covers the gap between consecutive kernels of a
    // training step (tens of microseconds) without burning a core when the engine is idle.
    private static readonly long s_spinTicks = System.Diagnostics.Stopwatch.Frequency / 500; // 2 ms

    private static readonly object s_gate = new();
    private static readonly List<Worker> s_workers = [];

    [ThreadStatic]
    private static bool t_insidePool;

    /// <summary>
    /// Threads a kernel called here can use: <see cref="KernelSettings.ThreadCount"/>, or 1 inside a part that is
    /// already running on the pool (its nested parts would run inline anyway, so a kernel should not split for them).
    /// </summary>
    public static int AvailableThreads => t_insidePool ? 1 : KernelSettings.ThreadCount;

    private static IParallelWork? s_work;
    private static delegate*<void*, int, int, void> s_function;
    private static void* s_context;
    private static int s_partCount;
    private static int s_pending;
    private static int s_generation;

    // (generation << 32) | next part index: a part is claimed only if the generation still matches,
    // so a worker that wakes late can never take a part of the next call with this call's count.
    private static long s_ticket;

    // Workers numbered above this sit a call out and sleep: it is the calling thread's ThreadCount − 1, so a call runs on
    // at most ThreadCount threads even after the pool grew for an earlier call that had more (a trainer's NumberOfThreads).
    private static int s_limit;
    private static Exception? s_failure;

    /// <summary>When set, every dispatch and every worker's wait between calls adds its time here (a benchmark's profile); null, the default, costs a field read per call.</summary>
    internal static PoolTiming? Timing { get; set; }

    /// <summary>Runs <paramref name="partCount"/> parts of <paramref name="work"/> over up to <see cref="KernelSettings.ThreadCount"/> threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run(IParallelWork work, int partCount)
    {
        if (partCount <= 0)
        {
            return;
        }

        int threads = KernelSettings.ThreadCount;
        if (partCount == 1 || threads == 1 || t_insidePool || !Monitor.TryEnter(s_gate))
        {
            for (int p = 0; p < partCount; p++)
            {
                work.Run(p, partCount);
            }

            return;
        }

        try
        {
            s_work = work;
            s_function = null;
            Dispatch(partCount, threads, alongside: null);
        }
        finally
        {
            s_work = null;
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>Allocation-free variant for kernels: calls <paramref name="function"/>(context, part, partCount).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run(delegate*<void*, int, int, void> function, void* context, int partCount) =>
        Run(function, context, partCount, alongside: null);

    /// <summary>
    /// The allocation-free <c>Run</c> above while the calling thread first runs
    /// <paramref name="alongside"/> (work that shares nothing with the parts, e.g. reading the next minibatch during the
    /// optimizer's update), then takes whatever parts are left: the workers start on the parts at once. Kernels that
    /// <paramref name="alongside"/> calls run inline on the calling thread. With one thread, or when the pool cannot be had,
    /// the parts run first, then <paramref name="alongside"/>. An exception from it is thrown once every part has run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run(delegate*<void*, int, int, void> function, void* context, int partCount, Action? alongside)
    {
        int threads = KernelSettings.ThreadCount;
        if (partCount <= 0 || (partCount == 1 && alongside is null) || threads == 1 || t_insidePool || !Monitor.TryEnter(s_gate))
        {
            for (int p = 0; p < partCount; p++)
            {
                function(context, p, partCount);
            }

            alongside?.Invoke();
            return;
        }

        try
        {
            s_function = function;
            s_context = context;
            Dispatch(partCount, threads, alongside);
        }
        finally
        {
            s_function = null;
            s_context = null;
            Monitor.Exit(s_gate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Dispatch(int partCount, int threads, Action? alongside)
    {
        PoolTiming? timing = Timing;
        long start = timing is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();

        // With work of its own for the calling thread, every part may go to the workers.
        int helpers = Math.Min(threads - 1, alongside is null ? partCount - 1 : partCount);
        EnsureThreads(helpers);

        // The new ticket first: a worker still in DrainParts after the last call (its last part done, looking for another)
        // holds that call's ticket, and its claim must fail before it can see this call's part count. With the count written
        // first, such a worker could take "part n" of the old ticket (n = the old count, below the new one) and run this call's
        // part n a second time, its decrement letting the call return before its own last part ended.
        int generation = s_generation + 1;
        Interlocked.Exchange(ref s_ticket, (long)generation << 32);
        s_failure = null;
        s_partCount = partCount;
        s_pending = partCount;
        s_limit = threads - 1;
        Interlocked.Exchange(ref s_generation, generation); // publishes the fields above to spinning workers

        // Wake the first `helpers` workers that sleep (a spinning one sees the generation by itself). The exchange pairs
        // with the worker's own before it checks the generation, so one of the two always sees the other's write.
        for (int i = 0; i < helpers; i++)
        {
            Worker worker = s_workers[i];
            if (Volatile.Read(ref worker.Asleep) == 1 && Interlocked.Exchange(ref worker.Asleep, 0) == 1)
            {
                worker.Wake.Release();
            }
        }

        Exception? aside = null;
        t_insidePool = true;
        try
        {
            if (alongside is not null)
            {
                try
                {
                    alongside();
                }
                catch (Exception e)
                {
                    aside = e; // thrown once the parts are done: they may still be running on the workers
                }
            }

            DrainParts(generation);
        }
        finally
        {
            t_insidePool = false;
        }

        long drained = timing is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_pending) > 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (timing is not null)
        {
            long end = System.Diagnostics.Stopwatch.GetTimestamp();
            timing.AddDispatch(end - start, end - drained);
        }

        if ((s_failure ?? aside) is Exception failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void DrainParts(int generation)
    {
        while (true)
        {
            long ticket = Volatile.Read(ref s_ticket);
            int count = Volatile.Read(ref s_partCount);
            int part = (int)(ticket & 0xFFFF_FFFF);
            if ((int)(ticket >> 32) != generation || part >= count)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref s_ticket, ticket + 1, ticket) != ticket)
            {
                continue;
            }

            try
            {
                if (s_work is IParallelWork work)
                {
                    work.Run(part, count);
                }
                else
                {
                    s_function(s_context, part, count);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref s_failure, e, null);
            }
            finally
            {
                Interlocked.Decrement(ref s_pending);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void EnsureThreads(int helpers)
    {
        while (s_workers.Count < helpers)
        {
            var worker = new Worker(s_workers.Count + 1);
            var thread = new Thread(worker.Loop)
            {
                IsBackground = true,
                Name = $"RandAD worker {worker.Number}",
            };
            s_workers.Add(worker);
            thread.Start();
        }
    }

    /// <summary>A pool thread: its number (1, 2, …) and its own wake-up, so a call wakes exactly the workers it may use.</summary>
    private sealed class Worker(int number)
    {
        public readonly SemaphoreSlim Wake = new(0);

        /// <summary>1 while the worker sleeps (or is about to); a dispatcher sets it to 0 when it wakes the worker.</summary>
        public int Asleep;

        public int Number { get; } = number;

        public void Loop()
        {
            t_insidePool = true;
            int seen = Volatile.Read(ref s_generation);
            bool satOut = false;
            while (true)
            {
                // SpinWait spins briefly, then yields the core (sched_yield / SwitchToThread) between checks. A
                // pure spin would hold the core for a whole time slice: when the machine is oversubscribed and the
                // caller's thread shares this core, the caller's own parts would then run at half speed or less.
                // A worker that sat the last call out sleeps at once: it is above the thread count in force.
                var spinner = new SpinWait();
                long idleFrom = Timing is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
                long deadline = satOut ? 0 : System.Diagnostics.Stopwatch.GetTimestamp() + s_spinTicks;
                int generation;
                while ((generation = Volatile.Read(ref s_generation)) == seen)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                        continue;
                    }

                    Interlocked.Exchange(ref Asleep, 1);
                    if (Volatile.Read(ref s_generation) == seen)
                    {
                        Wake.Wait();
                    }

                    // Woken, or saw the new call before sleeping. A wake-up released after this point stays in the semaphore
                    // and ends a later Wait early; the loop then only checks the generation again.
                    Interlocked.Exchange(ref Asleep, 0);
                    spinner.Reset();
                    deadline = System.Diagnostics.Stopwatch.GetTimestamp() + s_spinTicks;
                }

                seen = generation;
                if (idleFrom != 0 && Timing is PoolTiming timing)
                {
                    timing.AddWorkerIdle(System.Diagnostics.Stopwatch.GetTimestamp() - idleFrom);
                }

                satOut = Number > Volatile.Read(ref s_limit);
                if (!satOut)
                {
                    DrainParts(generation);
                }
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> over items [0, <paramref name="span"/>) in parts of <paramref name="perPart"/> items
    /// (the last one shorter), spread over the threads; on the calling thread alone when one part covers the span.
    /// </summary>
    public static void RunRanges<TJob>(ref TJob job, int span, int perPart)
        where TJob : unmanaged, IRangeJob =>
        RunRanges(ref job, span, perPart, alongside: null);

    /// <summary>
    /// <see cref="RunRanges{TJob}(ref TJob, int, int)"/> while the calling thread runs <paramref name="alongside"/> first (see the
    /// <c>Run</c> that takes one); then even a single part goes to a worker.
    /// </summary>
    public static void RunRanges<TJob>(ref TJob job, int span, int perPart, Action? alongside)
        where TJob : unmanaged, IRangeJob
    {
        if (alongside is null && (span <= perPart || perPart <= 0))
        {
            job.RunRange(0, span);
            return;
        }

        perPart = Math.Max(perPart, 1);
        int parts = (int)(((long)span + perPart - 1) / perPart);

        fixed (TJob* pointer = &job)
        {
            var ranges = new Ranges<TJob> { Job = pointer, Span = span, PerPart = perPart };
            Run(&RunRangePart<TJob>, &ranges, parts, alongside);
        }
    }

    private static void RunRangePart<TJob>(void* context, int part, int partCount)
        where TJob : unmanaged, IRangeJob
    {
        ref Ranges<TJob> ranges = ref *(Ranges<TJob>*)context;
        int first = part * ranges.PerPart;
        ranges.Job->RunRange(first, Math.Min(ranges.PerPart, ranges.Span - first));
    }

    private struct Ranges<TJob>
        where TJob : unmanaged
    {
        public TJob* Job;
        public int Span;
        public int PerPart;
    }
}
