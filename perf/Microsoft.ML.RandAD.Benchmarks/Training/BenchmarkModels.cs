using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>The models of the issue-3/4 benchmarks, with the optimizers TorchSharp was measured with (DATA.md).</summary>
internal static class BenchmarkModels
{
    /// <summary>MLP 784-256-256-10, ReLU.</summary>
    public static NetworkSpec Mlp { get; } = NetworkSpec.Mlp(784, [256, 256], 10, new LossSpec(LossKind.SoftmaxCrossEntropy));

    /// <summary>conv5×5×16 pad 2-ReLU-maxpool2-conv5×5×32 pad 2-ReLU-maxpool2-FC10 on 28×28×1.</summary>
    public static NetworkSpec Cnn { get; } = new(
        InputSpec.Image(1, 28, 28),
        [
            new Conv2DSpec(16, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
            new Conv2DSpec(32, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
            new FlattenSpec(), new DenseSpec(10),
        ],
        new LossSpec(LossKind.SoftmaxCrossEntropy));

    /// <summary>The main sample's IRNN: each image read as 28 steps of 28 pixels by a recurrent ReLU layer of 128 units, then FC10.</summary>
    public static NetworkSpec Irnn { get; } = new(
        InputSpec.Sequence(28, 28), [new RecurrentSpec(128), new DenseSpec(10)], new LossSpec(LossKind.SoftmaxCrossEntropy));

    public static NetworkSpec Get(string name) => name switch
    {
        "mlp" => Mlp,
        "cnn" => Cnn,
        "irnn" => Irnn,
        _ => throw new ArgumentException($"unknown model '{name}' (mlp, cnn, irnn)"),
    };

    /// <summary>TorchSharp reference settings: MLP Adam 1e-3; CNN SGD 0.01 momentum 0.9.</summary>
    public static (OptimizerSpec Optimizer, float LearningRate) Optimizer(string name) => name == "cnn"
        ? (new OptimizerSpec(OptimizerKind.Sgd, Momentum: 0.9f), 0.01f)
        : (new OptimizerSpec(OptimizerKind.Adam), 1e-3f);
}
