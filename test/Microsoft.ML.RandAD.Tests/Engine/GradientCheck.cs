using Microsoft.ML.RandAD.Layers;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// Compares a layer's float32 forward and backward with the double-precision <see cref="Oracle"/>:
/// forward values directly, gradients against central differences of the oracle.
/// </summary>
/// <remarks>
/// Errors are normwise: max |engine − reference| / max |reference|. The forward must agree to 1e-5 (float32
/// rounding of sums of a few hundred terms); gradients to <c>tolerance</c> (default 1e-4: the float32
/// backward against differences with step 1e-5 in double, whose own error is below 1e-9).
/// </remarks>
internal static class GradientCheck
{
    private const double Step = 1e-5;

    public static void Layer(Layer layer, int batch, int seed = 1, double tolerance = 1e-4, int maxCoordinates = 150, Func<Random, float>? input = null)
    {
        var harness = new LayerHarness(layer, batch, seed: seed);
        var random = new Random(seed);
        input ??= r => (float)(r.NextDouble() * 2 - 1);
        float[] x = Enumerable.Range(0, batch * layer.InputShape.Size).Select(_ => input(random)).ToArray();
        float[] upstream = Enumerable.Range(0, batch * layer.OutputShape.Size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        float[] y = harness.Forward(x);
        double[] xd = ToDouble(x);
        double[] pd = ToDouble(harness.Parameters);
        double[] reference = Oracle.Forward(layer, xd, pd, batch);
        AssertClose(y, reference, 1e-5, $"{layer.Description} forward");

        float[] dx = harness.Backward(upstream);
        double Objective(double[] xs, double[] ps)
        {
            double[] o = Oracle.Forward(layer, xs, ps, batch);
            double s = 0;
            for (int i = 0; i < o.Length; i++)
            {
                s += upstream[i] * o[i];
            }

            return s;
        }

        CompareWithDifferences(dx, xd, v => Objective(v, pd), random, maxCoordinates, tolerance, $"{layer.Description} input gradient");
        if (pd.Length > 0)
        {
            float[] trainable = Masked(harness.Gradients, layer);
            CompareWithDifferences(trainable, pd, v => Objective(xd, v), random, maxCoordinates, tolerance, $"{layer.Description} parameter gradient", Trainable(layer));
        }
    }

    /// <summary>Central differences of <paramref name="f"/> at a sample of coordinates, against <paramref name="analytic"/>.</summary>
    public static void CompareWithDifferences(float[] analytic, double[] at, Func<double[], double> f, Random random, int maxCoordinates, double tolerance, string what, bool[]? include = null)
    {
        int[] coordinates = Enumerable.Range(0, at.Length).Where(i => include?[i] ?? true).ToArray();
        if (coordinates.Length > maxCoordinates)
        {
            coordinates = coordinates.OrderBy(_ => random.Next()).Take(maxCoordinates).ToArray();
        }

        var numeric = new double[coordinates.Length];
        var engine = new float[coordinates.Length];
        for (int c = 0; c < coordinates.Length; c++)
        {
            int i = coordinates[c];
            double saved = at[i];
            at[i] = saved + Step;
            double plus = f(at);
            at[i] = saved - Step;
            double minus = f(at);
            at[i] = saved;
            numeric[c] = (plus - minus) / (2 * Step);
            engine[c] = analytic[i];
        }

        AssertClose(engine, numeric, tolerance, what);
    }

    public static void AssertClose(float[] actual, double[] expected, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= worst))
            {
                worst = error;
                at = i;
            }
        }

        double relative = worst / Math.Max(scale, 1e-12);
        Assert.IsTrue(relative <= tolerance, $"{what}: normwise error {relative:E2} > {tolerance:E0} (element {at}: {(at >= 0 ? actual[at] : 0)} vs {(at >= 0 ? expected[at] : 0)}, scale {scale:E2})");
    }

    public static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    private static bool[] Trainable(Layer layer) =>
        layer.Parameters.SelectMany(p => Enumerable.Repeat(p.Trainable, p.Length)).ToArray();

    private static float[] Masked(float[] gradients, Layer layer)
    {
        bool[] trainable = Trainable(layer);
        return gradients.Select((g, i) => trainable[i] ? g : 0f).ToArray();
    }
}
