using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>The binary and regression trainers in ML.NET pipelines.</summary>
[TestClass]
public sealed class BinaryAndRegressionTests
{
    internal static IEstimator<ITransformer> BinaryPipeline(MLContext ml, string? weight = null) =>
        ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.BinaryClassification.Trainers.RandAD(new RandADBinaryTrainer.Options
            {
                HiddenLayerSizes = [16],
                NumberOfIterations = 8,
                BatchSize = 32,
                LearningRate = 0.01f,
                ExampleWeightColumnName = weight,
                Seed = 5,
            }));

    internal static IEstimator<ITransformer> RegressionPipeline(MLContext ml) =>
        ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.Regression.Trainers.RandAD(new RandADRegressionTrainer.Options
            {
                HiddenLayerSizes = [32],
                NumberOfIterations = 30,
                BatchSize = 32,
                LearningRate = 0.01f,
                Seed = 5,
            }));

    [TestMethod]
    public void BinaryEvaluatesCalibratedAndNonCalibrated()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Binary(800, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Binary(300, seed: 2));
        IDataView scored = BinaryPipeline(ml, weight: "Weight").Fit(train).Transform(test);

        CalibratedBinaryClassificationMetrics metrics = ml.BinaryClassification.Evaluate(scored);
        BinaryClassificationMetrics raw = ml.BinaryClassification.EvaluateNonCalibrated(scored);
        Assert.IsGreaterThan(0.9, metrics.Accuracy, $"accuracy {metrics.Accuracy}");
        Assert.IsGreaterThan(0.95, metrics.AreaUnderRocCurve);
        Assert.IsLessThan(0.4, metrics.LogLoss);
        Assert.AreEqual(metrics.Accuracy, raw.Accuracy, 1e-9);
        float[] scores = scored.GetColumn<float>("Score").ToArray();
        float[] probabilities = scored.GetColumn<float>("Probability").ToArray();
        bool[] labels = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-scores[i])), probabilities[i], 1e-6);
            Assert.AreEqual(scores[i] > 0, labels[i]);
        }
    }

    [TestMethod]
    public void RegressionLearnsANonlinearTarget()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Regression(800, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Regression(300, seed: 2));
        RegressionMetrics metrics = ml.Regression.Evaluate(RegressionPipeline(ml).Fit(train).Transform(test));

        Assert.IsGreaterThan(0.9, metrics.RSquared, $"R² {metrics.RSquared}");
    }

    [TestMethod]
    public void HuberLossTrainsAndDoubleLabelsAreAccepted()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Double)
            .Fit(ml.Data.LoadFromEnumerable(SyntheticData.Regression(400, seed: 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Regression(400, seed: 1)));
        var trainer = ml.Regression.Trainers.RandAD(new RandADRegressionTrainer.Options
        {
            LossFunction = RandADRegressionLoss.Huber,
            HuberDelta = 0.5f,
            HiddenLayerSizes = [16],
            NumberOfIterations = 5,
            Seed = 2,
        });

        RandADRegressionPredictionTransformer model = trainer.Fit(train);

        Assert.AreEqual(Model.LossKind.Huber, model.Model.Spec.Loss.Kind);
        Assert.HasCount(5, model.Model.History);
        Assert.IsLessThan(model.Model.History[0].TrainLoss, model.Model.History[^1].TrainLoss);
    }
}
