using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>How much faster are the vector gathers than scalar, and what do the in-order scatter-adds cost? (one thread, the paper's FC input layer at f = 0.1)</summary>
[MemoryDiagnoser]
public class GatherScatterBenchmarks
{
    private const int Rows = 150, Columns = 784, K = 79;
    private float[] _matrix = [];
    private float[] _sketch = [];
    private int[] _shared = [];
    private int[] _perRow = [];

    /// <summary>Kernel path under test.</summary>
    [ParamsSource(typeof(KernelPaths), nameof(KernelPaths.Supported))]
    public KernelPath Path { get; set; }

    /// <summary>Selects the path and one thread; indices drawn with replacement.</summary>
    [GlobalSetup]
    public void Setup()
    {
        KernelSettings.Path = Path;
        KernelSettings.ThreadCount = 1;
        _matrix = new float[Rows * Columns];
        _sketch = new float[Rows * K];
        _shared = new int[K];
        _perRow = new int[Rows * K];
        CounterRng.UniformIndices(1, 1, 0, Columns, _shared);
        CounterRng.UniformIndices(1, 2, 0, Columns, _perRow);
        CounterRng.UniformFloats(1, 3, 0, _matrix);
    }

    /// <summary>Same-sample sketch.</summary>
    [Benchmark]
    public void GatherColumns() => GatherScatter.GatherColumns(_matrix, Rows, Columns, _shared, 10f, _sketch);

    /// <summary>Different-sample sketch.</summary>
    [Benchmark]
    public void GatherColumnsPerRow() => GatherScatter.GatherColumnsPerRow(_matrix, Rows, Columns, _perRow, K, 10f, _sketch);

    /// <summary>Rebuild of the different-sample sketch.</summary>
    [Benchmark]
    public void ScatterAddColumnsPerRow() => GatherScatter.ScatterAddColumnsPerRow(_sketch, Rows, K, _perRow, Columns, _matrix);

    /// <summary>Sampled weight-gradient rows (79 rows of 150).</summary>
    [Benchmark]
    public void ScatterAddRows() => GatherScatter.ScatterAddRows(_sketch.AsSpan(0, K * Rows), Rows, _shared, _matrix);
}
