using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>Options.NumberOfThreads: the thread count of one fit, whatever the process-wide count, and nothing after it.</summary>
[TestClass]
[DoNotParallelize] // KernelSettings is process-wide.
public sealed class TrainerThreadsTests
{
    [TestMethod]
    public void NumberOfThreadsHoldsForTheFitOnly()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(600, 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(600, 1)));

        using (KernelSettings.Use(KernelSettings.Path, threads: 2))
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var seen = new List<int>();
                RandADMulticlassTrainer.Options options = Options(threads, seen);
                float[] limited;
                using (KernelSettings.Use(KernelSettings.Path, threads: threads == 1 ? 2 : 1)) // another count process-wide
                {
                    limited = ml.MulticlassClassification.Trainers.RandAD(options).Fit(data).Model.Network.Parameters;
                    Assert.AreEqual(threads == 1 ? 2 : 1, KernelSettings.ThreadCount, "the process-wide count is back after the fit");
                }

                CollectionAssert.AreEqual(Enumerable.Repeat(threads, options.NumberOfIterations).ToArray(), seen, $"{threads}: the count in force during each pass");

                float[] global;
                using (KernelSettings.Use(KernelSettings.Path, threads))
                {
                    global = ml.MulticlassClassification.Trainers.RandAD(Options(null, [])).Fit(data).Model.Network.Parameters;
                }

                CollectionAssert.AreEqual(global, limited, $"{threads} threads by the option and process-wide: the same training");
            }
        }
    }

    [TestMethod]
    public void NumberOfThreadsBelowOneIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var options = Options(0, []);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.RandAD(options));
        Assert.AreEqual("NumberOfThreads", error.ParamName);
        StringAssert.Contains(error.Message, "at least 1");
    }

    private static RandADMulticlassTrainer.Options Options(int? threads, List<int> seen)
    {
        RandADMulticlassTrainer.Options options = MulticlassTrainerTests.SmallOptions();
        options.HiddenLayerSizes = [256];
        options.BatchSize = 128;
        options.NumberOfIterations = 3;
        options.NumberOfThreads = threads;
        options.MetricsCallback = _ => seen.Add(KernelSettings.ThreadCount);
        return options;
    }
}
