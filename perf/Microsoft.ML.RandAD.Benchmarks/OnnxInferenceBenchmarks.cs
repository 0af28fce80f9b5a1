using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// Question: how fast does an exported network score batches in ONNX Runtime compared with the engine's own
/// <see cref="Model.NetworkScorer"/>? The two sides of a <see cref="ScoringPair"/>; rows/s = Batch / Mean. The
/// <c>score-paired</c> verb (<see cref="ScoringPaired"/>) measures the same pairs alternated round by round.
/// </summary>
[MemoryDiagnoser]
public class OnnxInferenceBenchmarks
{
    private ScoringPair _pair = null!;

    /// <summary>Rows per call.</summary>
    [Params(1, 64, 1024)]
    public int Batch { get; set; }

    /// <summary>The <see cref="ScoringPair"/> model: <c>mlp</c> or <c>cnn</c>.</summary>
    [Params("mlp", "cnn")]
    public string Model { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        _pair = new ScoringPair(Model, Batch);
        Console.WriteLine($"// {KernelSettings.Describe()}; ORT intra-op threads {KernelSettings.ThreadCount}");
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    [Benchmark(Baseline = true, Description = "engine NetworkScorer")]
    public void Engine() => _pair.Engine();

    [Benchmark(Description = "ONNX Runtime")]
    public void OnnxRuntime() => _pair.OnnxRuntime();
}
