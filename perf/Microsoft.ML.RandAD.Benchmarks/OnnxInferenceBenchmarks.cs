using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// Question: how fast does an exported network score batches in ONNX Runtime compared with the engine's own
/// <see cref="NetworkScorer"/>? Both compute the raw outputs (the graph is exported as regression, so it holds no
/// softmax or argmax the engine does not do), with the same thread count, from pinned, reused buffers (ORT runs
/// on OrtValues wrapping the same arrays, so neither side allocates or copies per call). Rows/s = Batch / Mean.
/// </summary>
[MemoryDiagnoser]
public class OnnxInferenceBenchmarks
{
    private NetworkScorer _scorer = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private OrtValue _inputValue = null!;
    private OrtValue _outputValue = null!;
    private float[] _input = [];
    private float[] _output = [];
    private string[] _inputNames = [];
    private string[] _outputNames = [];
    private OrtValue[] _inputs = [];
    private OrtValue[] _outputs = [];

    /// <summary>Rows per call.</summary>
    [Params(1, 64, 1024)]
    public int Batch { get; set; }

    /// <summary><c>mlp</c>: 784-256-256-10 ReLU. <c>cnn</c>: conv5×5×16 p2, ReLU, maxpool 2, conv5×5×32 p2, ReLU, maxpool 2, FC10 on 28×28×1.</summary>
    [Params("mlp", "cnn")]
    public string Model { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        NetworkSpec spec = Model == "mlp"
            ? NetworkSpec.Mlp(784, [256, 256], 10, new LossSpec(LossKind.SoftmaxCrossEntropy))
            : new NetworkSpec(
                InputSpec.Image(1, 28, 28),
                [
                    new Conv2DSpec(16, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
                    new Conv2DSpec(32, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
                    new FlattenSpec(), new DenseSpec(10),
                ],
                new LossSpec(LossKind.SoftmaxCrossEntropy));
        var network = Network.Create(spec, seed: 1);
        _scorer = network.CreateScorer();

        var random = new Random(7);
        _input = PinnedMemory.Allocate<float>(Batch * network.InputSize);
        _output = PinnedMemory.Allocate<float>(Batch * network.OutputSize);
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (float)random.NextDouble();
        }

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = KernelSettings.ThreadCount, InterOpNumThreads = 1 };
        _session = new InferenceSession(OnnxExport.ToBytes(network, new OnnxExportOptions { Task = OnnxTask.Regression }), sessionOptions);
        _runOptions = new RunOptions();
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [Batch, network.InputSize]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_output, [Batch, network.OutputSize]);
        _inputNames = [OnnxNames.Features];
        _outputNames = [OnnxNames.Score];
        _inputs = [_inputValue];
        _outputs = [_outputValue];
        Console.WriteLine($"// {KernelSettings.Describe()}; ORT intra-op threads {KernelSettings.ThreadCount}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _inputValue.Dispose();
        _outputValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    [Benchmark(Baseline = true, Description = "engine NetworkScorer")]
    public void Engine() => _scorer.Score(_input, Batch, _output);

    [Benchmark(Description = "ONNX Runtime")]
    public void OnnxRuntime() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
}
