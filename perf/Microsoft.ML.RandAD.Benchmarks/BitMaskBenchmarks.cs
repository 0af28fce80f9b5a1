using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>How much faster are the vector ReLU-mask kernels than scalar? (one thread, L2-resident data)</summary>
[MemoryDiagnoser]
public class BitMaskBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];
    private ulong[] _mask = [];

    /// <summary>Kernel path under test.</summary>
    [ParamsSource(typeof(KernelPaths), nameof(KernelPaths.Supported))]
    public KernelPath Path { get; set; }

    /// <summary>Elements (a 150×300 activation is 45,000).</summary>
    [Params(45_000)]
    public int Length { get; set; }

    /// <summary>Selects the path and one thread; half the inputs negative.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.Path = Path;
        KernelSettings.ThreadCount = 1;
        var random = new Random(1);
        _x = Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _y = new float[Length];
        _mask = new ulong[BitMask.WordCount(Length)];
        BitMask.PackGreaterThanZero(_x, _mask);
    }

    /// <summary>Mask only.</summary>
    [Benchmark]
    public void Pack() => BitMask.PackGreaterThanZero(_x, _mask);

    /// <summary>Fused ReLU forward and mask.</summary>
    [Benchmark]
    public void ReluForward() => BitMask.ReluForward(_x, _y, _mask);

    /// <summary>Fused LeakyReLU forward and mask.</summary>
    [Benchmark]
    public void LeakyReluForward() => BitMask.LeakyReluForward(_x, 0.01f, _y, _mask);

    /// <summary>ReLU backward from the mask.</summary>
    [Benchmark]
    public void Apply() => BitMask.Apply(_mask, _x, 0f, _y);
}
