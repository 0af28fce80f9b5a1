using System.Reflection;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>Options: one source of defaults, sweepable hyperparameters, RAD settings mapping.</summary>
[TestClass]
public sealed class OptionsTests
{
    private static readonly string[] Sweepable =
        ["LearningRate", "HiddenLayerWidth", "HiddenLayerCount", "BatchSize", "KeepFraction", "L2Regularization", "DropoutRate", "NumberOfIterations"];

    [TestMethod]
    public void DefaultsComeFromTheDefaultsClassForEveryTrainer()
    {
        foreach (RandADTrainerOptionsBase options in new RandADTrainerOptionsBase[] { new RandADMulticlassTrainer.Options(), new RandADBinaryTrainer.Options(), new RandADRegressionTrainer.Options() })
        {
            Assert.AreEqual(RandADDefaults.LearningRate, options.LearningRate);
            Assert.AreEqual(RandADDefaults.BatchSize, options.BatchSize);
            Assert.AreEqual(RandADDefaults.NumberOfIterations, options.NumberOfIterations);
            Assert.AreEqual(RandADDefaults.KeepFraction, options.KeepFraction);
            Assert.AreEqual(RandADDefaults.HiddenLayerWidth, options.HiddenLayerWidth);
            Assert.AreEqual(RandADDefaults.HiddenLayerCount, options.HiddenLayerCount);
            Assert.AreEqual(RandADDefaults.L2Regularization, options.L2Regularization);
            Assert.AreEqual(RandADDefaults.LabelColumnName, options.LabelColumnName);
            Assert.AreEqual(RandADDefaults.FeatureColumnName, options.FeatureColumnName);
            Assert.AreEqual(RandADDefaults.LearningRateWarmupIterations, options.LearningRateWarmupIterations);
            Assert.IsNull(options.NumberOfThreads, "every processor unless told otherwise");
        }
    }

    [TestMethod]
    public void SweepableFieldsCarrySearchSpaceRangesAroundTheirDefaults()
    {
        var options = new RandADMulticlassTrainer.Options();
        foreach (string name in Sweepable)
        {
            FieldInfo field = typeof(RandADMulticlassTrainer.Options).GetField(name)!;
            Assert.IsNotNull(field.GetCustomAttribute<RangeAttribute>(), name);
            CustomAttributeData range = field.GetCustomAttributesData().Single(a => a.AttributeType == typeof(RangeAttribute));
            double min = Convert.ToDouble(range.ConstructorArguments[0].Value), max = Convert.ToDouble(range.ConstructorArguments[1].Value);
            double init = Convert.ToDouble(range.ConstructorArguments[2].Value), value = Convert.ToDouble(field.GetValue(options));
            Assert.IsTrue(min <= value && value <= max, $"{name}: default {value} outside [{min}, {max}]");
            Assert.AreEqual(value, init, 1e-9, $"{name}: the search starts at the default");
            Assert.AreEqual(field.FieldType == typeof(int) ? typeof(int) : typeof(float), range.ConstructorArguments[0].ArgumentType, name);
        }
    }

    [TestMethod]
    public void TrainerInfoSaysWhatTheTrainersDo()
    {
        var ml = new MLContext(seed: 1);
        foreach (TrainerInfo info in new[] { ml.MulticlassClassification.Trainers.RandAD().Info, ml.BinaryClassification.Trainers.RandAD().Info, ml.Regression.Trainers.RandAD().Info })
        {
            Assert.IsTrue(info.NeedNormalization);
            Assert.IsFalse(info.WantCaching, "training streams through cursors");
            Assert.IsFalse(Internal<bool>(info, "NeedCalibration"), "the binary trainer's probability is its own sigmoid");
            Assert.IsTrue(Internal<bool>(info, "SupportsValidation"), "Fit(trainData, validationData)");
            Assert.IsTrue(Internal<bool>(info, "SupportsIncrementalTraining"), "Fit(trainData, modelParameters)");
        }
    }

    private static T Internal<T>(object target, string property) =>
        (T)target.GetType().GetProperty(property, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.GetValue(target)!;

    [TestMethod]
    public void RadOptionsMapToTheEngineSettings()
    {
        var options = new RandADMulticlassTrainer.Options { KeepFraction = 0.1f, RadEstimator = RandAD.Sketches.RadEstimator.SampledShared, ActivationMemoryBudgetBytes = 1 << 20 };
        RandAD.Sketches.RadSettings settings = options.ToRadSettings();

        Assert.AreEqual(0.1f, settings.KeepFraction);
        Assert.AreEqual(RandAD.Sketches.RadEstimator.SampledShared, settings.Estimator);
        Assert.AreEqual(1L << 20, settings.MemoryBudgetBytes);
        Assert.AreEqual(1f, new RandADBinaryTrainer.Options().ToRadSettings().KeepFraction);
    }

    [TestMethod]
    public void RandomizedBackpropTrainsWhenTheEngineSupportsIt()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, 1)));
        var options = MulticlassTrainerTests.SmallOptions();
        options.KeepFraction = 0.5f;
        RandADMulticlassPredictionTransformer model;
        try
        {
            model = ml.MulticlassClassification.Trainers.RandAD(options).Fit(data);
        }
        catch (NotSupportedException unsupported)
        {
            Assert.Inconclusive($"The engine does not run RAD sketches yet: {unsupported.Message}");
            return;
        }

        var exact = ml.MulticlassClassification.Trainers.RandAD(MulticlassTrainerTests.SmallOptions()).Fit(data);
        Assert.IsLessThan(exact.Model.RetainedActivationBytes, model.Model.RetainedActivationBytes);
        Assert.IsGreaterThan(0.8, ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy);
    }
}
