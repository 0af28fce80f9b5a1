using System.Diagnostics;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>step-flops</c>: how close a training step runs to the GEMM kernel. Records the products one step makes
/// (their shapes, through Sgemm's trace), times the step, then times each product alone on the same kernel and
/// thread count. Step rate = step FLOPs / step time; GEMM rate = the same FLOPs / the products' own time; their
/// ratio is the share of the step spent in products at full kernel speed (target ≥ 60%).
/// </summary>
internal static class StepFlopRate
{
    public static int Run(string[] args)
    {
        var options = RunOptions.Parse(args);
        KernelSettings.ThreadCount = options.Threads;
        var network = Network.Create(BenchmarkModels.Get(options.Model), seed: 1);
        network.ConfigureSketches(options.Sketch, options.Batch);
        (OptimizerSpec spec, float rate) = BenchmarkModels.Optimizer(options.Model);
        var optimizer = new Optimizer(network, spec);
        var random = new Random(1);
        float[] x = [.. Enumerable.Range(0, options.Batch * network.InputSize).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, options.Batch).Select(_ => (float)random.Next(10))];

        void Step()
        {
            x.CopyTo(network.BeginStep(options.Batch));
            network.ForwardBackward(y);
            optimizer.Step(rate);
        }

        for (int i = 0; i < 30; i++)
        {
            Step();
        }

        var shapes = new List<Microsoft.ML.RandAD.Kernels.GemmCall>();
        Sgemm.Trace = shapes;
        Step();
        Sgemm.Trace = null;

        double stepSeconds = Median(Repeat(Step, options.Model == "cnn" ? 40 : 300));
        double gemmSeconds = shapes.Sum(TimeAlone);
        double flops = shapes.Sum(s => s.Flops);
        Console.WriteLine($"model={options.Model} sketch={options.SketchName} batch={options.Batch} threads={options.Threads} products={shapes.Count}");
        foreach (IGrouping<GemmCall, GemmCall> group in shapes.GroupBy(s => s))
        {
            Console.WriteLine($"  {group.Key,-28} ×{group.Count(),-4} {TimeAlone(group.Key) * 1e6,9:F1} µs  {group.Key.Flops / TimeAlone(group.Key) / 1e9,7:F1} GFLOP/s");
        }

        Console.WriteLine($"step {stepSeconds * 1e3:F3} ms ({options.Batch / stepSeconds:N0} samples/s), step FLOPs {flops / 1e6:F1} M");
        Console.WriteLine($"step rate {flops / stepSeconds / 1e9:F1} GFLOP/s, GEMM rate on the same shapes {flops / gemmSeconds / 1e9:F1} GFLOP/s, ratio {gemmSeconds / stepSeconds:P1}");
        return 0;
    }

    private static readonly Dictionary<GemmCall, double> s_alone = [];

    /// <summary>Median seconds of one product of this shape, on dense operands.</summary>
    private static double TimeAlone(GemmCall s)
    {
        if (s_alone.TryGetValue(s, out double seconds))
        {
            return seconds;
        }

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
        void Call() => Sgemm.Multiply(s.TransposeA, s.TransposeB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N);
        for (int i = 0; i < 5; i++)
        {
            Call();
        }

        int repeats = (int)Math.Clamp(2e8 / Math.Max(s.Flops, 1), 5, 2000);
        seconds = Median(Repeat(Call, repeats));
        s_alone[s] = seconds;
        return seconds;
    }

    private static double[] Repeat(Action action, int count)
    {
        var times = new double[count];
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return times;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }
}
