using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>Validation, early stopping, the metrics callback, MLContext.Log and both cancellation routes.</summary>
[TestClass]
public sealed class MonitoringTests
{
    private static (MLContext Ml, IDataView Train, IDataView Validation) Data()
    {
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, 1)));
        return (ml, keys.Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, 1))), keys.Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(150, 2))));
    }

    [TestMethod]
    public void CallbackAndLogReportEveryPassWithValidationMetrics()
    {
        (MLContext ml, IDataView train, IDataView validation) = Data();
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) { messages.Add(e.Message); } };
        var seen = new List<RandADEpochMetrics>();
        var options = MulticlassTrainerTests.SmallOptions();
        options.NumberOfIterations = 3;
        options.ValidationSet = validation;
        options.MetricsCallback = seen.Add;

        RandADMulticlassPredictionTransformer model = ml.MulticlassClassification.Trainers.RandAD(options).Fit(train);

        Assert.HasCount(3, seen);
        CollectionAssert.AreEqual(seen, model.Model.History.ToList());
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, seen.Select(m => m.Epoch).ToArray());
        foreach (RandADEpochMetrics m in seen)
        {
            Assert.IsTrue(double.IsFinite(m.TrainLoss) && m.ValidationLoss is > 0 && m.ValidationAccuracy is > 0.5 and <= 1, m.ToString());
            Assert.IsGreaterThan(0, m.SamplesPerSecond);
            Assert.IsGreaterThan(0L, m.RetainedActivationBytes);
            Assert.AreEqual(options.LearningRate, m.LearningRate);
        }

        // Validation accuracy as the evaluator computes it on the final model.
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(validation)).MicroAccuracy;
        Assert.AreEqual(accuracy, seen[^1].ValidationAccuracy!.Value, 1e-9);
        lock (messages)
        {
            Assert.IsTrue(messages.Any(m => m.Contains("RandAD multiclass") && m.Contains("Dense")), "network description logged");
            Assert.AreEqual(3, messages.Count(m => m.Contains("epoch ") && m.Contains("validation loss")));
        }
    }

    [TestMethod]
    public void EarlyStoppingKeepsTheBestPassWeights()
    {
        (MLContext ml, IDataView train, IDataView validation) = Data();
        var seen = new List<RandADEpochMetrics>();
        var options = MulticlassTrainerTests.SmallOptions();
        options.NumberOfIterations = 20;
        options.ValidationSet = validation;
        options.EarlyStoppingPatience = 2;
        options.EarlyStoppingMinDelta = 1e9f; // nothing after the first pass counts as an improvement
        options.MetricsCallback = seen.Add;

        RandADMulticlassPredictionTransformer model = ml.MulticlassClassification.Trainers.RandAD(options).Fit(train);

        Assert.HasCount(3, seen, "pass 1 is the best, then patience 2");
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(validation));
        Assert.AreEqual(seen[0].ValidationAccuracy!.Value, metrics.MicroAccuracy, 1e-9, "weights of pass 1 restored");
    }

    /// <summary>
    /// <c>Fit(trainData, validationData)</c>, as FastTree and LightGBM take it: the same training and metrics as the data in
    /// <c>Options.ValidationSet</c>, in its place when both are given, and enough for early stopping.
    /// </summary>
    [TestMethod]
    public void FitWithValidationDataReportsAndStopsLikeTheValidationSetOption()
    {
        (MLContext ml, IDataView train, IDataView validation) = Data();
        var byOption = MulticlassTrainerTests.SmallOptions();
        byOption.NumberOfIterations = 3;
        byOption.ValidationSet = validation;
        RandADMulticlassPredictionTransformer expected = ml.MulticlassClassification.Trainers.RandAD(byOption).Fit(train);

        var byArgument = MulticlassTrainerTests.SmallOptions();
        byArgument.NumberOfIterations = 3;
        byArgument.ValidationSet = train; // replaced by the argument
        RandADMulticlassPredictionTransformer actual = ml.MulticlassClassification.Trainers.RandAD(byArgument).Fit(train, validation);

        CollectionAssert.AreEqual(expected.Model.Network.Parameters, actual.Model.Network.Parameters, "the same training");
        CollectionAssert.AreEqual(expected.Model.History.Select(m => (m.ValidationLoss, m.ValidationAccuracy)).ToArray(),
            actual.Model.History.Select(m => (m.ValidationLoss, m.ValidationAccuracy)).ToArray(), "the argument's validation data scored, not the option's");

        var stopping = MulticlassTrainerTests.SmallOptions();
        stopping.NumberOfIterations = 20;
        stopping.EarlyStoppingPatience = 2;
        stopping.EarlyStoppingMinDelta = 1e9f; // nothing after the first pass counts as an improvement
        var trainer = ml.MulticlassClassification.Trainers.RandAD(stopping);
        Assert.HasCount(3, trainer.Fit(train, validation).Model.History, "pass 1 is the best, then patience 2");
        var error = Assert.ThrowsExactly<ArgumentException>(() => trainer.Fit(train));
        StringAssert.Contains(error.Message, "Fit(trainData, validationData)");
        Assert.ThrowsExactly<ArgumentNullException>(() => trainer.Fit(train, (IDataView)null!));

        // The other two trainers take it too.
        IDataView binaryTrain = ml.Data.LoadFromEnumerable(SyntheticData.Binary(200, seed: 1)), binaryValidation = ml.Data.LoadFromEnumerable(SyntheticData.Binary(100, seed: 2));
        var binary = ml.BinaryClassification.Trainers.RandAD(new RandADBinaryTrainer.Options { HiddenLayerSizes = [8], NumberOfIterations = 2, Seed = 5 }).Fit(binaryTrain, binaryValidation);
        Assert.IsTrue(binary.Model.History.All(m => m.ValidationLoss is > 0 && m.ValidationAccuracy is >= 0 and <= 1));
        IDataView regressionTrain = ml.Data.LoadFromEnumerable(SyntheticData.Regression(200, seed: 1)), regressionValidation = ml.Data.LoadFromEnumerable(SyntheticData.Regression(100, seed: 2));
        var regression = ml.Regression.Trainers.RandAD(new RandADRegressionTrainer.Options { HiddenLayerSizes = [8], NumberOfIterations = 2, Seed = 5 }).Fit(regressionTrain, regressionValidation);
        Assert.IsTrue(regression.Model.History.All(m => m.ValidationLoss is > 0 && m.ValidationAccuracy is null));
    }

    [TestMethod]
    public void EarlyStoppingOnAccuracyStopsWhenItPlateaus()
    {
        (MLContext ml, IDataView train, IDataView validation) = Data();
        var options = MulticlassTrainerTests.SmallOptions();
        options.NumberOfIterations = 40;
        options.ValidationSet = validation;
        options.EarlyStoppingPatience = 3;
        options.EarlyStoppingMetric = RandADEarlyStoppingMetric.Accuracy;

        RandADMulticlassPredictionTransformer model = ml.MulticlassClassification.Trainers.RandAD(options).Fit(train);

        Assert.IsLessThan(40, model.Model.History.Count);
    }

    [TestMethod]
    public void CancellationTokenStopsWithinOneMinibatch() =>
        AssertCancelsWithinOneBatch((ml, cts) => cts.Cancel());

    [TestMethod]
    public void MLContextCancelExecutionStopsWithinOneMinibatch() =>
        AssertCancelsWithinOneBatch((ml, cts) => CancelExecution(ml));

    /// <summary>MLContext.CancelExecution() is internal in ML.NET 5.0.1 (its hosts' ICancelable too): reached by reflection.</summary>
    private static void CancelExecution(MLContext ml) =>
        typeof(MLContext).GetMethod("CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!.Invoke(ml, null);

    private static void AssertCancelsWithinOneBatch(Action<MLContext, CancellationTokenSource> cancel)
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        int produced = 0, producedAtCancel = -1;
        IEnumerable<SyntheticData.RegressionRow> Rows()
        {
            foreach (SyntheticData.RegressionRow row in SyntheticData.Regression(3000, 1))
            {
                if (++produced == 1500)
                {
                    producedAtCancel = produced;
                    cancel(ml, cts);
                }

                yield return row;
            }
        }

        var trainer = ml.Regression.Trainers.RandAD(new RandADRegressionTrainer.Options
        {
            HiddenLayerSizes = [4],
            BatchSize = 10,
            ShuffleBufferSize = 50,
            NumberOfIterations = 1,
            CancellationToken = cts.Token,
        });

        Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(ml.Data.LoadFromEnumerable(Rows())));
        Assert.IsLessThanOrEqualTo(producedAtCancel + 10, produced, "at most one more minibatch of rows was read");
    }
}
