using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>
/// ML.NET's retraining pattern, <c>trainer.Fit(data, model.Model)</c>: the network starts from the model's architecture and a
/// copy of its weights, trains more passes with the trainer's options, and refuses a model that does not fit the data or task.
/// </summary>
[TestClass]
public sealed class ContinuedTrainingTests
{
    private static RandADMulticlassTrainer.Options Options(int passes, float rate = 0.01f) => new()
    {
        HiddenLayerSizes = [16],
        NumberOfIterations = passes,
        BatchSize = 32,
        LearningRate = rate,
        Seed = 3,
    };

    /// <summary>The blobs with the label mapped to a key and the features normalized, once, so every fit reads the same columns.</summary>
    private static (IDataView Train, IDataView Test) Prepared(MLContext ml)
    {
        IDataView train = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(600, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, seed: 2));
        ITransformer prepare = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.NormalizeMinMax("Features")).Fit(train);
        return (prepare.Transform(train), prepare.Transform(test));
    }

    [TestMethod]
    public void ItStartsFromTheModelsWeightsAndLeavesTheModelAsItWas()
    {
        var ml = new MLContext(seed: 1);
        (IDataView train, IDataView test) = Prepared(ml);
        RandADMulticlassPredictionTransformer first = ml.MulticlassClassification.Trainers.RandAD(Options(3)).Fit(train);
        float[] before = first.Model.Network.Parameters.ToArray();

        // One pass of SGD at a rate too small to move any weight that is not 0, and architecture options that must be ignored.
        RandADMulticlassTrainer.Options options = Options(1, rate: 1e-30f);
        options.Optimizer = OptimizerKind.Sgd;
        options.HiddenLayerSizes = [40, 40];
        options.DropoutRate = 0.5f;
        RandADMulticlassPredictionTransformer continued = ml.MulticlassClassification.Trainers.RandAD(options).Fit(train, first.Model);

        CollectionAssert.AreEqual(before, first.Model.Network.Parameters, "the given model is not changed");
        Assert.AreEqual(first.Model.Spec.ToJson(), continued.Model.Spec.ToJson(), "the model's architecture, not the options'");
        float[] after = continued.Model.Network.Parameters;
        Assert.AreEqual(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.AreEqual(before[i], after[i], 1e-20, $"parameter {i}");
        }

        Assert.HasCount(1, continued.Model.History, "the new model's history is its own passes");
        float[][] expected = first.Transform(test).GetColumn<float[]>("Score").ToArray();
        float[][] actual = continued.Transform(test).GetColumn<float[]>("Score").ToArray();
        for (int r = 0; r < expected.Length; r++)
        {
            CollectionAssert.AreEqual(expected[r], actual[r], $"row {r}: the same scores as the model continued from");
        }
    }

    [TestMethod]
    public void MorePassesGoOnLoweringTheLoss()
    {
        var ml = new MLContext(seed: 1);
        (IDataView train, IDataView test) = Prepared(ml);
        RandADMulticlassPredictionTransformer first = ml.MulticlassClassification.Trainers.RandAD(Options(2, rate: 0.002f)).Fit(train);
        RandADMulticlassPredictionTransformer continued = ml.MulticlassClassification.Trainers.RandAD(Options(2, rate: 0.002f)).Fit(train, first.Model);

        IReadOnlyList<RandADEpochMetrics> a = first.Model.History, b = continued.Model.History;
        Assert.IsLessThan(a[0].TrainLoss, b[0].TrainLoss, "the first continued pass starts where the model left off, not from scratch");
        Assert.IsLessThan(a[^1].TrainLoss, b[^1].TrainLoss, "and the loss keeps falling");
        double firstLoss = ml.MulticlassClassification.Evaluate(first.Transform(test)).LogLoss;
        double continuedLoss = ml.MulticlassClassification.Evaluate(continued.Transform(test)).LogLoss;
        Assert.IsLessThan(firstLoss, continuedLoss, "test log-loss");
    }

    [TestMethod]
    public void AModelThatDoesNotFitTheDataOrTheTaskIsRefused()
    {
        var ml = new MLContext(seed: 1);
        (IDataView train, _) = Prepared(ml);
        RandADModelParameters model = ml.MulticlassClassification.Trainers.RandAD(Options(1)).Fit(train).Model;

        // Four features instead of eight.
        IDataView narrow = ml.Transforms.CopyColumns("Wide", "Features")
            .Append(ml.Transforms.DropColumns("Features"))
            .Append(ml.Transforms.CustomMapping<WideRow, NarrowRow>((w, n) => n.Features = w.Wide[..4], contractName: null))
            .Fit(train).Transform(train);
        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.RandAD(Options(1)).Fit(narrow, model));
        StringAssert.Contains(error.Message, "reads 8 features, but column 'Features' has 4");

        // Two classes instead of three.
        IDataView antsAndBees = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(200, seed: 4).Where(r => r.Label != "cat"));
        IDataView twoClasses = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.NormalizeMinMax("Features"))
            .Fit(antsAndBees).Transform(antsAndBees);
        error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.RandAD(Options(1)).Fit(twoClasses, model));
        StringAssert.Contains(error.Message, "has 3 outputs, but the label has 2 classes");

        // A multiclass model given to the binary trainer.
        IDataView binary = ml.Data.LoadFromEnumerable(SyntheticData.Binary(100, seed: 5));
        error = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.RandAD(new RandADBinaryTrainer.Options { NumberOfIterations = 1 }).Fit(binary, model));
        StringAssert.Contains(error.Message, "trained for multiclass classification, not binary classification");
        Assert.ThrowsExactly<ArgumentNullException>(() => ml.MulticlassClassification.Trainers.RandAD(Options(1)).Fit(train, (RandADModelParameters)null!));
    }

    [TestMethod]
    public void BinaryAndRegressionModelsContinueToo()
    {
        var ml = new MLContext(seed: 1);
        IDataView binary = ml.Transforms.NormalizeMinMax("Features").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Binary(400, seed: 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Binary(400, seed: 1)));
        var binaryOptions = new RandADBinaryTrainer.Options { HiddenLayerSizes = [16], NumberOfIterations = 2, BatchSize = 32, LearningRate = 0.003f, Seed = 5 };
        RandADBinaryPredictionTransformer b1 = ml.BinaryClassification.Trainers.RandAD(binaryOptions).Fit(binary);
        RandADBinaryPredictionTransformer b2 = ml.BinaryClassification.Trainers.RandAD(binaryOptions).Fit(binary, b1.Model);
        Assert.IsLessThan(b1.Model.History[0].TrainLoss, b2.Model.History[0].TrainLoss, "binary: the continued first pass");

        IDataView regression = ml.Transforms.NormalizeMeanVariance("Features").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Regression(400, seed: 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Regression(400, seed: 1)));
        var squared = new RandADRegressionTrainer.Options { HiddenLayerSizes = [16], NumberOfIterations = 2, BatchSize = 32, LearningRate = 0.003f, Seed = 5 };
        RandADRegressionPredictionTransformer r1 = ml.Regression.Trainers.RandAD(squared).Fit(regression);
        RandADRegressionPredictionTransformer r2 = ml.Regression.Trainers.RandAD(squared).Fit(regression, r1.Model);
        Assert.IsLessThan(r1.Model.History[0].TrainLoss, r2.Model.History[0].TrainLoss, "regression: the continued first pass");

        // The loss is a training choice: a squared-error model may continue under Huber.
        var huber = new RandADRegressionTrainer.Options { NumberOfIterations = 1, LossFunction = RandADRegressionLoss.Huber, Seed = 5 };
        RandADRegressionPredictionTransformer r3 = ml.Regression.Trainers.RandAD(huber).Fit(regression, r1.Model);
        Assert.AreEqual(LossKind.Huber, r3.Model.Spec.Loss.Kind);
        Assert.AreEqual(LossKind.MeanSquaredError, r1.Model.Spec.Loss.Kind);
    }

    [TestMethod]
    public void AModelSavedByModelSaveOrExportedToOnnxContinuesWhereItLeftOff()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(600, seed: 1));
        ITransformer pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.RandAD(Options(2, rate: 0.002f))).Fit(raw);
        RandADModelParameters trained = ((IEnumerable<ITransformer>)pipeline).OfType<RandADMulticlassPredictionTransformer>().Single().Model;

        using var zip = new MemoryStream();
        ml.Model.Save(pipeline, raw.Schema, zip);
        zip.Position = 0;
        RandADModelParameters fromZip = RandADModelParameters.Load(zip);
        using var onnx = new MemoryStream();
        ml.Model.ConvertToOnnxWithRandAD(pipeline, raw, onnx);
        onnx.Position = 0;
        RandADModelParameters fromOnnx = RandADModelParameters.Load(onnx);

        foreach ((string what, RandADModelParameters loaded) in new[] { ("Model.Save zip", fromZip), ("whole-pipeline ONNX", fromOnnx) })
        {
            Assert.AreEqual(trained.Spec.ToJson(), loaded.Spec.ToJson(), what);
            CollectionAssert.AreEqual(trained.Network.Parameters, loaded.Network.Parameters, $"{what}: the same parameters");
        }

        // Continuing from the file takes the same steps as continuing from the fitted model (same seed, same weights).
        IDataView prepared = ((IEnumerable<ITransformer>)pipeline).Take(2).Aggregate(raw, (view, step) => step.Transform(view));
        RandADMulticlassPredictionTransformer fromMemory = ml.MulticlassClassification.Trainers.RandAD(Options(1, rate: 0.002f)).Fit(prepared, trained);
        RandADMulticlassPredictionTransformer fromFile = ml.MulticlassClassification.Trainers.RandAD(Options(1, rate: 0.002f)).Fit(prepared, fromZip);
        CollectionAssert.AreEqual(fromMemory.Model.Network.Parameters, fromFile.Model.Network.Parameters, "the same weights after a further pass");

        // In another process the preparation comes from the loaded pipeline, whose first steps are the same transforms.
        zip.Position = 0;
        ITransformer loadedPipeline = ml.Model.Load(zip, out _);
        IDataView preparedByLoaded = ((IEnumerable<ITransformer>)loadedPipeline).Take(2).Aggregate(raw, (view, step) => step.Transform(view));
        RandADMulticlassPredictionTransformer fromLoaded = ml.MulticlassClassification.Trainers.RandAD(Options(1, rate: 0.002f)).Fit(preparedByLoaded, fromZip);
        CollectionAssert.AreEqual(fromMemory.Model.Network.Parameters, fromLoaded.Model.Network.Parameters, "prepared by the loaded pipeline");
        Assert.IsLessThan(trained.History[0].TrainLoss, fromFile.Model.History[0].TrainLoss, "it continues where the saved model left off");
    }

    private sealed class WideRow
    {
        [VectorType(SyntheticData.FeatureCount)]
        public float[] Wide { get; set; } = [];
    }

    private sealed class NarrowRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }
}
