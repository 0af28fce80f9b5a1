using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// Up to which patch size does a direct convolution beat im2col + GEMM? Forward and weight gradient of one 16-image chunk,
/// 16 filters, one thread, the default kernel path; im2col in column chunks of <see cref="Im2Col.ChunkBytes"/> as the layer runs it.
/// </summary>
[MemoryDiagnoser]
public class DirectConvolutionBenchmarks
{
    private const int Images = 16;
    private const int Filters = 16;
    private ConvGeometry _geometry;
    private float[] _images = [];
    private float[] _weight = [];
    private float[] _bias = [];
    private float[] _output = [];
    private float[] _columns = [];

    /// <summary>Input and kernel: patch sizes 25, 27, 50, 75 (the layer takes the direct path up to <see cref="DirectConvolution.MaxPatch"/>).</summary>
    [Params("28x28x1 k5", "32x32x3 k3", "28x28x2 k5", "32x32x3 k5")]
    public string Layer { get; set; } = "";

    /// <summary>Builds the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.ThreadCount = 1;
        _geometry = Layer switch
        {
            "28x28x1 k5" => new ConvGeometry(1, 28, 28, 5, 5, 1, 2),
            "32x32x3 k3" => new ConvGeometry(3, 32, 32, 3, 3, 1, 1),
            "28x28x2 k5" => new ConvGeometry(2, 28, 28, 5, 5, 1, 2),
            _ => new ConvGeometry(3, 32, 32, 5, 5, 1, 2),
        };
        _images = new float[Images * _geometry.ImageSize];
        _weight = new float[Filters * _geometry.PatchSize];
        _bias = new float[Filters];
        _output = new float[Images * _geometry.OutPositions * Filters];
        _columns = new float[Im2Col.ChunkImages(_geometry) * _geometry.OutPositions * _geometry.PatchSize];
        CounterRng.UniformFloats(1, 1, 0, _images);
        CounterRng.UniformFloats(1, 2, 0, _weight);
        CounterRng.UniformFloats(1, 3, 0, _output);
    }

    /// <summary>Direct forward (bias included).</summary>
    [Benchmark]
    public void DirectForward() => DirectConvolution.Forward(_geometry, _images, Images, _weight, _bias, Filters, _output);

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
            Span<float> y = _output.AsSpan(first * g.OutPositions * Filters, rows * Filters);
            Sgemm.Multiply(false, true, rows, Filters, g.PatchSize, 1f, _columns, g.PatchSize, _weight, g.PatchSize, 0f, y, Filters);
            RowVector.AddToRows(y, rows, _bias);
        }
    }

    /// <summary>Direct weight gradient.</summary>
    [Benchmark]
    public void DirectWeightGradient() => DirectConvolution.WeightGradient(_geometry, _images, _output, Images, Filters, _weight, accumulate: false);

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
            ReadOnlySpan<float> dy = _output.AsSpan(first * g.OutPositions * Filters, rows * Filters);
            Sgemm.Multiply(true, false, Filters, g.PatchSize, rows, 1f, dy, Filters, _columns, g.PatchSize, first == 0 ? 0f : 1f, _weight, g.PatchSize);
        }
    }
}
