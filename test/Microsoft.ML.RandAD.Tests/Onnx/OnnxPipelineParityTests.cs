using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.MLNet;
using static Microsoft.ML.RandAD.Tests.Onnx.PipelineParityCheck;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// Whole-pipeline exports (<c>ConvertToOnnxWithRandAD</c>) fed the raw columns reproduce the in-process pipeline,
/// in ONNX Runtime at several batch sizes and in ML.NET's <c>ApplyOnnxModel</c>: scores within 1e-5, same labels.
/// </summary>
[TestClass]
public sealed class OnnxPipelineParityTests
{
    private const int Rows = 150;
    private static readonly int[] BatchSizes = [1, 7, 64, Rows];
    private static readonly string[] RawInputs = ["A", "B", "C"];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void MulticlassMlpFromRawColumns()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = RawData(ml, Rows, seed: 3);
        ITransformer model = ml.Transforms.Conversion.MapValueToKey("Label", "Class")
            .Append(ml.Transforms.Concatenate("Features", "A", "C", "B"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.RandAD(hiddenLayerSizes: [16], numberOfIterations: 3, batchSize: 32))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        CheckMulticlass(ml, model, data, RawInputs, "mlp");
    }

    [TestMethod]
    public void MulticlassCnnFromFashionMnistPixels() => CheckOnFashionPixels("cnn", new RandADMulticlassTrainer.Options
    {
        ImageShape = new RandADImageShape(1, 28, 28),
        ConvolutionFilters = [4],
        HiddenLayerCount = 0,
        NumberOfIterations = 1,
        BatchSize = 50,
        Seed = 2,
    });

    [TestMethod]
    public void MulticlassRecurrentNetFromFashionMnistPixelsReadRowByRow() => CheckOnFashionPixels("irnn", new RandADMulticlassTrainer.Options
    {
        SequenceShape = new RandADSequenceShape(28, 28),
        RecurrentUnits = 16,
        HiddenLayerCount = 0,
        NumberOfIterations = 1,
        BatchSize = 50,
        GradientClippingNorm = 1f,
        Seed = 2,
    });

    [TestMethod]
    public void BinaryMlpFromRawColumns()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = RawData(ml, Rows, seed: 4);
        ITransformer model = ml.Transforms.Concatenate("Features", "A", "C", "B")
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.BinaryClassification.Trainers.RandAD(labelColumnName: "Flag", hiddenLayerSizes: [12], numberOfIterations: 3, batchSize: 32))
            .Fit(data);
        byte[] onnx = Export(ml, model, data);
        IDataView scored = model.Transform(data);
        float[] score = [.. scored.GetColumn<float>("Score")];
        float[] probability = [.. scored.GetColumn<float>("Probability")];
        bool[] label = [.. scored.GetColumn<bool>("PredictedLabel")];
        Assert.AreEqual(2, label.Distinct().Count(), "the model predicts both classes");

        using var session = new InferenceSession(onnx);
        CollectionAssert.AreEquivalent(RawInputs, session.InputMetadata.Keys.ToArray(), "the unused label column is pruned");
        double worst = 0;
        foreach (int rows in BatchSizes)
        {
            Dictionary<string, Array> outputs = RunSession(session, data, 0, rows);
            worst = Math.Max(worst, Compare(score[..rows], (float[])outputs["score"], relative: true, $"ORT score, batch {rows}"));
            worst = Math.Max(worst, Compare(probability[..rows], (float[])outputs["probability"], relative: false, $"ORT probability, batch {rows}"));
            CollectionAssert.AreEqual(label[..rows], (bool[])outputs["predicted_label"], $"ORT labels, batch {rows}");
        }

        Dictionary<string, object[]> applied = RunApplyOnnxModel(ml, onnx, data, RawInputs, "score", "probability", "predicted_label");
        worst = Math.Max(worst, Compare(score, [.. applied["score"].Select(r => ((float[])r)[0])], relative: true, "ApplyOnnxModel score"));
        CollectionAssert.AreEqual(label, applied["predicted_label"].Select(r => ((bool[])r)[0]).ToArray(), "ApplyOnnxModel labels");
        TestContext.WriteLine($"binary mlp: max |difference| {worst:E2}");
    }

    [TestMethod]
    public void RegressionMlpFromRawColumns()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = RawData(ml, Rows, seed: 5);
        ITransformer model = ml.Transforms.Concatenate("Features", "A", "C", "B")
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.Regression.Trainers.RandAD(labelColumnName: "Target", hiddenLayerSizes: [12], numberOfIterations: 3, batchSize: 32))
            .Fit(data);
        byte[] onnx = Export(ml, model, data);
        float[] score = [.. model.Transform(data).GetColumn<float>("Score")];
        Assert.IsGreaterThan(Rows / 2, score.Distinct().Count(), "the scores vary from row to row");

        using var session = new InferenceSession(onnx);
        double worst = 0;
        foreach (int rows in BatchSizes)
        {
            worst = Math.Max(worst, Compare(score[..rows], (float[])RunSession(session, data, 0, rows)["score"], relative: true, $"ORT score, batch {rows}"));
        }

        Dictionary<string, object[]> applied = RunApplyOnnxModel(ml, onnx, data, RawInputs, "score");
        worst = Math.Max(worst, Compare(score, [.. applied["score"].Select(r => ((float[])r)[0])], relative: true, "ApplyOnnxModel score"));
        TestContext.WriteLine($"regression mlp: max |difference| {worst:E2}");
    }

    /// <summary>Trains on 1,000 raw Fashion-MNIST pixel rows (min-max normalized in the pipeline) and checks the export on 150 test rows.</summary>
    private void CheckOnFashionPixels(string name, RandADMulticlassTrainer.Options options)
    {
        var ml = new MLContext(seed: 1);
        RandAD.Datasets.DataSplit split = RandAD.Datasets.FashionMnist.Load();
        IDataView train = FashionPixels(ml, split.Train.Take(1000));
        IDataView test = FashionPixels(ml, split.Test.Take(Rows));
        ITransformer model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMinMax("Features", "Pixels"))
            .Append(ml.MulticlassClassification.Trainers.RandAD(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);
        CheckMulticlass(ml, model, test, ["Pixels"], name);
    }

    private void CheckMulticlass(MLContext ml, ITransformer model, IDataView data, string[] inputs, string name)
    {
        byte[] onnx = Export(ml, model, data);
        IDataView scored = model.Transform(data);
        float[][] score = FloatRows(scored, "Score");
        string[] label = [.. scored.GetColumn<string>("PredictedLabel")];
        Assert.IsGreaterThan(1, label.Distinct().Count(), "the model predicts more than one class");

        using var session = new InferenceSession(onnx);
        CollectionAssert.AreEquivalent(inputs, session.InputMetadata.Keys.ToArray(), "inputs: the raw columns the features come from");
        double worst = 0;
        foreach (int rows in BatchSizes)
        {
            Dictionary<string, Array> outputs = RunSession(session, data, 0, rows);
            worst = Math.Max(worst, Compare([.. score[..rows].SelectMany(r => r)], (float[])outputs["probabilities"], relative: false, $"{name}: ORT probabilities, batch {rows}"));
            CollectionAssert.AreEqual(label[..rows], (string[])outputs["predicted_label_value"], $"{name}: ORT labels, batch {rows}");
            long[] index = (long[])outputs["predicted_label"];
            for (int r = 0; r < rows; r++)
            {
                Assert.AreEqual(Array.IndexOf(score[r], score[r].Max()), (int)index[r], $"{name}: ORT predicted index of row {r}");
            }
        }

        Dictionary<string, object[]> applied = RunApplyOnnxModel(ml, onnx, data, inputs, "probabilities", "predicted_label_value");
        worst = Math.Max(worst, Compare([.. score.SelectMany(r => r)], [.. applied["probabilities"].SelectMany(r => (float[])r)], relative: false, $"{name}: ApplyOnnxModel probabilities"));
        CollectionAssert.AreEqual(label, applied["predicted_label_value"].Select(r => ((string[])r)[0]).ToArray(), $"{name}: ApplyOnnxModel labels");
        TestContext.WriteLine($"multiclass {name}: max |difference| {worst:E2}");
    }

    /// <summary>Two scalar columns and a 5-vector; Class from the largest of A, B and C[0]; Flag and Target from sums.</summary>
    internal static IDataView RawData(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<RawRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            float[] c = [.. Enumerable.Range(0, 5).Select(_ => (float)random.NextDouble() * 3)];
            float a = (float)random.NextDouble() * 3, b = 10 + (float)random.NextDouble() * 4;
            float[] votes = [a, b - 10, c[0]];
            list.Add(new RawRow { A = a, B = b, C = c, Class = RawRow.Classes[Array.IndexOf(votes, votes.Max())], Flag = a + c[1] > 3, Target = 2 * a - b + c[2] });
        }

        return ml.Data.LoadFromEnumerable(list);
    }

    private static IDataView FashionPixels(MLContext ml, RandAD.Datasets.DataSet set) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, set.Count).Select(i => new PixelRow
        {
            Label = RandAD.Datasets.FashionMnist.ClassNames[set.Labels[i]],
            Pixels = [.. set.Features.AsSpan(i * 784, 784).ToArray().Select(v => MathF.Round(v * 255))],
        }));

    internal sealed class RawRow
    {
        public static readonly string[] Classes = ["low", "mid", "high"];

        public float A { get; set; }

        public float B { get; set; }

        [VectorType(5)]
        public float[] C { get; set; } = [];

        public string Class { get; set; } = "";

        public bool Flag { get; set; }

        public float Target { get; set; }
    }

    private sealed class PixelRow
    {
        public string Label { get; set; } = "";

        /// <summary>Raw gray levels 0..255, as an image file holds them.</summary>
        [VectorType(784)]
        public float[] Pixels { get; set; } = [];
    }
}
