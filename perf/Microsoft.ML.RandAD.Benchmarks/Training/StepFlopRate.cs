using System.Diagnostics;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>step-flops</c>: how close a training step runs to the GEMM kernel. Records the products one step makes
/// (their shapes, through Sgemm's trace), times the step, then times each product alone on the same kernel and
/// thread count. Step rate = step FLOPs / step time; GEMM rate = the same FLOPs / the products' own time; their
/// ratio is the share of the step spent in products at full kernel speed (target ≥ 60%). Every time is also taken on
/// the calling thread's CPU clock: on a machine shared with other jobs that is the stable figure for one thread.
/// Options: <c>--steps N</c>, <c>--chunk-rows N</c>, <c>--profile</c> (per-layer forward/backward, loss, the optimizer in the step and alone, and with
/// more than one thread how long the calling thread works alone: between the calls spread over the threads and at their ends).
/// </summary>
internal static class StepFlopRate
{
    public static int Run(string[] args)
    {
        var options = RunOptions.Parse(args);
        KernelSettings.ThreadCount = options.Threads;
        var network = Network.Create(BenchmarkModels.Get(options.Model), seed: 1);
        network.ChunkRows = options.ChunkRows;
        network.ConfigureSketches(options.Sketch, options.Batch);
        (OptimizerSpec spec, float rate) = BenchmarkModels.Optimizer(options.Model);
        var optimizer = new Optimizer(network, spec);
        var random = new Random(1);
        float[] x = [.. Enumerable.Range(0, options.Batch * network.InputSize).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, options.Batch).Select(_ => (float)random.Next(10))];

        void ForwardBackward()
        {
            x.CopyTo(network.BeginStep(options.Batch));
            network.ForwardBackward(y);
        }

        void Step()
        {
            ForwardBackward();
            optimizer.Step(rate);
        }

        for (int i = 0; i < 30; i++)
        {
            Step();
        }

        // The trace is a plain list: record it with one thread (kernels that spread whole products over the threads would
        // append from several at once); the shapes do not depend on the thread count.
        var shapes = new List<Microsoft.ML.RandAD.Kernels.GemmCall>();
        KernelSettings.ThreadCount = 1;
        Sgemm.Trace = shapes;
        Step();
        Sgemm.Trace = null;
        KernelSettings.ThreadCount = options.Threads;

        int steps = options.Steps > 0 ? options.Steps : options.Model == "cnn" ? 40 : 300;
        (double stepSeconds, double stepCpu, double stepFastest) = Measure(Step, steps);
        double gemmSeconds = shapes.Sum(s => TimeAlone(s).Wall);
        double gemmCpu = shapes.Sum(s => TimeAlone(s).Cpu);
        double gemmFastest = shapes.Sum(s => TimeAlone(s).Fastest);
        double flops = shapes.Sum(s => s.Flops);
        Console.WriteLine($"model={options.Model} sketch={options.SketchName} batch={options.Batch} threads={options.Threads} chunk-rows={network.ChunkSizes(options.Batch).First()} products={shapes.Count}");
        foreach (IGrouping<GemmCall, GemmCall> group in shapes.GroupBy(s => s))
        {
            (double wall, double cpu, _) = TimeAlone(group.Key);
            Console.WriteLine($"  {group.Key,-28} ×{group.Count(),-4} {wall * 1e6,9:F1} µs  {group.Key.Flops / wall / 1e9,7:F1} GFLOP/s   cpu {cpu * 1e6,9:F1} µs");
        }

        Console.WriteLine($"step {stepSeconds * 1e3:F3} ms ({options.Batch / stepSeconds:N0} samples/s), step FLOPs {flops / 1e6:F1} M");
        Console.WriteLine($"step rate {flops / stepSeconds / 1e9:F1} GFLOP/s, GEMM rate on the same shapes {flops / gemmSeconds / 1e9:F1} GFLOP/s, ratio {gemmSeconds / stepSeconds:P1}");
        Console.WriteLine(
            $"calling thread's CPU time{(ThreadClock.IsThreadCpuTime ? string.Empty : " (unavailable: wall)")}: step {stepCpu * 1e3:F3} ms ({options.Batch / stepCpu:N0} samples/s), " +
            $"step rate {flops / stepCpu / 1e9:F1} GFLOP/s, GEMM rate {flops / gemmCpu / 1e9:F1} GFLOP/s, ratio {gemmCpu / stepCpu:P1}");
        Console.WriteLine(
            $"fastest (minimum CPU time of the repeats): step {stepFastest * 1e3:F3} ms ({options.Batch / stepFastest:N0} samples/s), " +
            $"step rate {flops / stepFastest / 1e9:F1} GFLOP/s, GEMM rate {flops / gemmFastest / 1e9:F1} GFLOP/s, ratio {gemmFastest / stepFastest:P1}");
        PrintPaired(shapes, Step, options.Batch, flops, options.Model == "cnn" ? 3 : 20);
        if (options.Profile)
        {
            PrintProfile(network, ForwardBackward, () => optimizer.Step(rate), steps);
        }

        return 0;
    }

    /// <summary>
    /// Mean time per step of each layer's forward and backward calls, of the loss and of the optimizer's update as the step
    /// runs it (after the backward pass), and the update's median repeated alone, its state then in the cache; on the calling
    /// thread's CPU clock with one thread (immune to other jobs), on the wall clock with more.
    /// </summary>
    private static void PrintProfile(Network network, Action forwardBackward, Action update, int steps)
    {
        bool cpu = KernelSettings.ThreadCount == 1 && ThreadClock.IsThreadCpuTime;
        var profile = cpu ? new StepProfile(network.Layers.Count, ThreadClock.Ticks, ThreadClock.TicksPerSecond) : new StepProfile(network.Layers.Count);
        network.Profile = profile;
        var pool = new PoolTiming();
        WorkerPool.Timing = pool;
        long start = Stopwatch.GetTimestamp(), updateTicks = 0;
        for (int i = 0; i < steps; i++)
        {
            forwardBackward();
            long started = profile.Now();
            update();
            updateTicks += profile.Now() - started;
        }

        double wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds / steps;
        WorkerPool.Timing = null;
        network.Profile = null;
        (double updateSeconds, double updateCpu, _) = Measure(update, steps);
        double total = 0;
        Console.WriteLine($"profile (mean {(cpu ? "thread CPU" : "wall")} ms per step):   forward  backward");
        for (int i = 0; i < network.Layers.Count; i++)
        {
            double forward = profile.MillisecondsPerStep(profile.ForwardTicks[i]), backward = profile.MillisecondsPerStep(profile.BackwardTicks[i]);
            total += forward + backward;
            Console.WriteLine($"  {i,2} {network.Layers[i].Description,-28} {forward,8:F3} {backward,9:F3}");
        }

        double loss = profile.MillisecondsPerStep(profile.LossTicks);
        Console.WriteLine($"  loss {loss,39:F3}");
        double inStep = profile.MillisecondsPerStep(updateTicks), alone = (cpu ? updateCpu : updateSeconds) * 1e3;
        Console.WriteLine($"  optimizer in the step {inStep,22:F3}   (alone, repeated: median {alone:F3})");
        Console.WriteLine($"  sum {total + loss + inStep,40:F3}");
        if (KernelSettings.ThreadCount > 1)
        {
            // Time one core works alone: the calling thread outside the spread calls, and at their ends waiting for the workers.
            double inCalls = pool.InCalls.TotalMilliseconds / steps;
            Console.WriteLine(
                $"threads (wall ms per step of {wall:F3}): {pool.Dispatches / (double)steps:F1} calls spread over the threads, " +
                $"calling thread alone between them {wall - inCalls:F3}, waiting at their ends {pool.WaitingForWorkers.TotalMilliseconds / steps:F3}, " +
                $"workers idle {pool.WorkersIdle.TotalMilliseconds / steps:F3}");
        }
    }

    /// <summary>
    /// The ratio measured in pairs: each of 21 rounds times a few steps, then a replay of the same steps' products
    /// on dense operands, back to back, and the reported ratio is the median of the rounds' ratios. On a VM whose speed
    /// drifts by 2× from minute to minute, the separate medians above can come from different periods; the paired one cannot.
    /// </summary>
    private static void PrintPaired(List<GemmCall> shapes, Action step, int batch, double flops, int stepsPerRound)
    {
        var replays = shapes.Select(Replay).ToArray();
        const int rounds = 21;
        var ratios = new double[rounds];
        var stepTimes = new double[rounds];
        var gemmTimes = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < stepsPerRound; i++)
            {
                step();
            }

            stepTimes[round] = Stopwatch.GetElapsedTime(start).TotalSeconds / stepsPerRound;
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < stepsPerRound; i++)
            {
                foreach (Action product in replays)
                {
                    product();
                }
            }

            gemmTimes[round] = Stopwatch.GetElapsedTime(start).TotalSeconds / stepsPerRound;
            ratios[round] = gemmTimes[round] / stepTimes[round];
        }

        double stepMedian = Stats.Median(stepTimes), gemmMedian = Stats.Median(gemmTimes);
        Console.WriteLine(
            $"paired ({rounds} rounds of {stepsPerRound} steps, then their products alone; wall): step {stepMedian * 1e3:F3} ms ({batch / stepMedian:N0} samples/s), " +
            $"step rate {flops / stepMedian / 1e9:F1} GFLOP/s, GEMM rate {flops / gemmMedian / 1e9:F1} GFLOP/s, ratio (median of rounds) {Stats.Median(ratios):P1}");
    }

    /// <summary>One product of this shape on its own dense operands (allocated once).</summary>
    private static Action Replay(GemmCall s)
    {
        float[] a = new float[s.M * s.K], b = new float[s.K * s.N], c = new float[s.M * s.N];
        var random = new Random(2);
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)random.NextDouble();
        }

        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (float)(random.NextDouble() - 0.5) * 0.1f;
        }

        int lda = s.TransposeA ? s.M : s.K, ldb = s.TransposeB ? s.K : s.N;
        return () => Sgemm.Multiply(s.TransposeA, s.TransposeB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N);
    }

    private static readonly Dictionary<GemmCall, (double Wall, double Cpu, double Fastest)> s_alone = [];

    /// <summary>Seconds of one product of this shape on dense operands: median wall, median and minimum CPU of the calling thread.</summary>
    private static (double Wall, double Cpu, double Fastest) TimeAlone(GemmCall s)
    {
        if (s_alone.TryGetValue(s, out (double, double, double) seconds))
        {
            return seconds;
        }

        Action Call = Replay(s);
        for (int i = 0; i < 5; i++)
        {
            Call();
        }

        int repeats = (int)Math.Clamp(2e8 / Math.Max(s.Flops, 1), 5, 2000);
        seconds = Measure(Call, repeats);
        s_alone[s] = seconds;
        return seconds;
    }

    /// <summary>
    /// Of <paramref name="count"/> calls: median wall time, median CPU time of the calling thread, and its minimum (other jobs
    /// only ever add time, through the caches and memory they share, so the fastest repeat is the least disturbed).
    /// </summary>
    private static (double Wall, double Cpu, double Fastest) Measure(Action action, int count)
    {
        var wall = new double[count];
        var cpu = new double[count];
        for (int i = 0; i < count; i++)
        {
            double cpuStart = ThreadClock.Seconds();
            long start = Stopwatch.GetTimestamp();
            action();
            wall[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            cpu[i] = ThreadClock.Seconds() - cpuStart;
        }

        return (Stats.Median(wall), Stats.Median(cpu), cpu.Min());
    }
}
