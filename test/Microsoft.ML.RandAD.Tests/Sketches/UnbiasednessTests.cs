using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tests.Engine;

namespace Microsoft.ML.RandAD.Tests.Sketches;

/// <summary>
/// RAD's contract (RAD-METHOD.md §3): for a fixed minibatch and weights, sketched weight gradients average to
/// the exact one, while the input gradient and the bias gradient are the exact ones, bit for bit.
/// </summary>
[TestClass]
public sealed class UnbiasednessTests
{
    private const int Batch = 5;
    private const int Draws = 20000;

    public static IEnumerable<object[]> Cases => SketchCases.All;

    /// <summary>
    /// Two statistics over <c>n</c> draws, both ≈ standard for an unbiased estimator whatever the correlation
    /// between entries:
    /// <list type="bullet">
    /// <item>per entry, z = (mean − exact) / (sample standard deviation / √n), marginally standard normal:
    /// no |z| may exceed 5.5 (about 4e-8 per entry);</item>
    /// <item>S = n·‖mean − exact‖² / Σ sample variances, whose expectation is exactly 1 (E‖mean − μ‖² = tr Σ / n).
    /// It behaves like χ² with between 1 (entries fully correlated, as with one shared sample) and many degrees
    /// of freedom, divided by them: S &lt; 9 fails with probability below 0.3% when unbiased. A bias b raises S by
    /// n‖b‖²/tr Σ, so with n = 20000 any bias above 2% of the estimator's spread fails it.</item>
    /// </list>
    /// Both are checked at n/10 draws and at n draws. Entries whose draws never vary must equal the exact value.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void MeanOfSketchedWeightGradientsIsTheExactGradient(string name)
    {
        Layer sketched = SketchCases.Create(name);
        (float[] exactGradient, _, float[] x, float[] upstream) = ExactPass(sketched);
        var harness = new LayerHarness(sketched, Batch, seed: 3);
        int n = exactGradient.Length;
        var sum = new double[n];
        var sumOfSquares = new double[n];
        for (int draw = 0; draw < Draws; draw++)
        {
            harness.Context.StepSeed = (ulong)draw * 7919 + 1;
            harness.Forward(x);
            harness.Backward(upstream);
            for (int i = 0; i < n; i++)
            {
                sum[i] += harness.Gradients[i];
                sumOfSquares[i] += (double)harness.Gradients[i] * harness.Gradients[i];
            }

            if (draw + 1 == Draws / 10 || draw + 1 == Draws)
            {
                Check(name, exactGradient, sum, sumOfSquares, draw + 1);
            }
        }
    }

    private static void Check(string name, float[] exact, double[] sum, double[] sumOfSquares, int draws)
    {
        double errorSquared = 0, varianceSum = 0, worst = 0;
        int varying = 0;
        for (int i = 0; i < exact.Length; i++)
        {
            double mean = sum[i] / draws;
            double variance = Math.Max(0, (sumOfSquares[i] - draws * mean * mean) / (draws - 1));
            double scale = Math.Max(1e-6, Math.Abs(exact[i]));
            if (variance <= 1e-12 * scale * scale)
            {
                Assert.AreEqual(exact[i], mean, 1e-5 * scale, $"{name}: entry {i} never varies but differs from the exact gradient");
                continue;
            }

            double error = mean - exact[i];
            worst = Math.Max(worst, Math.Abs(error) / Math.Sqrt(variance / draws));
            errorSquared += error * error;
            varianceSum += variance;
            varying++;
        }

        Assert.IsTrue(varying >= exact.Length / 2, $"{name}: only {varying} of {exact.Length} entries vary: the sketch is not random");
        double s = draws * errorSquared / varianceSum;
        Assert.IsTrue(worst < 5.5, $"{name}, {draws} draws: max |z| = {worst:F2}");
        Assert.IsTrue(s < 9, $"{name}, {draws} draws: S = n‖mean − exact‖²/Σvar = {s:F2} (expected ≈ 1)");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void InputAndBiasGradientsAreBitIdenticalToExact(string name)
    {
        Layer sketched = SketchCases.Create(name);
        (_, float[] exactInputGradient, float[] x, float[] upstream) = ExactPass(sketched, out float[] exactBias);
        var harness = new LayerHarness(sketched, Batch, seed: 3);
        harness.Context.StepSeed = 99;
        harness.Forward(x);
        float[] dx = harness.Backward(upstream);
        CollectionAssert.AreEqual(exactInputGradient, dx, $"{name}: input gradient");
        CollectionAssert.AreEqual(exactBias, BiasGradient(sketched, harness.Gradients), $"{name}: bias gradient");
    }

    private static (float[] WeightGradient, float[] InputGradient, float[] X, float[] Upstream) ExactPass(Layer like) => ExactPass(like, out _);

    private static (float[] WeightGradient, float[] InputGradient, float[] X, float[] Upstream) ExactPass(Layer like, out float[] bias)
    {
        Layer exact = SketchCases.Exact(like);
        var harness = new LayerHarness(exact, Batch, seed: 3);
        var random = new Random(17);
        float[] x = Enumerable.Range(0, Batch * exact.InputShape.Size).Select(_ => (float)random.NextDouble()).ToArray();
        float[] upstream = Enumerable.Range(0, Batch * exact.OutputShape.Size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        harness.Forward(x);
        float[] dx = harness.Backward(upstream);
        bias = BiasGradient(exact, harness.Gradients);
        return ((float[])harness.Gradients.Clone(), dx, x, upstream);
    }

    private static float[] BiasGradient(Layer layer, float[] gradients)
    {
        int offset = 0;
        foreach (ParameterSpec spec in layer.Parameters)
        {
            if (spec.Name == "bias")
            {
                return gradients[offset..(offset + spec.Length)];
            }

            offset += spec.Length;
        }

        throw new InvalidOperationException("no bias");
    }
}
