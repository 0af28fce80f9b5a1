using RandAD.Experiments;
using RandAD.Experiments.Pde;

namespace Microsoft.ML.RandAD.Tests.Experiments;

/// <summary>
/// The PDE case of the paper (perf/RandAD.Experiments/Pde): the adjoint gradient against finite differences, RAD's sketched
/// gradient unbiased, the three checkpointing schedules exact, the bytes each store keeps, and the <c>pde</c> command at
/// tiny scale.
/// </summary>
[TestClass]
public sealed class PdeExperimentTests
{
    // A 7×7 interior (d = 49), 48 steps of 1/64: DΔt/Δx² = 0.25 · (1/64) · 8² = 0.25, the stable limit.
    private static ReactionDiffusion Small() => new(intervals: 8, steps: 48, timeStep: 1.0 / 64);

    [TestMethod]
    public void TheAdjointGradientMatchesCentralDifferences()
    {
        ReactionDiffusion problem = Small();
        double[] theta = ReactionDiffusion.InitialParameters(3);
        double[] gradient = new double[ReactionDiffusion.ParameterCount];
        double loss = problem.LossAndGradient(theta, new ExactStateStore(), gradient);
        Assert.AreEqual(problem.Loss(theta), loss, 1e-15 * loss, "the pass's loss is the forward loss");

        const double h = 1e-5;
        for (int k = 0; k < theta.Length; k++)
        {
            double[] plus = (double[])theta.Clone(), minus = (double[])theta.Clone();
            plus[k] += h;
            minus[k] -= h;
            double numeric = (problem.Loss(plus) - problem.Loss(minus)) / (2 * h);

            // Central differences in double carry O(h²) truncation and O(ε·L/h) rounding: about 1e-10 relative here.
            Assert.AreEqual(numeric, gradient[k], 1e-7 * Math.Abs(numeric) + 1e-12, $"∂L/∂θ{k}");
        }
    }

    [TestMethod]
    public void TheSketchedGradientIsUnbiased()
    {
        ReactionDiffusion problem = Small();
        double[] theta = ReactionDiffusion.InitialParameters(5);
        double[] exact = new double[ReactionDiffusion.ParameterCount];
        problem.LossAndGradient(theta, new ExactStateStore(), exact);

        // 4,000 passes of f = 0.1 (5 of 49 points a step), each a fresh draw: every component's mean within 4 standard errors
        // of the exact gradient. Without the d/k scale the mean would be about a tenth of it, far outside.
        const int passes = 4000;
        var store = new SampledStateStore(0.1, seed: 11);
        double[] gradient = new double[ReactionDiffusion.ParameterCount], sum = new double[gradient.Length], squares = new double[gradient.Length];
        for (int pass = 0; pass < passes; pass++)
        {
            problem.LossAndGradient(theta, store, gradient);
            for (int k = 0; k < gradient.Length; k++)
            {
                sum[k] += gradient[k];
                squares[k] += gradient[k] * gradient[k];
            }
        }

        for (int k = 0; k < gradient.Length; k++)
        {
            double mean = sum[k] / passes, variance = (squares[k] / passes) - (mean * mean);
            double standardError = Math.Sqrt(variance / passes);
            Assert.IsTrue(variance > 0, $"θ{k}: the sketch varies from pass to pass");
            Assert.AreEqual(exact[k], mean, 4 * standardError, $"θ{k}: mean {mean:E4} of {passes} passes, exact {exact[k]:E4}, standard error {standardError:E2}");
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(5)]
    [DataRow(7)]
    [DataRow(48)]
    [DataRow(100)]
    public void CheckpointingGivesTheExactGradientBitForBit(int segment)
    {
        ReactionDiffusion problem = Small();
        double[] theta = ReactionDiffusion.InitialParameters(7);
        double[] exact = new double[ReactionDiffusion.ParameterCount], checkpointed = new double[exact.Length];
        double exactLoss = problem.LossAndGradient(theta, new ExactStateStore(), exact);
        var store = new CheckpointedStateStore(segment);
        Assert.AreEqual(exactLoss, problem.LossAndGradient(theta, store, checkpointed));
        CollectionAssert.AreEqual(exact, checkpointed, $"segments of {segment}");

        // Each segment is recomputed once, from its checkpoint to its last state: N − ⌈N/segment⌉ steps in all.
        int steps = problem.Steps;
        Assert.AreEqual(steps - ((steps + segment - 1) / segment), store.RecomputedSteps);
    }

    [TestMethod]
    [DataRow(48)]
    [DataRow(37)]
    [DataRow(1)]
    public void BisectionGivesTheExactGradientBitForBitInLogarithmicMemory(int steps)
    {
        var problem = new ReactionDiffusion(intervals: 8, steps: steps, timeStep: 1.0 / 64);
        double[] theta = ReactionDiffusion.InitialParameters(9);
        double[] exact = new double[ReactionDiffusion.ParameterCount], bisected = new double[exact.Length];
        double exactLoss = problem.LossAndGradient(theta, new ExactStateStore(), exact);
        var store = CheckpointScheduleStore.Bisection();
        Assert.AreEqual(exactLoss, problem.LossAndGradient(theta, store, bisected));
        CollectionAssert.AreEqual(exact, bisected, $"{steps} steps");

        // About log₂N + 1 states held at most, and each step recomputed at most ⌈log₂N⌉ times.
        Assert.IsTrue(store.MostKept <= Math.Ceiling(Math.Log2(steps)) + 2, $"{store.MostKept} states held for {steps} steps");
        Assert.IsTrue(store.RecomputedSteps <= steps * Math.Ceiling(Math.Log2(Math.Max(2, steps))), $"{store.RecomputedSteps} steps recomputed");
    }

    [TestMethod]
    [DataRow(48, 1)]
    [DataRow(48, 2)]
    [DataRow(48, 5)]
    [DataRow(37, 40)]
    public void BinomialCheckpointsGiveTheExactGradientBitForBitWithinTheirStates(int steps, int states)
    {
        var problem = new ReactionDiffusion(intervals: 8, steps: steps, timeStep: 1.0 / 64);
        double[] theta = ReactionDiffusion.InitialParameters(11);
        double[] exact = new double[ReactionDiffusion.ParameterCount], checkpointed = new double[exact.Length];
        double exactLoss = problem.LossAndGradient(theta, new ExactStateStore(), exact);
        var store = CheckpointScheduleStore.Binomial(states);
        Assert.AreEqual(exactLoss, problem.LossAndGradient(theta, store, checkpointed));
        CollectionAssert.AreEqual(exact, checkpointed, $"{steps} steps, {states} states");

        Assert.IsTrue(store.MostKept <= states, $"{store.MostKept} states held of {states}");

        // One state (the first) leaves every state to be recomputed from it: 1 + 2 + … + (N − 1) steps.
        if (states == 1)
        {
            Assert.AreEqual((long)steps * (steps - 1) / 2, store.RecomputedSteps);
        }
    }

    [TestMethod]
    public void BinomialCheckpointsRecomputeLessThanBisectionInItsMemory()
    {
        // The paper's 40,960 steps: bisection holds 17 states and recomputes 6.5 sweeps; 17 binomial ones, under 4.4.
        (int bisectionStates, long bisection) = CheckpointScheduleStore.Bisection().Schedule(40_960);
        (int binomialStates, long binomial) = CheckpointScheduleStore.Binomial(bisectionStates).Schedule(40_960);
        Assert.AreEqual(17, bisectionStates);
        Assert.IsTrue(binomialStates <= 17);
        Assert.IsTrue(binomial < 4.4 * 40_960 && binomial < bisection, $"binomial {binomial}, bisection {bisection} steps recomputed");
    }

    [TestMethod]
    public void TheCosineRateStartsAsTheFixedRateAndThenFalls()
    {
        // Small's problem, 4 iterations: the same first update (the cosine starts at the full rate), then smaller steps.
        var fixedRate = new PdeExperiment(Small(), iterations: 4).Run(PdeArm.Keep(1), seed: 2);
        var cosine = new PdeExperiment(Small(), iterations: 4, cosine: true).Run(PdeArm.Keep(1), seed: 2);
        Assert.AreEqual("exact (cosine rate)", cosine[0].Store);
        Assert.AreEqual(fixedRate[1].Loss, cosine[1].Loss);
        Assert.AreNotEqual(fixedRate[2].Loss, cosine[2].Loss);
    }

    [TestMethod]
    public void TheStoresKeepTheBytesTheyReport()
    {
        // The paper's problem: 40,960 states of 31×31 = 961 doubles, or ⌈f·961⌉ of them.
        var problem = new ReactionDiffusion();
        Assert.AreEqual(961, problem.StateSize);
        Assert.AreEqual(40_960L * 961 * 8, new ExactStateStore().Bytes(problem.Steps, problem.StateSize));
        Assert.AreEqual(40_960L * 97 * 8, new SampledStateStore(0.1, 1).Bytes(problem.Steps, problem.StateSize));
        Assert.AreEqual(40_960L * 1 * 8, new SampledStateStore(0.001, 1).Bytes(problem.Steps, problem.StateSize));
        // ⌈√40,960⌉ = 203-step segments: 202 checkpoints and one segment's 203 states.
        Assert.AreEqual((202L + 203) * 961 * 8, new CheckpointedStateStore(203).Bytes(problem.Steps, problem.StateSize));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SampledStateStore(0, 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CheckpointedStateStore(0));
    }

    [TestMethod]
    public void TheCommandWritesTheTableTheCsvAndTheFigure()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"randad-pde-{Guid.NewGuid():N}");
        try
        {
            var log = new StringWriter();
            Assert.AreEqual(0, ExperimentCommands.Pde(["--iterations", "3", "--steps", "400", "--fractions", "1,0.01", "--out", folder], log), log.ToString());

            string[] csv = File.ReadAllLines(Path.Combine(folder, "pde.csv"));
            Assert.AreEqual(PdeRow.Header, csv[0]);
            Assert.AreEqual(1 + (3 * (3 + 1)), csv.Length, "3 iterations and the final loss, per fraction and for the checkpoints");
            string table = File.ReadAllText(Path.Combine(folder, "pde.md"));
            StringAssert.Contains(table, "| exact | 3,075,200 | 100.0 % |"); // 400 · 961 · 8
            StringAssert.Contains(table, "| RAD f = 0.01 | 32,000 | 1.0 % |"); // 400 · 10 · 8
            StringAssert.Contains(table, "| exact with checkpoints every 20 steps | 307,520 | 10.0 % |"); // (20 + 20) · 961 · 8

            // Checkpointing is exact: its run follows the exact run loss for loss.
            List<PdeRow> rows = PdeExperiment.ReadCsv(Path.Combine(folder, "pde.csv"));
            CollectionAssert.AreEqual(
                rows.Where(r => r.Store == "exact").Select(r => r.Loss).ToArray(),
                rows.Where(r => r.Store.StartsWith("exact with checkpoints", StringComparison.Ordinal)).Select(r => r.Loss).ToArray());
            Assert.ThrowsExactly<ArgumentException>(() => ExperimentCommands.Pde(["--checkpoints", "halves", "--out", folder], log));
            Assert.ThrowsExactly<ArgumentException>(() => ExperimentCommands.Pde(["--checkpoints", "binomial:0", "--out", folder], log));
            Assert.ThrowsExactly<ArgumentException>(() => ExperimentCommands.Pde(["--fractions", "0", "--out", folder], log));

            // The CSV round-trips: --from writes the same table from it.
            string again = Path.Combine(folder, "again");
            Assert.AreEqual(0, ExperimentCommands.Pde(["--from", Path.Combine(folder, "pde.csv"), "--out", again], log), log.ToString());
            Assert.AreEqual(table, File.ReadAllText(Path.Combine(again, "pde.md")));
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(folder, "pde-loss.png")).Take(4).ToArray());
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
