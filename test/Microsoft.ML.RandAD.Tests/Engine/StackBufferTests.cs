using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// The library skips the JIT's zeroing of <c>stackalloc</c> buffers (<c>Kernels/SkipLocalsInit.cs</c>), so each buffer must
/// be written before it is read. Two networks of the same spec and seed take the same steps on one thread (every kernel on
/// the test's own stack), the stack below the test's frame filled with zeros before each step of the first and with NaN
/// before each step of the second: the same loss and gradients to the bit. A buffer read before it is written would carry
/// the NaN into them.
/// </summary>
[TestClass]
[DoNotParallelize] // KernelSettings are process-wide.
public sealed class StackBufferTests
{
    private const int StackFloats = 128 * 1024; // 512 KB: more than any kernel's buffers and frames below the test's

    private static float s_sink;

    public static IEnumerable<object[]> Cases =>
    [
        ["CNN, exact", "cnn", null!],
        ["CNN, RAD by magnitude", "cnn", RadEstimator.SampledByMagnitude],
        ["CNN, RAD sampled shared", "cnn", RadEstimator.SampledShared],
        ["MLP, exact", "mlp", null!],
        ["MLP, RAD by magnitude", "mlp", RadEstimator.SampledByMagnitude],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void StepsDoNotReadWhatTheStackHeld(string name, string model, RadEstimator? estimator)
    {
        NetworkSpec spec = model == "cnn"
            ? TestNetworks.FashionCnn
            : NetworkSpec.Mlp(784, [64, 64], 10, new LossSpec(LossKind.SoftmaxCrossEntropy), ActivationKind.Relu);
        RadSettings settings = estimator is RadEstimator e ? new RadSettings { KeepFraction = 0.25f, Estimator = e } : RadSettings.Exact;
        const int batch = 24;
        foreach (KernelPath path in KernelTestCases.Paths)
        {
            using var scope = KernelSettings.Use(path, 1);
            Network zeros = Network.Create(spec, seed: 3), nans = Network.Create(spec, seed: 3);
            zeros.ConfigureSketches(settings, batch);
            nans.ConfigureSketches(settings, batch);
            var random = new Random(7);
            for (int step = 0; step < 2; step++)
            {
                float[] x = [.. Enumerable.Range(0, batch * spec.Input.Size).Select(_ => (float)random.NextDouble())];
                float[] y = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(10))];
                double lossOnZeros = Step(zeros, x, y, 0f);
                double lossOnNaNs = Step(nans, x, y, float.NaN);
                string what = $"{name}, {path}, step {step}";
                Assert.IsTrue(double.IsFinite(lossOnZeros), $"{what}: a finite loss");
                Assert.AreEqual(lossOnZeros, lossOnNaNs, 0, $"{what}: the same loss");
                KernelTestCases.AssertBitEqual(zeros.Gradients, nans.Gradients, $"{what}: the same gradients");
                Assert.IsTrue(zeros.Gradients.Any(g => g != 0), $"{what}: gradients not all zero");
            }
        }
    }

    private static double Step(Network network, float[] x, float[] y, float stackValue)
    {
        x.CopyTo(network.BeginStep(y.Length));
        FillStack(stackValue);
        return network.ForwardBackward(y);
    }

    /// <summary>Writes <paramref name="value"/> over the stack the next calls from the caller's frame will use.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FillStack(float value)
    {
        Span<float> below = stackalloc float[StackFloats];
        below.Fill(value);
        s_sink = below[StackFloats / 2];
    }
}
