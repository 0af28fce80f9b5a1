using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>The multiclass trainer in ordinary ML.NET pipelines: fit, evaluate, predict, cross-validate, PFI.</summary>
[TestClass]
public sealed class MulticlassTrainerTests
{
    internal static RandADMulticlassTrainer.Options SmallOptions() => new()
    {
        HiddenLayerSizes = [16],
        NumberOfIterations = 8,
        BatchSize = 32,
        LearningRate = 0.01f,
        Seed = 3,
    };

    internal static IEstimator<ITransformer> Pipeline(MLContext ml, RandADMulticlassTrainer.Options options) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.RandAD(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    [TestMethod]
    public void FitsEvaluatesAndMapsPredictedLabelsBack()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(600, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, seed: 2));

        ITransformer model = Pipeline(ml, SmallOptions()).Fit(train);
        IDataView scored = model.Transform(test);
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(scored);

        Assert.IsGreaterThan(0.85, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
        Assert.IsLessThan(0.5, metrics.LogLoss);
        string[] predicted = scored.GetColumn<string>("PredictedLabel").ToArray();
        CollectionAssert.IsSubsetOf(predicted.Distinct().ToArray(), SyntheticData.ClassNames);
        float[][] scores = scored.GetColumn<float[]>("Score").ToArray();
        Assert.IsTrue(scores.All(s => s.Length == 3 && Math.Abs(s.Sum() - 1) < 1e-5));
    }
}
