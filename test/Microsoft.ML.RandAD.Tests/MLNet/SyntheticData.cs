using Microsoft.ML.Data;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>Small seeded data sets for the ML.NET tests: Gaussian blobs (classification) and a noisy linear target.</summary>
internal static class SyntheticData
{
    public const int FeatureCount = 8;

    public static readonly string[] ClassNames = ["ant", "bee", "cat"];

    public sealed class ClassRow
    {
        public string Label { get; set; } = "";

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public float Weight { get; set; } = 1;
    }

    public sealed class BinaryRow
    {
        public bool Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public float Weight { get; set; } = 1;
    }

    public sealed class RegressionRow
    {
        public float Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>Three blobs: class c has mean 1.5 in feature c (and c + 3), unit noise elsewhere.</summary>
    public static List<ClassRow> Blobs(int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<ClassRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            int c = random.Next(3);
            float[] x = Noise(random, 0.7f);
            x[c] += 1.5f;
            x[c + 3] += 1.5f;
            list.Add(new ClassRow { Label = ClassNames[c], Features = x, Weight = 0.5f + (float)random.NextDouble() });
        }

        return list;
    }

    /// <summary>Label = x0 + x1 − x2 > 0 (with a little label noise).</summary>
    public static List<BinaryRow> Binary(int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<BinaryRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            float[] x = Noise(random, 1f);
            bool label = x[0] + x[1] - x[2] + 0.2f * Gauss(random) > 0;
            list.Add(new BinaryRow { Label = label, Features = x, Weight = 0.5f + (float)random.NextDouble() });
        }

        return list;
    }

    /// <summary>Label = 2·x0 − x1 + 0.5·x3² + noise.</summary>
    public static List<RegressionRow> Regression(int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<RegressionRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            float[] x = Noise(random, 1f);
            list.Add(new RegressionRow { Label = 2 * x[0] - x[1] + 0.5f * x[3] * x[3] + 0.1f * Gauss(random), Features = x });
        }

        return list;
    }

    private static float[] Noise(Random random, float scale)
    {
        float[] x = new float[FeatureCount];
        for (int j = 0; j < x.Length; j++)
        {
            x[j] = scale * Gauss(random);
        }

        return x;
    }

    private static float Gauss(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
