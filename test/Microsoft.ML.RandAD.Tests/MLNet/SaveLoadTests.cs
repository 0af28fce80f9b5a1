using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>Model.Save / Model.Load of whole pipelines holding a RandAD transformer, in this process.</summary>
[TestClass]
public sealed class SaveLoadTests
{
    [TestMethod]
    public void MulticlassPipelineReloadsWithIdenticalLabelsScoresAndMetrics()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(200, seed: 2));
        ITransformer model = MulticlassTrainerTests.Pipeline(ml, MulticlassTrainerTests.SmallOptions()).Fit(train);
        string path = Path.Combine(Folder, $"multiclass-{Guid.NewGuid():N}.zip");

        ml.Model.Save(model, train.Schema, path);
        ITransformer loaded = ml.Model.Load(path, out DataViewSchema inputSchema);

        Assert.AreEqual(train.Schema.Count, inputSchema.Count);
        ScoredComparison.AssertSameScores(model.Transform(test), loaded.Transform(test), "Score", "PredictedLabel");
        var before = ml.MulticlassClassification.Evaluate(model.Transform(test));
        var after = ml.MulticlassClassification.Evaluate(loaded.Transform(test));
        Assert.AreEqual(before.MicroAccuracy, after.MicroAccuracy, 1e-5);
        Assert.AreEqual(before.MacroAccuracy, after.MacroAccuracy, 1e-5);
        Assert.AreEqual(before.LogLoss, after.LogLoss, 1e-5);

        // A fresh process: only the zip and this library's assembly.
        IDataView fresh = FreshProcess.Score(ml, path, test, Folder);
        ScoredComparison.AssertSameScores(model.Transform(test), fresh, "Score", "PredictedLabel");
        var afterFresh = ml.MulticlassClassification.Evaluate(fresh);
        Assert.AreEqual(before.MicroAccuracy, afterFresh.MicroAccuracy, 1e-5);
        Assert.AreEqual(before.LogLoss, afterFresh.LogLoss, 1e-5);
    }

    [TestMethod]
    public void BinaryPipelineReloadsInThisAndAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Binary(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Binary(200, seed: 2));
        ITransformer model = BinaryAndRegressionTests.BinaryPipeline(ml).Fit(train);
        string path = Path.Combine(Folder, $"binary-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, train.Schema, path);

        foreach (IDataView reloaded in new[] { ml.Model.Load(path, out _).Transform(test), FreshProcess.Score(ml, path, test, Folder) })
        {
            ScoredComparison.AssertSameScores(model.Transform(test), reloaded, "Score", "PredictedLabel");
            ScoredComparison.AssertSameScores(model.Transform(test), reloaded, "Probability", "PredictedLabel");
            var before = ml.BinaryClassification.Evaluate(model.Transform(test));
            var after = ml.BinaryClassification.Evaluate(reloaded);
            Assert.AreEqual(before.Accuracy, after.Accuracy, 1e-5);
            Assert.AreEqual(before.AreaUnderRocCurve, after.AreaUnderRocCurve, 1e-5);
            Assert.AreEqual(before.LogLoss, after.LogLoss, 1e-5);
        }
    }

    [TestMethod]
    public void RegressionPipelineReloadsInThisAndAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Regression(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Regression(200, seed: 2));
        ITransformer model = BinaryAndRegressionTests.RegressionPipeline(ml).Fit(train);
        string path = Path.Combine(Folder, $"regression-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, train.Schema, path);

        foreach (IDataView reloaded in new[] { ml.Model.Load(path, out _).Transform(test), FreshProcess.Score(ml, path, test, Folder) })
        {
            ScoredComparison.AssertSameScores(model.Transform(test), reloaded, "Score", "Label");
            var before = ml.Regression.Evaluate(model.Transform(test));
            var after = ml.Regression.Evaluate(reloaded);
            Assert.AreEqual(before.RootMeanSquaredError, after.RootMeanSquaredError, 1e-5);
            Assert.AreEqual(before.RSquared, after.RSquared, 1e-5);
        }
    }

    private string? _folder;

    /// <summary>A folder of this test's own for the zip and the fresh process's files, removed after the test.</summary>
    private string Folder => _folder ??= Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"randad-saveload-{Guid.NewGuid():N}")).FullName;

    [TestCleanup]
    public void RemoveFolder()
    {
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
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
