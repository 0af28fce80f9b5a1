using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>The worker pool: every part runs once, failures surface, and idle workers give their core away.</summary>
[TestClass]
[DoNotParallelize] // KernelSettings and thread affinities are process-wide.
public sealed class WorkerPoolTests
{
    [TestMethod]
    public void EveryPartRunsExactlyOnce()
    {
        using (KernelSettings.Use(KernelSettings.Path, threads: 2))
        {
            for (int parts = 1; parts <= 9; parts++)
            {
                var work = new CountingWork(parts);
                WorkerPool.Run(work, parts);
                CollectionAssert.AreEqual(Enumerable.Repeat(1, parts).ToArray(), work.Counts, $"{parts} parts");
            }
        }
    }

    /// <summary>
    /// Calls back to back whose part counts alternate between small and large: a worker that finished the last part of one
    /// call and looks for another must not take a part of the next (it once could, for a moment, when the next call's larger
    /// count was visible before its new ticket: that part then ran twice and the call could return before its last part ended,
    /// a rare wrong gradient in the tests of two-thread steps). Every part of every call runs exactly once before the call returns.
    /// </summary>
    [TestMethod]
    public void BackToBackCallsOfGrowingPartCountsRunEveryPartOnce()
    {
        using (KernelSettings.Use(KernelSettings.Path, threads: 2))
        {
            int[] partCounts = [1, 2, 9, 2, 3, 16, 2, 5];
            for (int call = 0; call < 200_000; call++)
            {
                int parts = partCounts[call % partCounts.Length];
                var work = new CountingWork(parts);
                WorkerPool.Run(work, parts);
                for (int p = 0; p < parts; p++)
                {
                    if (work.Counts[p] != 1)
                    {
                        Assert.Fail($"call {call} of {parts} parts: part {p} ran {work.Counts[p]} times by its return");
                    }
                }
            }
        }
    }

    [TestMethod]
    public void PartFailureIsRethrownToTheCaller()
    {
        using (KernelSettings.Use(KernelSettings.Path, threads: 2))
        {
            var failure = Assert.ThrowsExactly<InvalidOperationException>(() => WorkerPool.Run(new FailingWork(), 4));
            Assert.AreEqual("part 3", failure.Message);
            var work = new CountingWork(4);
            WorkerPool.Run(work, 4);
            CollectionAssert.AreEqual(new[] { 1, 1, 1, 1 }, work.Counts, "the pool keeps working after a failure");
        }
    }

    /// <summary>
    /// Work the calling thread does alongside a call (the training loop's next minibatch during the optimizer's update): it runs
    /// once, on the calling thread, with kernels it calls running inline there (unless there are no parts); every part still runs once, on one thread or
    /// two, one part or many (a single part goes to the worker). With two threads a worker runs parts while the caller's work
    /// runs: that work waits for a part to start, which only another thread can then do.
    /// </summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public unsafe void WorkAlongsideRunsOnceOnTheCallerWhileThePartsRun(int threads)
    {
        using (KernelSettings.Use(KernelSettings.Path, threads))
        {
            foreach ((int span, int perPart) in new[] { (0, 4), (3, 4), (4, 4), (13, 4), (64, 1) })
            {
                int[] counts = new int[Math.Max(span, 1)];
                int caller = Environment.CurrentManagedThreadId, alongsideRuns = 0, innerAvailable = 0;
                bool partSeen = false;
                s_partStarted.Reset();
                fixed (int* c = counts)
                {
                    var job = new CountingRanges { Counts = c };
                    WorkerPool.RunRanges(ref job, span, perPart, () =>
                    {
                        alongsideRuns++;
                        Assert.AreEqual(caller, Environment.CurrentManagedThreadId, "the work alongside runs on the calling thread");
                        innerAvailable = WorkerPool.AvailableThreads;
                        partSeen = span == 0 || s_partStarted.Wait(5000);
                    });
                }

                Assert.AreEqual(1, alongsideRuns, $"span {span}: the work alongside runs once");
                Assert.AreEqual(span == 0 ? threads : 1, innerAvailable, "kernels called alongside parts run inline (with no parts, on every thread)");
                Assert.IsTrue(partSeen, $"span {span}: a part ran while the caller's work ran");
                CollectionAssert.AreEqual(Enumerable.Repeat(span > 0 ? 1 : 0, counts.Length).ToArray(), counts, $"span {span}, {perPart} a part: every item once");
            }
        }
    }

    /// <summary>An exception from the work alongside reaches the caller once every part has run; the pool works on afterwards.</summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public unsafe void AnExceptionAlongsideComesAfterTheParts(int threads)
    {
        using (KernelSettings.Use(KernelSettings.Path, threads))
        {
            int[] counts = new int[40];
            fixed (int* c = counts)
            {
                var job = new CountingRanges { Counts = c, Delay = true };
                var failure = Assert.ThrowsExactly<InvalidOperationException>(() => WorkerPool.RunRanges(ref job, 40, 4, () => throw new InvalidOperationException("alongside")));
                Assert.AreEqual("alongside", failure.Message);
            }

            CollectionAssert.AreEqual(Enumerable.Repeat(1, 40).ToArray(), counts, "every part ran before the exception came out");
            var work = new CountingWork(4);
            WorkerPool.Run(work, 4);
            CollectionAssert.AreEqual(new[] { 1, 1, 1, 1 }, work.Counts, "the pool keeps working after a failure");
        }
    }

    /// <summary>
    /// <see cref="WorkerPool.Timing"/> counts the calls spread over the threads and splits the time: a call whose worker part
    /// sleeps 50 ms while the caller's returns at once has the caller waiting at its end, and a caller that sleeps 60 ms
    /// between two calls leaves the worker idle that long. Lower bounds only, each with 5–10 ms for the scheduler (a caller
    /// descheduled after seeing the worker start begins its wait late): a slow machine can only add time.
    /// </summary>
    [TestMethod]
    public void TimingSplitsTheCallersWaitFromTheWorkersIdleTime()
    {
        using (KernelSettings.Use(KernelSettings.Path, threads: 2))
        {
            WorkerPool.Run(new CountingWork(2), 2); // the worker exists and is waiting for the next call
            var timing = new PoolTiming();
            WorkerPool.Timing = timing;
            try
            {
                WorkerPool.Run(new CountingWork(1), 1); // one part runs on the caller: not spread, not counted
                WorkerPool.Run(new WorkerSleepsWork(Environment.CurrentManagedThreadId), 2);
                Thread.Sleep(60);
                WorkerPool.Run(new WorkerSleepsWork(Environment.CurrentManagedThreadId), 2);
            }
            finally
            {
                WorkerPool.Timing = null;
            }

            Assert.AreEqual(2, timing.Dispatches);
            Assert.IsGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90), timing.WaitingForWorkers, "the caller waited for two 50 ms worker parts");
            Assert.IsGreaterThanOrEqualTo(timing.WaitingForWorkers, timing.InCalls);
            Assert.IsGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(50), timing.WorkersIdle, "the worker waited through the caller's 60 ms");
        }
    }

    /// <summary>
    /// A call uses at most the calling thread's <see cref="KernelSettings.ThreadCount"/>, even after the pool grew for a
    /// call that had more: a trainer's NumberOfThreads limits its fit this way. Workers above the count sit the call out.
    /// </summary>
    [TestMethod]
    public void ACallRunsOnAtMostTheCallersThreadCount()
    {
        using (KernelSettings.Use(KernelSettings.Path, threads: 4))
        {
            for (int call = 0; call < 10; call++)
            {
                var wide = new ThreadRecordingWork(16);
                WorkerPool.Run(wide, 16); // the pool has three workers, all spinning for the next call when this one ends
                CollectionAssert.AreEqual(Enumerable.Repeat(1, 16).ToArray(), wide.Counts);
                foreach (int threads in new[] { 2, 1 })
                {
                    var limited = new ThreadRecordingWork(16);
                    using (KernelSettings.UseThreadsOnThisThread(threads))
                    {
                        WorkerPool.Run(limited, 16);
                    }

                    CollectionAssert.AreEqual(Enumerable.Repeat(1, 16).ToArray(), limited.Counts, $"call {call}, {threads} threads: every part once");
                    Assert.IsLessThanOrEqualTo(threads, limited.Threads.Count, $"call {call}: {limited.Threads.Count} threads ran parts under a count of {threads}");
                }
            }

            var again = new ThreadRecordingWork(16);
            WorkerPool.Run(again, 16);
            CollectionAssert.AreEqual(Enumerable.Repeat(1, 16).ToArray(), again.Counts, "the workers that sat out come back");
        }
    }

    /// <summary>
    /// With the caller and the workers on one core (what an oversubscribed machine does to them), a worker
    /// waiting for the next call must yield the core: the caller's serial work between calls, and its own
    /// parts, then run at full speed. A worker that spins through its time slice made this several times slower.
    /// </summary>
    [TestMethod]
    public void IdleWorkersYieldTheCoreToTheCaller()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("Pins threads with sched_setaffinity (Linux only).");
        }

        ulong[] original = new ulong[16];
        Assert.AreEqual(0, SchedGetAffinity(0, original.Length * sizeof(ulong), original));
        int cpu = Enumerable.Range(0, 64).First(c => (original[0] & (1UL << c)) != 0);
        ulong[] single = new ulong[16];
        single[0] = 1UL << cpu;
        try
        {
            // Pin the caller and every pool worker (each part pins the thread that runs it; the barrier makes
            // sure three different threads run the three parts).
            Assert.AreEqual(0, SchedSetAffinity(0, single.Length * sizeof(ulong), single));
            using (KernelSettings.Use(KernelSettings.Path, threads: 3))
            {
                WorkerPool.Run(new PinningWork(single, 3), 3);
            }

            // Serial and pooled attempts alternate, so a burst of load from other processes falls on both alike.
            double serial = double.MaxValue, pooled = double.MaxValue;
            for (int attempt = 0; attempt < 5; attempt++)
            {
                serial = Math.Min(serial, Timed(threads: 1));
                pooled = Math.Min(pooled, Timed(threads: 2));
            }

            Console.WriteLine($"one core: serial {serial:F1} ms, two pool threads {pooled:F1} ms");
            Assert.IsLessThan(1.5 * serial, pooled, $"pool threads sharing the caller's core slowed it from {serial:F1} ms to {pooled:F1} ms");
        }
        finally
        {
            SchedSetAffinity(0, original.Length * sizeof(ulong), original);
            using (KernelSettings.Use(KernelSettings.Path, threads: 3))
            {
                WorkerPool.Run(new PinningWork(original, 3), 3);
            }
        }
    }

    // 100 rounds of serial caller work (as between the kernels of a training step) and a 2-part pool call. The work is a
    // fixed amount of computation, so lost CPU time shows as wall time.
    private static double Timed(int threads)
    {
        using (KernelSettings.Use(KernelSettings.Path, threads))
        {
            var work = new BusyWork(steps: 20_000);
            var watch = Stopwatch.StartNew();
            for (int round = 0; round < 100; round++)
            {
                BusyWork.Compute(40_000);
                WorkerPool.Run(work, 2);
            }

            return watch.Elapsed.TotalMilliseconds;
        }
    }

    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static extern int SchedSetAffinity(int pid, nint size, ulong[] mask);

    [DllImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static extern int SchedGetAffinity(int pid, nint size, ulong[] mask);

    private static readonly ManualResetEventSlim s_partStarted = new(false);

    /// <summary>Counts each item of its ranges and signals that a part started; with <see cref="Delay"/>, sleeps a millisecond a part first.</summary>
    private unsafe struct CountingRanges : IRangeJob
    {
        public int* Counts;
        public bool Delay;

        public readonly void RunRange(int first, int count)
        {
            s_partStarted.Set();
            if (Delay)
            {
                Thread.Sleep(1);
            }

            for (int i = first; i < first + count; i++)
            {
                Interlocked.Increment(ref Counts[i]);
            }
        }
    }

    private sealed class CountingWork(int parts) : IParallelWork
    {
        public int[] Counts { get; } = new int[parts];

        public void Run(int part, int partCount) => Interlocked.Increment(ref Counts[part]);
    }

    /// <summary>
    /// Counts each part and records the threads that ran parts. Each part sleeps a millisecond, which leaves the cores to
    /// every other worker: one that took parts above the count would have the time to.
    /// </summary>
    private sealed class ThreadRecordingWork(int parts) : IParallelWork
    {
        public int[] Counts { get; } = new int[parts];

        public System.Collections.Concurrent.ConcurrentDictionary<int, bool> Threads { get; } = new();

        public void Run(int part, int partCount)
        {
            Interlocked.Increment(ref Counts[part]);
            Threads[Environment.CurrentManagedThreadId] = true;
            Thread.Sleep(1);
        }
    }

    /// <summary>Two parts: a worker's sleeps 50 ms; the caller's waits until a worker has started (so the caller cannot take both) and returns.</summary>
    private sealed class WorkerSleepsWork(int callerThread) : IParallelWork
    {
        private int _workerStarted;

        public void Run(int part, int partCount)
        {
            if (Environment.CurrentManagedThreadId != callerThread)
            {
                Volatile.Write(ref _workerStarted, 1);
                Thread.Sleep(50);
                return;
            }

            var deadline = Stopwatch.StartNew();
            while (Volatile.Read(ref _workerStarted) == 0 && deadline.ElapsedMilliseconds < 5000)
            {
                Thread.Yield();
            }
        }
    }

    private sealed class FailingWork : IParallelWork
    {
        public void Run(int part, int partCount)
        {
            if (part == 3)
            {
                throw new InvalidOperationException("part 3");
            }
        }
    }

    private sealed class BusyWork(int steps) : IParallelWork
    {
        private static double s_sink;

        /// <summary>A fixed amount of arithmetic (a dependent chain, ~2.5 ns a step).</summary>
        public static void Compute(int steps)
        {
            double x = 1;
            for (int i = 0; i < steps; i++)
            {
                x = (x * 1.0000001) + 1e-9;
            }

            s_sink = x;
        }

        public void Run(int part, int partCount) => Compute(steps);
    }

    /// <summary>Sets the affinity of each thread that runs a part, once all parts have started.</summary>
    private sealed class PinningWork(ulong[] mask, int parts) : IParallelWork
    {
        private int _started;

        public void Run(int part, int partCount)
        {
            Interlocked.Increment(ref _started);
            var deadline = Stopwatch.StartNew();
            while (Volatile.Read(ref _started) < parts && deadline.ElapsedMilliseconds < 5000)
            {
                Thread.Yield();
            }

            SchedSetAffinity(0, mask.Length * sizeof(ulong), mask);
        }
    }
}
