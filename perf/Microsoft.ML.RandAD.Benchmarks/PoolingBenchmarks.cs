using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>How much faster are the vector max-pooling paths than scalar on the CNN's two poolings? (one thread, one chunk of 83 images)</summary>
[MemoryDiagnoser]
public class PoolingBenchmarks
{
    private const int Images = 83;
    private PoolGeometry _geometry;
    private float[] _images = [];
    private float[] _pooled = [];
    private byte[] _winners = [];

    /// <summary>Kernel path under test.</summary>
    [ParamsSource(typeof(KernelPaths), nameof(KernelPaths.Supported))]
    public KernelPath Path { get; set; }

    /// <summary>The CNN's first (28×28×16) and second (14×14×32) 2×2 max pooling.</summary>
    [Params("28x28x16", "14x14x32")]
    public string Layer { get; set; } = "";

    /// <summary>Selects the path and one thread.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.Path = Path;
        KernelSettings.ThreadCount = 1;
        _geometry = Layer == "28x28x16" ? new PoolGeometry(16, 28, 28, 2, 2) : new PoolGeometry(32, 14, 14, 2, 2);
        _images = new float[Images * _geometry.ImageSize];
        _pooled = new float[Images * _geometry.OutImageSize];
        _winners = new byte[_pooled.Length];
        CounterRng.UniformFloats(1, 1, 0, _images);
        CounterRng.UniformFloats(1, 2, 0, _pooled);
    }

    /// <summary>Max pooling with winner bytes (training forward).</summary>
    [Benchmark]
    public void MaxForward() => Pooling.MaxForward(_geometry, _images, Images, _pooled, _winners);

    /// <summary>Gradient routed to the winners (training backward).</summary>
    [Benchmark]
    public void MaxBackward() => Pooling.MaxBackward(_geometry, _pooled, _winners, Images, _images);
}
