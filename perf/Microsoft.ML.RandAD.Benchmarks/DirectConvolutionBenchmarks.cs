using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// Where does a direct convolution beat im2col + GEMM? Forward, weight gradient and input gradient of one 16-image chunk,
/// one thread, the default kernel path; im2col in column chunks of <see cref="Im2Col.ChunkBytes"/> as the layer runs it.
/// </summary>
[MemoryDiagnoser]
public class DirectConvolutionBenchmarks
{
    private const int Images = 16;
    private int _filters;
    private ConvGeometry _geometry;
    private float[] _images = [];
    private float[] _weight = [];
    private float[] _bias = [];
    private float[] _output = [];
    private float[] _columns = [];

    /// <summary>
    /// Input, kernel and filters: small patches (25, 27, 50, 75) with 16 filters, the reference CNN's second layer
    /// (14×14×16, 5×5, 32 filters), and a 3×3 layer of 32 and of 64 filters.
    /// </summary>
    [Params("28x28x1 k5 f16", "32x32x3 k3 f16", "28x28x2 k5 f16", "32x32x3 k5 f16", "14x14x16 k5 f32", "16x16x32 k3 f32", "16x16x32 k3 f64")]
    public string Layer { get; set; } = "";

    /// <summary>Builds the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.ThreadCount = 1;
        string[] parts = Layer.Split(' ');
        int[] image = [.. parts[0].Split('x').Select(int.Parse)];
        int kernel = int.Parse(parts[1][1..]);
        _filters = int.Parse(parts[2][1..]);
        _geometry = new ConvGeometry(image[2], image[0], image[1], kernel, kernel, 1, kernel / 2);
        _images = new float[Images * _geometry.ImageSize];
        _weight = new float[_filters * _geometry.PatchSize];
        _bias = new float[_filters];
        _output = new float[Images * _geometry.OutPositions * _filters];
        _columns = new float[Im2Col.ChunkImages(_geometry) * _geometry.OutPositions * _geometry.PatchSize];
        CounterRng.UniformFloats(1, 1, 0, _images);
        CounterRng.UniformFloats(1, 2, 0, _weight);
        CounterRng.UniformFloats(1, 3, 0, _output);
    }

    /// <summary>Direct forward (bias included).</summary>
    [Benchmark]
    public void DirectForward() => DirectConvolution.Forward(_geometry, _images, Images, _weight, _bias, _filters, _output);

    /// <summary>im2col + GEMM forward, then the bias.</summary>
    [Benchmark(Baseline = true)]
    public void ProductsForward()
    {
        ConvGeometry g = _geometry;
        int chunk = Im2Col.ChunkImages(g);
        for (int first = 0; first < Images; first += chunk)
        {
            int count = Math.Min(chunk, Images - first);
            int rows = count * g.OutPositions;
            Im2Col.Pack(g, _images.AsSpan(first * g.ImageSize, count * g.ImageSize), count, _columns);
            Span<float> y = _output.AsSpan(first * g.OutPositions * _filters, rows * _filters);
            Sgemm.Multiply(false, true, rows, _filters, g.PatchSize, 1f, _columns, g.PatchSize, _weight, g.PatchSize, 0f, y, _filters);
            RowVector.AddToRows(y, rows, _bias);
        }
    }

    /// <summary>Direct weight gradient.</summary>
    [Benchmark]
    public void DirectWeightGradient() => DirectConvolution.WeightGradient(_geometry, _images, _output, Images, _filters, _weight, accumulate: false);

    /// <summary>im2col + GEMM weight gradient.</summary>
    [Benchmark]
    public void ProductsWeightGradient()
    {
        ConvGeometry g = _geometry;
        int chunk = Im2Col.ChunkImages(g);
        for (int first = 0; first < Images; first += chunk)
        {
            int count = Math.Min(chunk, Images - first);
            int rows = count * g.OutPositions;
            Im2Col.Pack(g, _images.AsSpan(first * g.ImageSize, count * g.ImageSize), count, _columns);
            ReadOnlySpan<float> dy = _output.AsSpan(first * g.OutPositions * _filters, rows * _filters);
            Sgemm.Multiply(true, false, _filters, g.PatchSize, rows, 1f, dy, _filters, _columns, g.PatchSize, first == 0 ? 0f : 1f, _weight, g.PatchSize);
        }
    }

    /// <summary>Direct input gradient (a forward convolution of the padded output gradient with the flipped kernel).</summary>
    [Benchmark]
    public void DirectInputGradient() => DirectConvolution.InputGradient(_geometry, _output, Images, _weight, _filters, _images);

    /// <summary>GEMM + col2im input gradient.</summary>
    [Benchmark]
    public void ProductsInputGradient() => ConvolutionProducts.InputGradient(_geometry, _output, Images, _weight, _filters, _images);
}
