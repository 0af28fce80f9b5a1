using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Tests.MLNet;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>The learning-rate schedules, step by step, and the trainers' warm-up option.</summary>
[TestClass]
public sealed class LearningRateScheduleTests
{
    [TestMethod]
    public void SchedulesGiveTheirRatesStepByStep()
    {
        Assert.AreEqual(0.1f, new ConstantSchedule().RateAt(0.1f, 1_000));
        CollectionAssert.AreEqual(new[] { 1f, 1f, 0.5f, 0.5f, 0.25f }, Rates(new StepDecaySchedule(0.5f, 2), 1f, 5));
        float[] cosine = Rates(new CosineSchedule(4), 1f, 6);
        Assert.AreEqual(1f, cosine[0]);
        Assert.AreEqual(0.5f, cosine[2], 1e-6f);
        Assert.AreEqual(0f, cosine[4], 1e-6f);
        Assert.AreEqual(0f, cosine[5], 1e-6f, "flat after the anneal");
    }

    [TestMethod]
    public void WarmupRisesLinearlyThenStartsTheNextScheduleFromItsOwnStepZero()
    {
        float[] rates = Rates(new WarmupSchedule(4, new StepDecaySchedule(0.5f, 2)), 2f, 9);
        CollectionAssert.AreEqual(new[] { 0.5f, 1f, 1.5f, 2f, 2f, 2f, 1f, 1f, 0.5f }, rates);
        CollectionAssert.AreEqual(new[] { 1f, 1f, 1f }, Rates(new WarmupSchedule(1, new ConstantSchedule()), 1f, 3), "one step of warm-up is the base rate");
    }

    /// <summary>
    /// <c>LearningRateWarmupIterations</c> in passes: 300 rows in batches of 32 are 10 steps a pass, so two passes of
    /// warm-up end the first pass at half the rate and the second at the full rate; a cosine after them anneals over the
    /// passes left. The rate each pass reports is that of its last step.
    /// </summary>
    [TestMethod]
    public void TrainerWarmupRampsOverTheGivenPasses()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, 1)));
        RandADMulticlassTrainer.Options options = MulticlassTrainerTests.SmallOptions();
        options.NumberOfIterations = 4;
        options.LearningRateWarmupIterations = 2;
        float[] rates = [.. ml.MulticlassClassification.Trainers.RandAD(options).Fit(data).Model.History.Select(m => m.LearningRate)];
        CollectionAssert.AreEqual(new[] { 0.5f * options.LearningRate, options.LearningRate, options.LearningRate, options.LearningRate }, rates);

        options.LearningRateSchedule = RandADLearningRateSchedule.Cosine;
        rates = [.. ml.MulticlassClassification.Trainers.RandAD(options).Fit(data).Model.History.Select(m => m.LearningRate)];
        Assert.AreEqual(0.5f * options.LearningRate, rates[0]);
        Assert.AreEqual(options.LearningRate, rates[1]);
        Assert.AreEqual(new CosineSchedule(20).RateAt(options.LearningRate, 9), rates[2], "the anneal runs over the two passes left");
        Assert.AreEqual(new CosineSchedule(20).RateAt(options.LearningRate, 19), rates[3], "its last step");

        options.LearningRateWarmupIterations = -1;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.RandAD(options));
        Assert.AreEqual("LearningRateWarmupIterations", error.ParamName);
    }

    private static float[] Rates(LearningRateSchedule schedule, float baseRate, int steps) =>
        [.. Enumerable.Range(0, steps).Select(s => schedule.RateAt(baseRate, s))];
}
