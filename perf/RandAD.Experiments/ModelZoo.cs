using Microsoft.ML.RandAD.Model;

namespace RandAD.Experiments;

/// <summary>The paper's three architectures (RAD-METHOD.md §5), adapted to 28×28 grayscale inputs.</summary>
internal static class ModelZoo
{
    public const string FullyConnected = "fc";
    public const string ConvNet = "conv";
    public const string Irnn = "irnn";
    public const string PixelIrnn = "irnn-pixel";

    private static readonly LossSpec s_crossEntropy = new(LossKind.SoftmaxCrossEntropy);

    /// <summary>The architecture a short model name stands for, on 28×28×1 images with 10 classes.</summary>
    public static NetworkSpec ForImages(string model) => model switch
    {
        FullyConnected => NetworkSpec.Mlp(784, [300, 300, 300], 10, s_crossEntropy),
        ConvNet => PaperConvNet(channels: 1, side: 28),
        Irnn => RowSequentialIrnn(steps: 28, stepSize: 28),
        PixelIrnn => RowSequentialIrnn(steps: 784, stepSize: 1),
        _ => throw new ArgumentException($"Unknown model '{model}'; use {FullyConnected}, {ConvNet}, {Irnn} or {PixelIrnn}."),
    };

    /// <summary>Human-readable name for plots and tables.</summary>
    public static string Title(string model) => model switch
    {
        FullyConnected => "FC 784-300-300-300-10",
        ConvNet => "ConvNet (28×28×1)",
        Irnn => "IRNN (28 rows × 28 px, 100 hidden)",
        PixelIrnn => "IRNN (784 pixels, 100 hidden)",
        _ => model,
    };

    /// <summary>
    /// The paper's CIFAR-10 ConvNet: conv5×5(→16)-ReLU-conv5×5(→32)-ReLU-avgpool2-conv5×5(→32)-ReLU-conv5×5(→32)-ReLU-
    /// avgpool2-FC(→10), padding 2 so every convolution keeps the spatial size.
    /// </summary>
    public static NetworkSpec PaperConvNet(int channels, int side) => new(
        InputSpec.Image(channels, side, side),
        [
            new Conv2DSpec(16, 5, Padding: 2), new ActivationSpec(ActivationKind.Relu),
            new Conv2DSpec(32, 5, Padding: 2), new ActivationSpec(ActivationKind.Relu),
            new Pool2DSpec(PoolKind.Average, 2),
            new Conv2DSpec(32, 5, Padding: 2), new ActivationSpec(ActivationKind.Relu),
            new Conv2DSpec(32, 5, Padding: 2), new ActivationSpec(ActivationKind.Relu),
            new Pool2DSpec(PoolKind.Average, 2),
            new FlattenSpec(), new DenseSpec(10),
        ],
        s_crossEntropy);

    /// <summary>IRNN with 100 hidden units (W_hh starts at the identity) reading the image a step at a time, then FC(100→10).</summary>
    public static NetworkSpec RowSequentialIrnn(int steps, int stepSize) => new(
        InputSpec.Sequence(steps, stepSize), [new RecurrentSpec(100), new DenseSpec(10)], s_crossEntropy);
}
