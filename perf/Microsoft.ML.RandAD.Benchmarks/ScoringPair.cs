using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// One network scored two ways on the same rows: the engine's <see cref="NetworkScorer"/> and ONNX Runtime on its export
/// (as regression, so the graph holds no softmax or argmax the engine does not do), with the same thread count, from
/// pinned, reused buffers (ORT runs on OrtValues wrapping the same arrays, so neither side allocates or copies per call).
/// </summary>
internal sealed class ScoringPair : IDisposable
{
    private readonly NetworkScorer _scorer;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue _inputValue, _outputValue;
    private readonly float[] _input, _output;
    private readonly string[] _inputNames = [OnnxNames.Features], _outputNames = [OnnxNames.Score];
    private readonly OrtValue[] _inputs, _outputs;

    /// <param name="model"><c>mlp</c>: 784-256-256-10 ReLU. <c>cnn</c>: conv5×5×16 p2, ReLU, maxpool 2, conv5×5×32 p2, ReLU, maxpool 2, FC10 on 28×28×1.</param>
    /// <param name="batch">Rows per call.</param>
    public ScoringPair(string model, int batch)
    {
        Batch = batch;
        NetworkSpec spec = model == "mlp"
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
        _input = PinnedMemory.Allocate<float>(batch * network.InputSize);
        _output = PinnedMemory.Allocate<float>(batch * network.OutputSize);
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (float)random.NextDouble();
        }

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = KernelSettings.ThreadCount, InterOpNumThreads = 1 };
        _session = new InferenceSession(OnnxExport.ToBytes(network, new OnnxExportOptions { Task = OnnxTask.Regression }), sessionOptions);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [batch, network.InputSize]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_output, [batch, network.OutputSize]);
        _inputs = [_inputValue];
        _outputs = [_outputValue];
    }

    public int Batch { get; }

    public void Engine() => _scorer.Score(_input, Batch, _output);

    public void OnnxRuntime() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    public void Dispose()
    {
        _inputValue.Dispose();
        _outputValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
