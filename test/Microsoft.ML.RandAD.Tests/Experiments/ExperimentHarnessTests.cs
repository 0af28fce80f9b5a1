using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Datasets;
using RandAD.Experiments;

namespace Microsoft.ML.RandAD.Tests.Experiments;

/// <summary>
/// The paper-reproduction harness (perf/RandAD.Experiments) end to end at tiny scale — 300 MNIST training rows, two
/// estimators, one seed, a few steps — so the documented commands keep working; plus its memory arithmetic.
/// </summary>
[TestClass]
public sealed class ExperimentHarnessTests
{
    private static readonly byte[] s_pngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [TestMethod]
    public void TinyPlanWritesEveryKindOfRowSummariesAndReadablePngs()
    {
        using var folder = new TempFolder();
        var log = new StringWriter();

        List<ResultRow> rows = new PaperExperiment(ExperimentPlan.Tiny, folder.Path, log).Run();
        Assert.AreEqual(0, ExperimentCommands.Plot([Path.Combine(folder.Path, "results.csv")], log), log.ToString());

        // Search: 2 arms × 2 rates; curves: iterations 0, 3, 6 per arm; one final row per arm; sweep: f=1, RAD f=0.1, exact at f=0.1's memory.
        Assert.AreEqual(4, rows.Count(r => r.Kind == ResultRow.Tune));
        Assert.AreEqual(6, rows.Count(r => r.Kind == ResultRow.Curve));
        CollectionAssert.AreEquivalent(new[] { EstimatorArm.ExactReduced, EstimatorArm.RadPerRow }, rows.Where(r => r.Kind == ResultRow.Final).Select(r => r.Estimator).ToArray());
        Assert.AreEqual(3, rows.Count(r => r.Kind == ResultRow.Sweep));
        Assert.IsTrue(rows.All(r => double.IsFinite(r.TrainLoss) && r.TestAccuracy is >= 0 and <= 1), log.ToString());

        // Equal memory by construction: the reduced exact batch retains no more than RAD, measured by the ledger in the run.
        ResultRow reduced = rows.Last(r => r.Kind == ResultRow.Final && r.Estimator == EstimatorArm.ExactReduced);
        ResultRow rad = rows.Last(r => r.Kind == ResultRow.Final && r.Estimator == EstimatorArm.RadPerRow);
        Assert.IsTrue(reduced.RetainedBytes <= rad.RetainedBytes && rad.RetainedBytes == rad.PlannedBytes, $"{reduced.RetainedBytes} vs {rad.RetainedBytes}");

        // The CSV round-trips: the plot command rebuilt the same summary from the file.
        List<ResultRow> reread = ResultRow.ReadAll(Path.Combine(folder.Path, "results.csv"));
        Assert.AreEqual(Summary.ToMarkdown(rows), Summary.ToMarkdown(reread));
        StringAssert.Contains(File.ReadAllText(Path.Combine(folder.Path, "summary.md")), "RAD f=0.1 per-row sample");
        StringAssert.Contains(File.ReadAllText(Path.Combine(folder.Path, "memory.md")), "paper Table 1");

        foreach (string name in new[] { "mnist-fc-loss.png", "mnist-fc-accuracy.png", "mnist-fc-memory-sweep.png" })
        {
            byte[] png = File.ReadAllBytes(Path.Combine(folder.Path, name));
            Assert.IsTrue(png.Length > 10_000 && png.AsSpan(0, 4).SequenceEqual(s_pngSignature), $"{name}: {png.Length} bytes");
        }
    }

    [TestMethod]
    [DoNotParallelize] // the command sets the process-wide kernel thread count
    public void GridOptionReplacesTheSearchGridOfEveryComparison()
    {
        using var folder = new TempFolder();
        var log = new StringWriter();
        using (Microsoft.ML.RandAD.Kernels.KernelSettings.Use(Microsoft.ML.RandAD.Kernels.KernelSettings.Path))
        {
            Assert.AreEqual(0, ExperimentCommands.Paper(["--plan", "tiny", "--arms", EstimatorArm.RadPerRow, "--grid", "0.002,0.02", "--out", folder.Path], log), log.ToString());
            Assert.ThrowsExactly<ArgumentException>(() => ExperimentCommands.Paper(["--plan", "tiny", "--grid", "0.01,0", "--out", folder.Path], log));
        }

        List<ResultRow> rows = ResultRow.ReadAll(Path.Combine(folder.Path, "results.csv"));
        CollectionAssert.AreEquivalent(new[] { 0.002, 0.02 }, rows.Where(r => r.Kind == ResultRow.Tune).Select(r => Math.Round(r.LearningRate, 6)).ToArray());
        double chosen = rows.Single(r => r.Kind == ResultRow.Final).LearningRate;
        Assert.IsTrue(Math.Abs(chosen - 0.002) < 1e-9 || Math.Abs(chosen - 0.02) < 1e-9, $"final runs at a rate of the grid, not {chosen}");
    }

    [TestMethod]
    public void ReducedBatchIsTheLargestExactBatchWithinRadMemory()
    {
        NetworkSpec fc = ModelZoo.ForImages(ModelZoo.FullyConnected);
        long rad = EstimatorArm.RetainedBytes(fc, new RadSettings { Estimator = RadEstimator.SampledPerRow, KeepFraction = 0.1f }, 150);

        int batch = EstimatorArm.ReducedExactBatch(fc, rad, 150);

        Assert.IsTrue(EstimatorArm.RetainedBytes(fc, RadSettings.Exact, batch) <= rad);
        Assert.IsTrue(EstimatorArm.RetainedBytes(fc, RadSettings.Exact, batch + 1) > rad);
        Assert.AreEqual(17, batch, "B·(4·1684 + 900/8) ≤ 150·(4·169 + 900/8) + seeds");
    }

    [TestMethod]
    public void FullyConnectedMemoryMatchesThePapersTableOne()
    {
        List<MemoryRow> rows = MemoryReport.Build(150, measure: false, TextWriter.Null);

        foreach (MemoryRow row in rows.Where(r => r.Shape.StartsWith("FC", StringComparison.Ordinal)))
        {
            Assert.AreEqual(row.PaperMegabytes!.Value, row.TotalMegabytes, 0.015, $"f = {row.KeepFraction}");
        }

        Assert.AreEqual(5 * MemoryReport.Fractions.Length, rows.Count);
        StringAssert.Contains(MemoryReport.ToMarkdown(rows), "paper Table 1");
    }

    [TestMethod]
    public void ConvNetArmsHaveNoProjection()
    {
        IReadOnlyList<EstimatorArm> arms = EstimatorArm.ForModel(ModelZoo.ConvNet, 150, 0.1f);

        CollectionAssert.AreEqual(
            new[] { EstimatorArm.ExactFull, EstimatorArm.ExactReduced, EstimatorArm.RadPerRow, EstimatorArm.RadShared, EstimatorArm.RadMagnitude },
            arms.Select(a => a.Key).ToArray());
    }

    [TestMethod]
    public void MagnitudeSamplingKeepsNoMoreThanPerRowSoTheReducedBatchStaysFair()
    {
        foreach (string model in new[] { ModelZoo.FullyConnected, ModelZoo.ConvNet, ModelZoo.Irnn, ModelZoo.PixelIrnn })
        {
            IReadOnlyList<EstimatorArm> arms = EstimatorArm.ForModel(model, 150, 0.1f);
            long Bytes(string key) => EstimatorArm.RetainedBytes(ModelZoo.ForImages(model), arms.Single(a => a.Key == key).Settings, 150);
            Assert.IsLessThanOrEqualTo(Bytes(EstimatorArm.RadPerRow), Bytes(EstimatorArm.RadMagnitude), model);
        }
    }
}
