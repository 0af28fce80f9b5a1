using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>Model.Save / Model.Load of whole pipelines holding a RandAD transformer, in this process.</summary>
[TestClass]
public sealed class SaveLoadTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void MulticlassPipelineReloadsWithIdenticalLabelsScoresAndMetrics()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(200, seed: 2));
        ITransformer model = MulticlassTrainerTests.Pipeline(ml, MulticlassTrainerTests.SmallOptions()).Fit(train);
        string path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"multiclass-{Guid.NewGuid():N}.zip");

        ml.Model.Save(model, train.Schema, path);
        ITransformer loaded = ml.Model.Load(path, out DataViewSchema inputSchema);

        Assert.AreEqual(train.Schema.Count, inputSchema.Count);
        ScoredComparison.AssertSameScores(model.Transform(test), loaded.Transform(test), "Score", "PredictedLabel");
        var before = ml.MulticlassClassification.Evaluate(model.Transform(test));
        var after = ml.MulticlassClassification.Evaluate(loaded.Transform(test));
        Assert.AreEqual(before.MicroAccuracy, after.MicroAccuracy, 1e-5);
        Assert.AreEqual(before.MacroAccuracy, after.MacroAccuracy, 1e-5);
        Assert.AreEqual(before.LogLoss, after.LogLoss, 1e-5);
    }
}

/// <summary>Column-by-column comparison of two scored views.</summary>
internal static class ScoredComparison
{
    public static void AssertSameScores(IDataView expected, IDataView actual, string scoreColumn, string labelColumn)
    {
        float[][] a = Scores(expected, scoreColumn), b = Scores(actual, scoreColumn);
        Assert.HasCount(a.Length, b);
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            Assert.HasCount(a[i].Length, b[i]);
            for (int k = 0; k < a[i].Length; k++)
            {
                worst = Math.Max(worst, Math.Abs(a[i][k] - b[i][k]));
            }
        }

        Assert.IsLessThan(1e-5, worst, $"largest score difference {worst}");
        string[] la = Labels(expected, labelColumn), lb = Labels(actual, labelColumn);
        CollectionAssert.AreEqual(la, lb);
    }

    private static float[][] Scores(IDataView data, string column) => data.Schema[column].Type is VectorDataViewType
        ? data.GetColumn<float[]>(column).ToArray()
        : data.GetColumn<float>(column).Select(v => new[] { v }).ToArray();

    private static string[] Labels(IDataView data, string column)
    {
        DataViewType type = data.Schema[column].Type;
        return type switch
        {
            BooleanDataViewType => data.GetColumn<bool>(column).Select(v => v.ToString()).ToArray(),
            KeyDataViewType => data.GetColumn<uint>(column).Select(v => v.ToString()).ToArray(),
            NumberDataViewType => data.GetColumn<float>(column).Select(v => v.ToString("R")).ToArray(),
            _ => data.GetColumn<string>(column).ToArray(),
        };
    }
}
