using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>Does splitting large kernel calls over the worker pool pay? (widest path, 1 vs 2 threads)</summary>
[MemoryDiagnoser]
public class KernelThreadingBenchmarks
{
    private const int Elements = 1 << 22;
    private static readonly ConvGeometry Conv1 = new(3, 32, 32, 5, 5, 1, 2);
    private const int Images = 128;
    private float[] _x = [];
    private float[] _y = [];
    private ulong[] _mask = [];
    private int[] _indices = [];
    private float[] _images = [];
    private float[] _columns = [];

    /// <summary>Threads the kernels may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Selects the widest path and the thread count.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.Path = KernelSettings.BestSupported;
        KernelSettings.ThreadCount = Threads;
        _x = new float[Elements];
        _y = new float[Elements];
        _mask = new ulong[BitMask.WordCount(Elements)];
        _indices = new int[Elements];
        _images = new float[Images * Conv1.ImageSize];
        _columns = new float[Images * Conv1.OutPositions * Conv1.PatchSize];
        CounterRng.UniformFloats(1, 1, 0, _x);
        CounterRng.UniformFloats(1, 1, 0, _images);
    }

    /// <summary>4M-element fused ReLU.</summary>
    [Benchmark]
    public void ReluForward() => BitMask.ReluForward(_x, _y, _mask);

    /// <summary>4M uniform indices.</summary>
    [Benchmark]
    public void UniformIndices() => CounterRng.UniformIndices(1, 2, 3, 784, _indices);

    /// <summary>im2col of the paper's conv1 over a batch of 128.</summary>
    [Benchmark]
    public void PackBatch128() => Im2Col.Pack(Conv1, _images, Images, _columns);

    /// <summary>col2im of the same.</summary>
    [Benchmark]
    public void UnpackBatch128() => Im2Col.Unpack(Conv1, _columns, Images, _images);
}
