using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// <c>conv-paired</c>: the direct convolution kernels (<see cref="DirectConvolution"/>) against im2col + GEMM
/// (<see cref="ConvolutionProducts"/>) on a whole batch, alternated round by round on the same buffers, for the forward
/// pass, the weight gradient and the input gradient; the ratio is the median of the per-round ratios (see
/// <see cref="GemmPaired"/> for why pairing). The last column says which of the two a training step takes for that
/// product on this kernel path: a direct kernel that training does not route to is timed all the same (for tuning), so a
/// slow one there, such as a first layer's input gradient that no network computes, costs nothing.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- conv-paired [--rounds 15] [--threads 2]
/// [--images 128] [--layers 14x14x16k5f32,16x16x32k3f32]</c> (layers as H×W×C, kernel, filters; stride 1, padding k/2).
/// </remarks>
internal static class ConvolutionPaired
{
    /// <summary>Floats past a 64-byte boundary where every operand starts (0: aligned, as the engine's pooled buffers are).</summary>
    private static int s_misalign;

    public static int Run(string[] args)
    {
        if (VerbOptions.Parse(args, "--rounds N, --threads N, --images N, --misalign N, --layers HxWxCkKfF,...", "--rounds", "--threads", "--images", "--misalign", "--layers") is not { } options)
        {
            return 1;
        }

        int rounds = options.Int("--rounds", 15), threads = options.Int("--threads", 2), images = options.Int("--images", 128);
        s_misalign = options.Int("--misalign", 0);
        string[] layers = options.List("--layers", ["28x28x1k5f16", "14x14x16k5f32", "16x16x32k3f32", "16x16x32k3f64", "8x8x32k3f64"]);
        KernelSettings.ThreadCount = threads;
        Console.WriteLine($"{KernelSettings.Describe()}; {images} images; {rounds} rounds of ~100 ms per side");
        Console.WriteLine("| layer | product | direct GFLOP/s (median) | im2col + GEMM GFLOP/s (median) | direct / im2col time (median of paired rounds) | training takes |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (string layer in layers)
        {
            Measure(layer, images, rounds);
        }

        return 0;
    }

    private static void Measure(string layer, int images, int rounds)
    {
        string[] parts = layer.Split('k', 'f');
        int[] image = [.. parts[0].Split('x').Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
        int kernel = int.Parse(parts[1], CultureInfo.InvariantCulture), filters = int.Parse(parts[2], CultureInfo.InvariantCulture);
        var g = new ConvGeometry(image[2], image[0], image[1], kernel, kernel, 1, kernel / 2);
        Memory<float> x = Buffer(images * g.ImageSize), dx = Buffer(x.Length), w = Buffer(filters * g.PatchSize), dw = Buffer(w.Length);
        Memory<float> bias = Buffer(filters), y = Buffer(images * g.OutPositions * filters), dy = Buffer(y.Length);
        Memory<float> partials = Buffer(ConvolutionProducts.WeightGradientParts * w.Length);
        CounterRng.UniformFloats(1, 1, 0, x.Span);
        CounterRng.UniformFloats(1, 2, 0, w.Span);
        CounterRng.UniformFloats(1, 3, 0, dy.Span);
        double flops = 2.0 * images * g.OutPositions * g.PatchSize * filters;
        Report(layer, "forward", DirectConvolution.IsPreferred(g, filters), flops, rounds,
            () => DirectConvolution.Forward(g, x.Span, images, w.Span, bias.Span, filters, y.Span),
            () => ConvolutionProducts.Forward(g, x.Span, images, w.Span, bias.Span, filters, y.Span));
        Report(layer, "weight gradient", DirectConvolution.PrefersWeightGradient(g, filters), flops, rounds,
            () => DirectConvolution.WeightGradient(g, x.Span, dy.Span, images, filters, dw.Span, accumulate: false),
            () => ConvolutionProducts.WeightGradient(g, x.Span, dy.Span, images, filters, dw.Span, accumulate: false, partials.Span));
        Report(layer, "input gradient", DirectConvolution.TakesInputGradient(g, filters), flops, rounds,
            () => DirectConvolution.InputGradient(g, dy.Span, images, w.Span, filters, dx.Span),
            () => ConvolutionProducts.InputGradient(g, dy.Span, images, w.Span, filters, dx.Span));
    }

    private static void Report(string layer, string product, bool routedDirect, double flops, int rounds, Action direct, Action products)
    {
        string route = routedDirect ? "direct" : "im2col + GEMM";
        try
        {
            direct();
        }
        catch (ArgumentException e)
        {
            Console.WriteLine($"| {layer} | {product} | does not run directly: {e.Message} | | | {route} |");
            return;
        }

        products();
        var clock = Stopwatch.StartNew();
        products();
        int calls = (int)Math.Clamp(0.1 / Math.Max(clock.Elapsed.TotalSeconds, 1e-7), 1, 100_000);
        (double[] ours, double[] theirs, double[] ratios) = PairedRounds.Measure(
            () => PairedRounds.Seconds(direct, calls), () => PairedRounds.Seconds(products, calls), rounds);

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {layer} | {product} | {flops / Stats.Median(ours) / 1e9:F1} | {flops / Stats.Median(theirs) / 1e9:F1} | {Stats.Median(ratios):F2}× | {route} |"));
    }

    /// <summary>A pinned buffer of <paramref name="length"/> floats starting <see cref="s_misalign"/> floats past a 64-byte boundary.</summary>
    private static unsafe Memory<float> Buffer(int length)
    {
        float[] array = GC.AllocateArray<float>(length + 32, pinned: true);
        long address = (long)System.Runtime.CompilerServices.Unsafe.AsPointer(ref array[0]);
        int start = (int)((64 - (address & 63)) & 63) / sizeof(float);
        return array.AsMemory(start + s_misalign, length);
    }
}
