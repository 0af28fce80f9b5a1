using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>How much faster are the vector Philox paths than scalar, per generator? (one thread)</summary>
[MemoryDiagnoser]
public class RngBenchmarks
{
    private float[] _floats = [];
    private uint[] _words = [];
    private int[] _indices = [];
    private ulong[] _mask = [];

    /// <summary>Kernel path under test.</summary>
    [ParamsSource(typeof(KernelPaths), nameof(KernelPaths.Supported))]
    public KernelPath Path { get; set; }

    /// <summary>Elements per call (64K: below the parallel split, so one thread either way).</summary>
    [Params(65_536)]
    public int Length { get; set; }

    /// <summary>Selects the path and one thread.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.Path = Path;
        KernelSettings.ThreadCount = 1;
        _floats = new float[Length];
        _words = new uint[Length];
        _indices = new int[Length];
        _mask = new ulong[BitMask.WordCount(Length)];
    }

    /// <summary>Raw 32-bit words.</summary>
    [Benchmark]
    public void FillUInt32() => CounterRng.FillUInt32(1, 2, 3, _words);

    /// <summary>Indices in [0, 784): the RAD per-row column sample.</summary>
    [Benchmark]
    public void UniformIndices() => CounterRng.UniformIndices(1, 2, 3, 784, _indices);

    /// <summary>Floats in [0, 1).</summary>
    [Benchmark]
    public void UniformFloats() => CounterRng.UniformFloats(1, 2, 3, _floats);

    /// <summary>±1/√k projection entries.</summary>
    [Benchmark]
    public void Rademacher() => CounterRng.Rademacher(1, 2, 3, 0.1f, _floats);

    /// <summary>Normal projection entries (scalar Box–Muller on every path).</summary>
    [Benchmark]
    public void Gaussian() => CounterRng.Gaussian(1, 2, 3, 0.1f, _floats);

    /// <summary>Dropout keep mask at p = 0.9.</summary>
    [Benchmark]
    public void BernoulliMask() => CounterRng.BernoulliMask(1, 2, 3, 0.9f, Length, _mask);
}
