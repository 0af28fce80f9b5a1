using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// A ReLU or LeakyReLU (slope ≥ 0) followed by max pooling runs as pooling, then the activation: same loss, same
/// gradients, on a quarter of the elements.
/// </summary>
[TestClass]
[DoNotParallelize] // LayerFactory.PoolBeforeActivation is process-wide.
public sealed class PoolOrderTests
{
    [TestMethod]
    public void NonDecreasingActivationsRunAfterMaxPooling()
    {
        var network = Network.Create(Spec(new ActivationSpec(ActivationKind.LeakyRelu, 0.1f), PoolKind.Max), seed: 1);
        CollectionAssert.AreEqual(
            new[] { typeof(ChannelsLastLayer), typeof(Conv2DLayer), typeof(Pool2DLayer), typeof(ReluLayer), typeof(Conv2DLayer), typeof(Pool2DLayer), typeof(ReluLayer), typeof(FlattenLayer), typeof(DenseLayer) },
            network.Layers.Select(l => l.GetType()).ToArray());
        Assert.AreEqual(0.1f, ((ReluLayer)network.Layers[3]).NegativeSlope);
        Assert.AreEqual(4 * 4 * 4, network.Layers[3].InputShape.Size, "the activation takes the pooled shape");
    }

    [TestMethod]
    [DataRow(ActivationKind.Tanh, 0f, PoolKind.Max)]
    [DataRow(ActivationKind.Relu, 0f, PoolKind.Average)]
    [DataRow(ActivationKind.LeakyRelu, -0.5f, PoolKind.Max)]
    public void OtherPairsKeepTheirOrder(ActivationKind kind, float slope, PoolKind pool)
    {
        var network = Network.Create(Spec(new ActivationSpec(kind, slope), pool), seed: 1);
        Assert.IsInstanceOfType<Conv2DLayer>(network.Layers[1]);
        Assert.IsNotInstanceOfType<Pool2DLayer>(network.Layers[2], "the activation stays before the pooling");
        Assert.IsInstanceOfType<Pool2DLayer>(network.Layers[3]);
    }

    public static IEnumerable<object[]> Cases =>
        from activation in new[] { new ActivationSpec(ActivationKind.Relu), new ActivationSpec(ActivationKind.LeakyRelu, 0.1f) }
        from sketch in new[] { "exact", "magnitude" }
        from threads in new[] { 1, 2 }
        select new object[] { activation, sketch, threads };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void PoolingFirstGivesTheSameLossAndGradients(ActivationSpec activation, string sketch, int threads)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        NetworkSpec spec = Spec(activation, PoolKind.Max);
        RadSettings settings = sketch == "exact" ? RadSettings.Exact : new RadSettings { KeepFraction = 0.25f, Estimator = RadEstimator.SampledByMagnitude };
        const int batch = 6;
        Network written, pooledFirst;
        try
        {
            LayerFactory.PoolBeforeActivation = false;
            written = Network.Create(spec, seed: 7);
        }
        finally
        {
            LayerFactory.PoolBeforeActivation = true;
        }

        pooledFirst = Network.Create(spec, seed: 7);
        Assert.IsInstanceOfType<ReluLayer>(written.Layers[2], "the reference runs the activation first");
        Assert.IsInstanceOfType<Pool2DLayer>(pooledFirst.Layers[2]);
        written.ConfigureSketches(settings, batch);
        pooledFirst.ConfigureSketches(settings, batch);
        CollectionAssert.AreEqual(written.Parameters, pooledFirst.Parameters);

        // Inputs of both signs, so some windows hold only negative pre-activations (flat ReLU: winners may differ, gradients may not).
        var random = new Random(3);
        for (int step = 0; step < 3; step++)
        {
            float[] x = [.. Enumerable.Range(0, batch * spec.Input.Size).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            float[] y = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(3))];
            x.CopyTo(written.BeginStep(batch));
            x.CopyTo(pooledFirst.BeginStep(batch));
            double expectedLoss = written.ForwardBackward(y);
            double loss = pooledFirst.ForwardBackward(y);
            Assert.AreEqual(expectedLoss, loss, 0, $"step {step}: loss");
            for (int i = 0; i < written.Gradients.Length; i++)
            {
                // Equal as numbers: where a flat ReLU zeroes a gradient, its sign of zero may differ.
                Assert.IsTrue(written.Gradients[i] == pooledFirst.Gradients[i], $"step {step}: gradient {i}: {written.Gradients[i]} vs {pooledFirst.Gradients[i]}");
            }

            Assert.IsTrue(written.Gradients.Any(g => g != 0), "the gradients are not all zero");
        }

        Assert.IsTrue(pooledFirst.Ledger.RetainedBytes < written.Ledger.RetainedBytes, "the activation's mask covers the pooled elements only");
    }

    // Two channels (so the engine starts with its channels-last layer), conv → activation → pool twice, then a classifier.
    private static NetworkSpec Spec(ActivationSpec activation, PoolKind pool) => new(
        InputSpec.Image(2, 8, 8),
        [new Conv2DSpec(4, 3, 1, 1), activation, new Pool2DSpec(pool, 2), new Conv2DSpec(3, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(3)],
        new LossSpec(LossKind.SoftmaxCrossEntropy));
}
