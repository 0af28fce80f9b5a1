using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// The optimizer's runs over the flat parameters: weight decay reaches only the blocks that decay (not biases), and without
/// it every trainable parameter takes one update over runs merged across blocks, the same bits as each block's own.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class OptimizerTests
{
    private static readonly NetworkSpec Spec = new(
        InputSpec.Vector(300), [new DenseSpec(200), new ActivationSpec(ActivationKind.Relu), new DenseSpec(120), new DenseSpec(7)],
        new LossSpec(LossKind.SoftmaxCrossEntropy));

    [TestMethod]
    [DataRow(OptimizerKind.Adam, 0f)]
    [DataRow(OptimizerKind.AdamW, 0f)]
    [DataRow(OptimizerKind.Adam, 0.01f)]
    [DataRow(OptimizerKind.AdamW, 0.01f)]
    [DataRow(OptimizerKind.Sgd, 0.01f)]
    public void EachBlockTakesItsOwnUpdateOnEveryPath(OptimizerKind kind, float weightDecay)
    {
        var spec = new OptimizerSpec(kind, WeightDecay: weightDecay);
        Network reference = Prepared(), template = Prepared();
        int steps = 3;

        // The reference: each block updated on its own by the kernels, its decay as the optimizer's spec says.
        float[] first = new float[reference.Parameters.Length], second = new float[reference.Parameters.Length];
        for (int t = 1; t <= steps; t++)
        {
            float step = 1e-2f / (1f - MathF.Pow(spec.Beta1, t)), correction = 1f / MathF.Sqrt(1f - MathF.Pow(spec.Beta2, t));
            foreach (ParameterBlock block in reference.Blocks)
            {
                float decay = block.Spec.Decays ? weightDecay : 0f;
                Span<float> w = block.Values, m = first.AsSpan(block.Offset, block.Length), v = second.AsSpan(block.Offset, block.Length);
                ReadOnlySpan<float> g = block.Gradient;
                switch (kind)
                {
                    case OptimizerKind.Sgd:
                        OptimizerKernels.Sgd(w, g, m, 1e-2f, spec.Momentum, spec.Nesterov, decay);
                        break;
                    case OptimizerKind.Adam:
                        OptimizerKernels.Adam(w, g, m, v, step, correction, spec.Beta1, spec.Beta2, spec.Epsilon, l2: decay, decay: 0f);
                        break;
                    default:
                        OptimizerKernels.Adam(w, g, m, v, step, correction, spec.Beta1, spec.Beta2, spec.Epsilon, l2: 0f, decay: 1e-2f * decay);
                        break;
                }
            }
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            Network network = Prepared();
            var optimizer = new Optimizer(network, spec);
            for (int t = 0; t < steps; t++)
            {
                optimizer.Step(1e-2f);
            }

            KernelTestCases.AssertBitEqual(reference.Parameters, network.Parameters, $"{kind}, weight decay {weightDecay}, {path} ×{threads}");
        });

        // Biases never decay: with zero gradients only the weights move, and only under weight decay.
        Network still = Prepared();
        Array.Clear(still.Gradients);
        var decaying = new Optimizer(still, spec);
        decaying.Step(1e-2f);
        foreach (ParameterBlock block in still.Blocks)
        {
            ReadOnlySpan<float> before = template.Blocks.ToArray().Single(b => b.Offset == block.Offset).Values;
            bool moved = !before.SequenceEqual(block.Values);
            Assert.AreEqual(block.Spec.Decays && weightDecay != 0, moved, $"{kind}, weight decay {weightDecay}: block {block.Spec.Name} at {block.Offset}");
        }
    }

    [TestMethod]
    public void PartsAreEqualWholeVectorsAndAMultipleOfTheThreads()
    {
        foreach (int length in new[] { 1, 32_768, 32_769, 65_536, 100_003, 269_322, 1_000_000 })
        {
            foreach (int threads in new[] { 1, 2, 3, 4 })
            {
                int perPart = OptimizerKernels.PerPart(length, threads);
                int parts = (length + perPart - 1) / perPart;
                string what = $"{length} elements on {threads} threads: {parts} parts of {perPart}";
                Assert.IsTrue(perPart <= 1 << 15, what);
                if (length > 1 << 15 && threads > 1)
                {
                    Assert.AreEqual(0, perPart % 16, what);
                    Assert.AreEqual(0, parts % threads, what);
                    Assert.IsTrue(length - ((parts - 1) * perPart) > perPart - (16 * parts), $"{what}: the last part is shorter by less than a cache line a part");
                }
            }
        }

        Assert.AreEqual(26_944, OptimizerKernels.PerPart(269_322, 2), "the MLP benchmark's parameters: ten parts");
    }

    /// <summary>The network with random parameters (biases too) and gradients, the same every call.</summary>
    private static Network Prepared()
    {
        Network network = Network.Create(Spec, seed: 5);
        var random = new Random(17);
        for (int i = 0; i < network.Parameters.Length; i++)
        {
            network.Parameters[i] = (float)((random.NextDouble() * 2) - 1);
            network.Gradients[i] = (float)((random.NextDouble() * 2) - 1) * 0.1f;
        }

        return network;
    }
}
