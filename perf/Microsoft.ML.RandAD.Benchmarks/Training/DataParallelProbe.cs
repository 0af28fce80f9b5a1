using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>dp-probe</c>: what would data-parallel steps gain? The step as it runs today (one network, the batch split inside
/// each kernel over the threads) against two networks that each take half the batch on one thread, run side by side on
/// the pool, their gradients summed (what a data-parallel step would do; the probe does not share parameters or update
/// them). Alternated round by round; the ratio is the median of per-round ratios.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- dp-probe --model mlp|cnn [--batch 128]</c>.</remarks>
internal static unsafe class DataParallelProbe
{
    public static int Run(string[] args)
    {
        var options = RunOptions.Parse(args);
        KernelSettings.ThreadCount = 2;
        NetworkSpec spec = BenchmarkModels.Get(options.Model);
        int batch = options.Batch, half = batch / 2;
        var random = new Random(1);
        float[] x = [.. Enumerable.Range(0, batch * spec.Input.Size).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(10))];
        var whole = Network.Create(spec, seed: 1);
        Network[] halves = [Network.Create(spec, seed: 1), Network.Create(spec, seed: 1)];

        void Today()
        {
            x.CopyTo(whole.BeginStep(batch));
            whole.ForwardBackward(y);
        }

        var work = new HalfSteps(halves, x, y, half, spec.Input.Size);
        void Split()
        {
            WorkerPool.Run(work, 2);
            TensorPrimitives.Add(halves[0].Gradients, halves[1].Gradients, halves[0].Gradients);
        }

        for (int i = 0; i < 20; i++)
        {
            Today();
            Split();
        }

        int steps = options.Steps > 0 ? options.Steps : options.Model == "cnn" ? 3 : 20;
        const int rounds = 21;
        (double[] split, double[] today, double[] ratios) = PairedRounds.Measure(
            () => PairedRounds.Seconds(Split, steps), () => PairedRounds.Seconds(Today, steps), rounds);

        Console.WriteLine(
            $"model={options.Model} batch={batch} today_ms={Stats.Median(today) * 1e3:F3} (best {today.Min() * 1e3:F3}) " +
            $"two_halves_ms={Stats.Median(split) * 1e3:F3} (best {split.Min() * 1e3:F3}) halves_over_today={Stats.Median(ratios):F3}");
        return 0;
    }

    private sealed class HalfSteps(Network[] networks, float[] x, float[] y, int half, int width) : IParallelWork
    {
        public void Run(int part, int partCount)
        {
            Network network = networks[part];
            x.AsSpan(part * half * width, half * width).CopyTo(network.BeginStep(half));
            network.ForwardBackward(y.AsSpan(part * half, half));
        }
    }
}
