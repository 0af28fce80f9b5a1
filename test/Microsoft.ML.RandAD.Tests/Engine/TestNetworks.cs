using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>Architectures several test classes train.</summary>
internal static class TestNetworks
{
    /// <summary>
    /// The benchmark CNN on 28×28 images: conv 5×5×16 (padding 2), ReLU, max pooling 2, conv 5×5×32, ReLU, max pooling 2,
    /// Flatten, Dense 10, softmax cross-entropy.
    /// </summary>
    public static NetworkSpec FashionCnn { get; } = new(
        InputSpec.Image(1, 28, 28),
        [new Conv2DSpec(16, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
         new Conv2DSpec(32, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
         new FlattenSpec(), new DenseSpec(10)],
        new LossSpec(LossKind.SoftmaxCrossEntropy));
}
