using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// A Flatten is passed over rather than run (<see cref="Network.PassesViews"/>): the layer before it writes where the layer
/// after it reads or keeps, the gradient goes through untouched, and a ReLU before it fuses with the pooling before and the Dense
/// layer after. The same bits as running it, in training and in scoring, with less kept.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class ViewLayerTests
{
    private static readonly Dictionary<string, NetworkSpec> Specs = new()
    {
        // conv, pool, ReLU (the factory puts pooling first), Flatten, Dense: the ReLU fuses across the Flatten both ways.
        ["cnn"] = new NetworkSpec(
            InputSpec.Image(1, 12, 12),
            [new Conv2DSpec(8, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(),
             new DenseSpec(16), new ActivationSpec(ActivationKind.Relu), new DenseSpec(3)],
            new LossSpec(LossKind.SoftmaxCrossEntropy)),

        // Flatten first: the Dense layer after it keeps the network's input, and nothing below it needs an input gradient.
        ["first"] = new NetworkSpec(
            InputSpec.Image(1, 6, 6),
            [new FlattenSpec(), new DenseSpec(20), new ActivationSpec(ActivationKind.Relu), new DenseSpec(4)],
            new LossSpec(LossKind.SoftmaxCrossEntropy)),

        // Flatten last (after the CHW→HWC layer, a convolution and a ReLU): it runs, copying into the logits.
        ["last"] = new NetworkSpec(
            InputSpec.Image(2, 4, 4),
            [new Conv2DSpec(3, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new FlattenSpec()],
            new LossSpec(LossKind.SoftmaxCrossEntropy)),

        // A Tanh before the Flatten reads its output from the Dense layer's kept input instead of keeping its own.
        ["tanh"] = new NetworkSpec(
            InputSpec.Image(1, 6, 6),
            [new Conv2DSpec(4, 3, 1, 1), new ActivationSpec(ActivationKind.Tanh), new FlattenSpec(), new DenseSpec(5)],
            new LossSpec(LossKind.SoftmaxCrossEntropy)),

        // Two in a row: the ReLU still fuses with the Dense layer behind both.
        ["twice"] = new NetworkSpec(
            InputSpec.Image(1, 8, 8),
            [new Conv2DSpec(4, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(),
             new FlattenSpec(), new DenseSpec(5)],
            new LossSpec(LossKind.SoftmaxCrossEntropy)),
    };

    public static IEnumerable<object[]> Cases =>
        from network in Specs.Keys
        from sketch in new[] { "exact", "magnitude" }
        from threads in new[] { 1, 2 }
        from chunkRows in new[] { 0, 5 }
        select new object[] { network, sketch, threads, chunkRows };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void PassingOverAFlattenGivesTheSameLossGradientsAndScores(string name, string sketch, int threads, int chunkRows)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        NetworkSpec spec = Specs[name];
        const int batch = 23;
        (Network viewed, Network copied) = FusionComparison.Pair(spec, seed: 13, sketch, chunkRows, batch, n => n.PassesViews = false);

        IReadOnlyList<Layer> layers = viewed.Layers;
        int last = layers.Count - 1;
        int[] flattens = [.. Enumerable.Range(0, layers.Count).Where(i => layers[i] is FlattenLayer)];
        Assert.IsNotEmpty(flattens);
        foreach (int i in flattens)
        {
            Assert.AreEqual(i < last, viewed.PassesOver(i), $"layer {i}: passed over unless last");
            Assert.IsFalse(copied.PassesOver(i), $"layer {i}: run with PassesViews off");
        }

        // The ReLU in front of a passed-over Flatten whose Dense layer keeps its input exactly: it keeps no mask, runs inside the
        // pooling, and its backward pass inside the Dense layer's product (only with PassesViews).
        // The activation before the Flatten keeps nothing of its own where the Dense layer behind keeps its input exactly.
        bool exact = sketch == "exact";
        int activation = name is "cnn" or "twice" or "tanh" ? flattens[0] - 1 : -1;
        if (name == "tanh")
        {
            Assert.IsInstanceOfType<TanhLayer>(layers[activation]);
            Assert.AreEqual(exact, layers[activation].OutputKeptByNext, "the Dense layer behind the Flatten keeps the Tanh's output");
            Assert.IsFalse(copied.Layers[activation].OutputKeptByNext, "not with the Flatten running");
        }

        if (name is "cnn" or "twice")
        {
            int relu = activation;
            int dense = flattens[^1] + 1;
            Assert.IsInstanceOfType<ReluLayer>(layers[relu]);
            Assert.AreEqual(exact, viewed.ActivatesAfterPooling(relu, training: true), "the ReLU runs in the pooling");
            Assert.AreEqual(exact, viewed.MasksInProduct(dense, out _), "the Dense layer masks the ReLU's gradient");
            Assert.IsFalse(copied.ActivatesAfterPooling(relu, training: true) || copied.MasksInProduct(dense, out _), "not across a Flatten that runs");
            Assert.AreEqual(exact ? dense : -1, viewed.KeeperOf(relu), "who keeps the ReLU's output");
        }

        if (name == "first")
        {
            Assert.AreEqual(exact ? 1 : -1, viewed.KeeperOf(-1), "the Dense layer keeps the network's input");
            Assert.AreEqual(-1, copied.KeeperOf(-1), "the Flatten that runs keeps nothing");
        }

        FusionComparison.AssertSameSteps(copied, viewed, batch, classes: viewed.OutputSize, g => g.Any(v => v != 0), "the gradients are not all zero", step =>
        {
            for (int i = 0; i < layers.Count; i++)
            {
                long kept = viewed.Ledger.LayerRetainedBytes(i), keptRunning = copied.Ledger.LayerRetainedBytes(i);
                if (i == activation && exact)
                {
                    Assert.AreEqual(0, kept, $"step {step}: the activation keeps nothing of its own");
                    Assert.IsGreaterThan(0, keptRunning, $"step {step}: the activation keeps a mask or its output before a Flatten that runs");
                }
                else
                {
                    Assert.AreEqual(keptRunning, kept, $"step {step}: layer {i} keeps the same bytes");
                }
            }

            long saved = activation >= 0 && exact ? copied.Ledger.LayerRetainedBytes(activation) : 0;
            Assert.AreEqual(copied.Ledger.RetainedBytes - saved, viewed.Ledger.RetainedBytes, $"step {step}: retained bytes");
        });

        FusionComparison.AssertSameScores(copied, viewed);
    }
}
