using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>How much faster are the vector im2col/col2im paths than scalar, by channel count? (one thread, 8 images)</summary>
[MemoryDiagnoser]
public class Im2ColBenchmarks
{
    private const int Images = 8;
    private ConvGeometry _geometry;
    private float[] _images = [];
    private float[] _columns = [];

    /// <summary>Kernel path under test.</summary>
    [ParamsSource(typeof(KernelPaths), nameof(KernelPaths.Supported))]
    public KernelPath Path { get; set; }

    /// <summary>The layer: MNIST conv 5×5 on 1 channel, the paper's CIFAR conv1 (3 channels) and conv2 (16 channels), a strided 3×3.</summary>
    [Params("28x28x1 k5 p2", "32x32x3 k5 p2", "32x32x16 k5 p2", "32x32x16 k3 s2 p1")]
    public string Layer { get; set; } = "";

    /// <summary>Selects the path and one thread.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.Path = Path;
        KernelSettings.ThreadCount = 1;
        _geometry = Layer switch
        {
            "28x28x1 k5 p2" => new ConvGeometry(1, 28, 28, 5, 5, 1, 2),
            "32x32x3 k5 p2" => new ConvGeometry(3, 32, 32, 5, 5, 1, 2),
            "32x32x16 k5 p2" => new ConvGeometry(16, 32, 32, 5, 5, 1, 2),
            _ => new ConvGeometry(16, 32, 32, 3, 3, 2, 1),
        };
        _images = new float[Images * _geometry.ImageSize];
        _columns = new float[Images * _geometry.OutPositions * _geometry.PatchSize];
        CounterRng.UniformFloats(1, 1, 0, _images);
    }

    /// <summary>im2col.</summary>
    [Benchmark]
    public void Pack() => Im2Col.Pack(_geometry, _images, Images, _columns);

    /// <summary>col2im.</summary>
    [Benchmark]
    public void Unpack() => Im2Col.Unpack(_geometry, _columns, Images, _images);
}
