using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// <c>conv-sparse</c>: the direct convolution's weight and input gradients with their sparse kernels on and off
/// (<see cref="DirectConvolution.SparseWeightGradients"/>, <see cref="DirectConvolution.SparseInputGradients"/>), alternated
/// round by round on the same output gradient, at given densities of nonzero output-gradient elements; the ratio is the
/// median of the per-round ratios (sparse / dense time). The output gradient is either uniformly sparse or shaped as a 2×2
/// max pooling leaves it (one winner per window and channel, kept with probability 4 × density, as a ReLU after the
/// pooling would). The last column says whether the sparse kernels ran (a shape or density they do not take reads 1.00×).
/// The thresholds in the engine (<c>SparseWeightGradientPercent</c>, <c>DirectConvolutionLanes.SparsePercent</c>) come from
/// this verb's tables.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- conv-sparse [--rounds 7] [--threads 2]
/// [--images 64] [--densities 0.14,0.25,0.4] [--pattern uniform|pooled] [--layers 14x14x16k5f32,14x14x16k3f32]</c> (layers as
/// H×W×C, kernel, filters; stride 1, padding k/2).
/// </remarks>
internal static class ConvolutionSparsePaired
{
    public static int Run(string[] args)
    {
        if (VerbOptions.Parse(
            args, "--rounds N, --threads N, --images N, --densities D,..., --pattern uniform|pooled, --layers HxWxCkKfF,...",
            "--rounds", "--threads", "--images", "--densities", "--pattern", "--layers") is not { } options)
        {
            return 1;
        }

        int rounds = options.Int("--rounds", 7), threads = options.Int("--threads", 2), images = options.Int("--images", 64);
        double[] densities = [.. options.List("--densities", ["0.14", "0.25", "0.4"]).Select(d => double.Parse(d, CultureInfo.InvariantCulture))];
        bool pooled = options.List("--pattern", ["uniform"])[0] == "pooled";
        string[] layers = options.List("--layers", ["14x14x16k5f32", "14x14x16k3f32", "14x14x16k7f32"]);
        KernelSettings.ThreadCount = threads;
        Console.WriteLine($"{KernelSettings.Describe()}; {images} images; {rounds} rounds of ~100 ms per side; {(pooled ? "pooled" : "uniform")} zeros");
        Console.WriteLine("| layer | nonzero | product | sparse / dense time (median of paired rounds) | sparse kernels ran |");
        Console.WriteLine("|---|---|---|---|---|");
        bool weights = DirectConvolution.SparseWeightGradients, inputs = DirectConvolution.SparseInputGradients;
        try
        {
            foreach (string layer in layers)
            {
                foreach (double density in densities)
                {
                    Measure(layer, density, pooled, images, rounds);
                }
            }
        }
        finally
        {
            DirectConvolution.SparseWeightGradients = weights;
            DirectConvolution.SparseInputGradients = inputs;
        }

        return 0;
    }

    private static void Measure(string layer, double density, bool pooled, int images, int rounds)
    {
        string[] parts = layer.Split('k', 'f');
        int[] image = [.. parts[0].Split('x').Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
        int kernel = int.Parse(parts[1], CultureInfo.InvariantCulture), filters = int.Parse(parts[2], CultureInfo.InvariantCulture);
        var g = new ConvGeometry(image[2], image[0], image[1], kernel, kernel, 1, kernel / 2);
        float[] x = new float[images * g.ImageSize], dx = new float[x.Length], w = new float[filters * g.PatchSize], dw = new float[w.Length];
        float[] dy = OutputGradient(g, filters, images, density, pooled);
        CounterRng.UniformFloats(1, 1, 0, x);
        CounterRng.UniformFloats(1, 2, 0, w);
        string share = (dy.Count(v => v != 0) / (double)dy.Length).ToString("P0", CultureInfo.InvariantCulture);
        Report(layer, share, "weight gradient", rounds, on => DirectConvolution.SparseWeightGradients = on, () => DirectConvolution.SparseParts,
            () => DirectConvolution.WeightGradient(g, x, dy, images, filters, dw, accumulate: false));
        Report(layer, share, "input gradient", rounds, on => DirectConvolution.SparseInputGradients = on, () => DirectConvolution.SparseImages,
            () => DirectConvolution.InputGradient(g, dy, images, w, filters, dx));
    }

    /// <summary>An output gradient with about <paramref name="density"/> of its elements nonzero, uniformly or as a 2×2 max pooling's winners.</summary>
    private static float[] OutputGradient(in ConvGeometry g, int filters, int images, double density, bool pooled)
    {
        var dy = new float[images * g.OutPositions * filters];
        var random = new Random(4);
        if (!pooled)
        {
            for (int i = 0; i < dy.Length; i++)
            {
                dy[i] = random.NextDouble() < density ? (float)random.NextDouble() - 0.5f : 0f;
            }

            return dy;
        }

        for (int n = 0; n < images; n++)
        {
            for (int py = 0; py + 1 < g.OutHeight; py += 2)
            {
                for (int px = 0; px + 1 < g.OutWidth; px += 2)
                {
                    for (int f = 0; f < filters; f++)
                    {
                        if (random.NextDouble() < 4 * density)
                        {
                            int pixel = ((n * g.OutHeight) + py + random.Next(2)) * g.OutWidth + px + random.Next(2);
                            dy[(pixel * filters) + f] = (float)random.NextDouble() - 0.5f;
                        }
                    }
                }
            }
        }

        return dy;
    }

    private static void Report(string layer, string share, string product, int rounds, Action<bool> sparse, Func<long> sparseCount, Action compute)
    {
        long before = sparseCount();
        sparse(true);
        compute();
        bool ran = sparseCount() > before;
        sparse(false);
        compute();
        var clock = Stopwatch.StartNew();
        compute();
        int calls = (int)Math.Clamp(0.1 / Math.Max(clock.Elapsed.TotalSeconds, 1e-7), 1, 100_000);
        double Side(bool on)
        {
            sparse(on);
            return PairedRounds.Seconds(compute, calls);
        }

        (_, _, double[] ratios) = PairedRounds.Measure(() => Side(true), () => Side(false), rounds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {layer} | {share} | {product} | {Stats.Median(ratios):F2}× | {(ran ? "yes" : "no")} |"));
    }
}
