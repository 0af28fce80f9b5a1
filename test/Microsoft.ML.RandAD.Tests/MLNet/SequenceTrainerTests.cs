using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Tests.Datasets;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>
/// Sequence-shaped features (<c>SequenceShape</c>): the trainers read each row as steps through a recurrent ReLU layer.
/// Fashion-MNIST images read row by row (28 steps of 28 pixels) are the real data.
/// </summary>
[TestClass]
public sealed class SequenceTrainerTests
{
    private static RandADMulticlassTrainer.Options RowByRow(float keepFraction) => new()
    {
        SequenceShape = new RandADSequenceShape(28, 28),
        RecurrentUnits = 64,
        HiddenLayerCount = 0,
        NumberOfIterations = 3,
        BatchSize = 64,
        LearningRate = 2e-3f,
        GradientClippingNorm = 1f,
        KeepFraction = keepFraction,
        Seed = 1,
    };

    private static (MLContext Ml, IDataView Train, IDataView Test) FashionRowsAsKeys()
    {
        var ml = new MLContext(seed: 1);
        RandAD.Datasets.DataSplit split = RandAD.Datasets.FashionMnist.Load();
        IDataView train = FashionRows.Load(ml, split.Train.Take(2000));
        IDataView test = FashionRows.Load(ml, split.Test.Take(500));
        ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        return (ml, keys.Transform(train), keys.Transform(test));
    }

    [TestMethod]
    public void RecurrentModelTrainsOnImagesReadRowByRow()
    {
        (MLContext ml, IDataView train, IDataView test) = FashionRowsAsKeys();

        RandADMulticlassPredictionTransformer model = ml.MulticlassClassification.Trainers.RandAD(RowByRow(keepFraction: 1f)).Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));

        Assert.AreEqual(InputSpec.Sequence(28, 28), model.Model.Spec.Input);
        Assert.AreEqual(new RecurrentSpec(64), model.Model.Spec.Layers[0]);
        Assert.IsInstanceOfType<DenseSpec>(model.Model.Spec.Layers[1]);
        Assert.IsGreaterThan(0.6, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void RadKeepsAFractionOfTheRecurrentLayersActivationsAndStillLearns()
    {
        (MLContext ml, IDataView train, IDataView test) = FashionRowsAsKeys();

        RandADMulticlassPredictionTransformer exact = ml.MulticlassClassification.Trainers.RandAD(RowByRow(keepFraction: 1f)).Fit(train);
        RandADMulticlassPredictionTransformer rad = ml.MulticlassClassification.Trainers.RandAD(RowByRow(keepFraction: 0.1f)).Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(rad.Transform(test));

        double ratio = (double)rad.Model.RetainedActivationBytes / exact.Model.RetainedActivationBytes;
        Assert.IsLessThan(0.2, ratio, $"RAD keeps {rad.Model.RetainedActivationBytes:N0} B against exact's {exact.Model.RetainedActivationBytes:N0} B");
        Assert.IsGreaterThan(0.6, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void SavedSequenceModelReloadsWithTheSameScores()
    {
        (MLContext ml, IDataView train, IDataView test) = FashionRowsAsKeys();
        RandADMulticlassTrainer.Options options = RowByRow(keepFraction: 1f);
        options.NumberOfIterations = 1;
        ITransformer model = ml.MulticlassClassification.Trainers.RandAD(options).Fit(train);
        using var folder = new TempFolder();
        string path = folder.File("sequence.zip");

        ml.Model.Save(model, train.Schema, path);
        ITransformer loaded = ml.Model.Load(path, out _);

        ScoredComparison.AssertSameScores(model.Transform(test), loaded.Transform(test), "Score", "PredictedLabel");
    }

    [TestMethod]
    public void AnyFeatureVectorOfStepsTimesStepSizeValuesIsASequence()
    {
        var ml = new MLContext(seed: 1);
        IDataView blobs = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(100, seed: 1)); // 8 features a row: 4 steps of 2
        var options = new RandADMulticlassTrainer.Options { SequenceShape = new RandADSequenceShape(4, 2), RecurrentUnits = 5, NumberOfIterations = 1, Seed = 1 };

        var model = (RandADMulticlassPredictionTransformer)((IEnumerable<ITransformer>)ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.RandAD(options)).Fit(blobs)).Last();

        Assert.AreEqual(InputSpec.Sequence(4, 2), model.Model.Spec.Input);
        Assert.AreEqual(new RecurrentSpec(5), model.Model.Spec.Layers[0]);
    }
}
