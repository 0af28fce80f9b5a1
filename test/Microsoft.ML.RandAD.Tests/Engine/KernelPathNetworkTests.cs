using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// Whole training steps on every kernel path (the 512-bit one emulated where the processor lacks AVX-512) against the
/// scalar path: the kernel tests check each kernel alone, this checks that a network's step picks and joins them right on
/// each path (fused pooling, the ReLU read from kept outputs, the convolutions' sparse gradients, RAD's sketches).
/// </summary>
[TestClass]
[DoNotParallelize] // KernelSettings is process-wide.
public sealed class KernelPathNetworkTests
{
    public static IEnumerable<object[]> Networks()
    {
        // The benchmark CNN's layers on small images: its second convolution (16 channels in, 32 filters, 5×5) takes the
        // sparse weight and input gradients on every vector path, the receptive-field walk of 16 channels on AVX-512.
        yield return ["cnn", new NetworkSpec(
            InputSpec.Image(1, 12, 12),
            [
                new Conv2DSpec(16, 5, 1, 2), new Pool2DSpec(PoolKind.Max, 2), new ActivationSpec(ActivationKind.Relu),
                new Conv2DSpec(32, 5, 1, 2), new Pool2DSpec(PoolKind.Max, 2), new ActivationSpec(ActivationKind.Relu),
                new FlattenSpec(), new DenseSpec(10),
            ],
            new LossSpec(LossKind.SoftmaxCrossEntropy))];

        // The benchmark MLP's layer kinds (Dense + ReLU fused into the product, the mask read from the kept output), with
        // widths that leave partial vectors and tiles on every path.
        yield return ["mlp", NetworkSpec.Mlp(37, [33, 19], 10, new LossSpec(LossKind.SoftmaxCrossEntropy), ActivationKind.Relu)];
    }

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void EveryPathGivesTheScalarPathsLossAndGradientsToRounding(string name, NetworkSpec spec)
    {
        foreach (RadSettings sketching in new[] { RadSettings.Exact, new RadSettings { KeepFraction = 0.25f } })
        {
            (double loss, float[] gradients) expected;
            using (KernelSettings.Use(KernelPath.Scalar, 1))
            {
                expected = Step(spec, sketching);
            }

            double scale = expected.gradients.Max(MathF.Abs);
            Assert.IsTrue(scale > 1e-3, $"{name}: the gradients are too small to compare");
            foreach (var (path, threads) in KernelTestCases.PathsAndThreads())
            {
                using (KernelSettings.Use(path, threads))
                {
                    (double loss, float[] gradients) = Step(spec, sketching);
                    string what = $"{name}, f = {sketching.KeepFraction}, {path} ×{threads}";
                    Assert.AreEqual(expected.loss, loss, 1e-5 * Math.Abs(expected.loss), $"{what}: loss");

                    // Paths sum products in other orders (vector lanes, k blocks), so gradients agree to rounding, relative to
                    // the largest: far tighter than a wrong or missing term (a gradient element is a sum of ~100 products).
                    for (int i = 0; i < gradients.Length; i++)
                    {
                        Assert.AreEqual(expected.gradients[i], gradients[i], 2e-5 * scale, $"{what}: gradient {i} of {gradients.Length}");
                    }
                }
            }
        }
    }

    private static (double Loss, float[] Gradients) Step(NetworkSpec spec, RadSettings sketching)
    {
        const int batch = 12;
        var network = Network.Create(spec, seed: 17);
        network.ConfigureSketches(sketching, batch);
        var random = new Random(4);

        // Pixels in [0, 1) with a third of them 0, as images have.
        float[] x = [.. Enumerable.Range(0, batch * network.InputSize).Select(_ => random.NextDouble() < 0.33 ? 0f : (float)random.NextDouble())];
        float[] targets = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(network.OutputSize))];
        x.CopyTo(network.BeginStep(batch));
        double loss = network.ForwardBackward(targets);
        return (loss, network.Gradients.ToArray());
    }
}
