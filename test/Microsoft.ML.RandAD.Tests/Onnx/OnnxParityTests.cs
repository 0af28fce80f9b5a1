using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>ONNX Runtime reproduces the engine's predictions for every layer type and task, at batch sizes 1, 3 and 64.</summary>
[TestClass]
public sealed class OnnxParityTests
{
    private static readonly int[] BatchSizes = [1, 3, 64];

    public static IEnumerable<object[]> Architectures =>
    [
        ["mlp-multiclass-relu", NetworkSpec.Mlp(20, [32, 16], 5, new LossSpec(LossKind.SoftmaxCrossEntropy))],
        ["mlp-binary-batchnorm-leaky-dropout", new NetworkSpec(
            InputSpec.Vector(12),
            [new DenseSpec(16), new BatchNormSpec(), new ActivationSpec(ActivationKind.LeakyRelu, 0.1f), new DropoutSpec(0.3f), new DenseSpec(1)],
            new LossSpec(LossKind.BinaryCrossEntropy))],
        ["mlp-regression-tanh-gelu-sigmoid", new NetworkSpec(
            InputSpec.Vector(9),
            [new DenseSpec(10), new ActivationSpec(ActivationKind.Tanh), new DenseSpec(10), new ActivationSpec(ActivationKind.Gelu), new DenseSpec(8), new ActivationSpec(ActivationKind.Sigmoid), new DenseSpec(1)],
            new LossSpec(LossKind.MeanSquaredError))],
        ["mlp-regression-3-outputs-huber", NetworkSpec.Mlp(7, [6], 3, new LossSpec(LossKind.Huber), ActivationKind.Gelu)],
        ["cnn-gray-batchnorm-dropout", new NetworkSpec(
            InputSpec.Image(1, 12, 12),
            [
                new Conv2DSpec(6, 3, 1, 1), new BatchNormSpec(), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
                new DropoutSpec(0.2f), new Conv2DSpec(8, 3, 2, 0), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Average, 2, 1),
                new FlattenSpec(), new DenseSpec(4),
            ],
            new LossSpec(LossKind.SoftmaxCrossEntropy))],
        ["cnn-rgb-binary", new NetworkSpec(
            InputSpec.Image(3, 10, 9),
            [
                new Conv2DSpec(5, 3, 1, 1), new ActivationSpec(ActivationKind.Gelu), new Pool2DSpec(PoolKind.Average, 2),
                new Conv2DSpec(4, 2, 1, 0), new BatchNormSpec(), new ActivationSpec(ActivationKind.Tanh),
                new FlattenSpec(), new DenseSpec(8), new ActivationSpec(ActivationKind.Relu), new DenseSpec(1),
            ],
            new LossSpec(LossKind.BinaryCrossEntropy))],
        ["cnn-rgb-strided-5x5-multiclass", new NetworkSpec(
            InputSpec.Image(3, 14, 14),
            [new Conv2DSpec(7, 5, 2, 2), new ActivationSpec(ActivationKind.LeakyRelu), new Pool2DSpec(PoolKind.Max, 3, 2), new FlattenSpec(), new DropoutSpec(0.5f), new DenseSpec(6)],
            new LossSpec(LossKind.SoftmaxCrossEntropy))],
        ["image-flatten-without-conv", new NetworkSpec(
            InputSpec.Image(3, 4, 5),
            [new ActivationSpec(ActivationKind.Sigmoid), new FlattenSpec(), new DenseSpec(3)],
            new LossSpec(LossKind.MeanSquaredError))],
        ["irnn-multiclass", new NetworkSpec(InputSpec.Sequence(6, 4), [new RecurrentSpec(8), new DenseSpec(3)], new LossSpec(LossKind.SoftmaxCrossEntropy))],
        ["irnn-batchnorm-binary", new NetworkSpec(
            InputSpec.Sequence(5, 3),
            [new BatchNormSpec(), new RecurrentSpec(6), new ActivationSpec(ActivationKind.Relu), new DropoutSpec(0.1f), new DenseSpec(1)],
            new LossSpec(LossKind.BinaryCrossEntropy))],
        ["sequence-flatten-regression", new NetworkSpec(
            InputSpec.Sequence(4, 3),
            [new BatchNormSpec(), new ActivationSpec(ActivationKind.Tanh), new FlattenSpec(), new DenseSpec(2)],
            new LossSpec(LossKind.Huber))],
    ];

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void OnnxRuntimeReproducesTheEngine(string name, NetworkSpec spec)
    {
        var network = OnnxParityCheck.Trained(spec, seed: 21);
        double worst = OnnxParityCheck.CheckParity(network, name, BatchSizes, seed: 4);
        Assert.IsLessThanOrEqualTo(OnnxParityCheck.Tolerance, worst, name); // ~1e-6 relative or less in practice
    }

    [TestMethod]
    public void ElementwiseFirstLayersExportUntrained()
    {
        // (Training a network whose first layer is an activation, dropout or flatten currently fails in the
        // engine's backward pass, so these are checked with their initial weights.)
        NetworkSpec[] specs =
        [
            new(InputSpec.Sequence(4, 3), [new ActivationSpec(ActivationKind.Tanh), new FlattenSpec(), new DenseSpec(2)], new LossSpec(LossKind.MeanSquaredError)),
            new(InputSpec.Image(1, 5, 4), [new DropoutSpec(0.5f), new FlattenSpec(), new DenseSpec(3)], new LossSpec(LossKind.SoftmaxCrossEntropy)),
            new(InputSpec.Vector(6), [new ActivationSpec(ActivationKind.Gelu), new DenseSpec(1)], new LossSpec(LossKind.BinaryCrossEntropy)),
        ];
        foreach (NetworkSpec spec in specs)
        {
            OnnxParityCheck.CheckParity(Network.Create(spec, seed: 5), spec.Input.ToString(), BatchSizes, seed: 6);
        }
    }

    [TestMethod]
    public void EveryOpsetInTheSupportedRangeRuns()
    {
        var spec = (NetworkSpec)Architectures.ElementAt(5)[1];
        var network = OnnxParityCheck.Trained(spec, seed: 8);
        for (int opset = Microsoft.ML.RandAD.Onnx.OnnxExportOptions.MinimumOpset; opset <= Microsoft.ML.RandAD.Onnx.OnnxExportOptions.MaximumOpset; opset++)
        {
            OnnxParityCheck.CheckParity(network, $"opset {opset}", [2], seed: opset, new Microsoft.ML.RandAD.Onnx.OnnxExportOptions { Opset = opset });
        }
    }

    [TestMethod]
    public void TaskCanBeChosenAgainstTheLoss()
    {
        // A multiclass network exported as regression gives its raw logits as "score" [N, K].
        var network = OnnxParityCheck.Trained(NetworkSpec.Mlp(5, [4], 3, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 2);
        OnnxParityCheck.CheckParity(network, "as regression", [1, 5], seed: 3, new Microsoft.ML.RandAD.Onnx.OnnxExportOptions { Task = Microsoft.ML.RandAD.Onnx.OnnxTask.Regression });
    }
}
