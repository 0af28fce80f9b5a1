using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.RandAD.Sketches;

namespace RandAD.Experiments;

/// <summary>
/// Runs a plan: per (data set, model) the learning-rate search and the seeded runs of every arm, then the memory sweep
/// and the memory table; writes results.csv as it goes (the caller renders summaries and figures).
/// </summary>
internal sealed class PaperExperiment(ExperimentPlan plan, string outputFolder, TextWriter log)
{
    private readonly Dictionary<string, ExperimentData> _data = [];
    private readonly Dictionary<(string Dataset, string Model, string Arm), float> _chosenRates = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public string CsvPath => Path.Combine(outputFolder, "results.csv");

    public List<ResultRow> Run()
    {
        Directory.CreateDirectory(outputFolder);
        log.WriteLine($"plan {plan.Name}: writing {CsvPath}");
        using var writer = new ResultWriter(CsvPath);
        foreach (ModelPlan comparison in plan.Comparisons)
        {
            RunComparison(comparison, writer);
        }

        if (plan.Sweep is { } sweep)
        {
            RunSweep(sweep, writer);
        }

        // The planner's numbers cost nothing; a measured step of the CIFAR ConvNet and the 784-step IRNN costs seconds.
        List<MemoryRow> memory = MemoryReport.Build(plan.BatchSize, measure: plan.MeasureMemory, log);
        MemoryReport.Write(memory, outputFolder);

        log.WriteLine($"[{_clock.Elapsed:hh\\:mm\\:ss}] runs done; {writer.Rows.Count} rows in {CsvPath}");
        return writer.Rows;
    }

    private ExperimentData Data(string name, int lossRows)
    {
        string key = $"{name}/{lossRows}";
        if (!_data.TryGetValue(key, out ExperimentData? data))
        {
            data = ExperimentData.Load(name, lossRows, plan.TrainRows);
            _data[key] = data;
        }

        return data;
    }

    private void RunComparison(ModelPlan comparison, ResultWriter writer)
    {
        ExperimentData data = Data(comparison.Dataset, comparison.LossRows);
        IReadOnlyList<EstimatorArm> arms = EstimatorArm.ForModel(comparison.Model, plan.BatchSize, plan.KeepFraction, plan.ArmKeys);
        log.WriteLine($"[{_clock.Elapsed:hh\\:mm\\:ss}] {data.Title} / {ModelZoo.Title(comparison.Model)}: {comparison.Iterations} steps × {comparison.Seeds} seeds, " +
            $"arms: {string.Join("; ", arms.Select(a => a.Label))}");
        LabelledRows curveTest = data.Test.Take(comparison.CurveTestRows), finalTest = data.Test.Take(comparison.FinalTestRows);
        foreach (EstimatorArm arm in arms)
        {
            float rate = ChooseLearningRate(comparison, arm, data, writer);
            _chosenRates[(comparison.Dataset, comparison.Model, arm.Key)] = rate;
            var run = new RunSpec(comparison.Model, comparison.Iterations, comparison.EvaluateEvery, comparison.ClipNorm);
            for (int seed = 0; seed < comparison.Seeds; seed++)
            {
                List<ResultRow> rows = RunTrainer.Train(arm, run, rate, seed, data.Name, data.Train, data.LossSubset, curveTest, finalTest, ResultRow.Final);
                writer.Write(rows);
                ResultRow last = rows[^1];
                log.WriteLine($"[{_clock.Elapsed:hh\\:mm\\:ss}]   {arm.Label,-38} seed {seed}: lr {rate:G3}, train loss {last.TrainLoss:F4}, " +
                    $"test acc {last.TestAccuracy:F4}, retained {last.RetainedBytes:N0} B, {1000 * last.WallSeconds / Math.Max(1, last.Iteration):F1} ms/step");
            }
        }
    }

    /// <summary>
    /// Picks the rate of the grid with the lowest held-out cross-entropy after a short run on the training rows
    /// that are not held out (seed 100, not one of the reported seeds).
    /// </summary>
    private float ChooseLearningRate(ModelPlan comparison, EstimatorArm arm, ExperimentData data, ResultWriter writer)
    {
        if (comparison.LearningRates.Length == 1)
        {
            return comparison.LearningRates[0];
        }

        var run = new RunSpec(comparison.Model, comparison.TuneIterations, 0, comparison.ClipNorm);
        float best = comparison.LearningRates[0];
        double bestLoss = double.PositiveInfinity;
        var scores = new List<string>();
        foreach (float rate in comparison.LearningRates)
        {
            ResultRow row = RunTrainer.Train(arm, run, rate, 100, data.Name, data.TuneTrain, data.LossSubset, null, data.HeldOut, ResultRow.Tune)[^1];
            writer.Write([row]);
            scores.Add(string.Create(CultureInfo.InvariantCulture, $"{rate:G3}→{row.TestLoss:F3}/{row.TestAccuracy:F3}"));
            if (double.IsFinite(row.TestLoss) && row.TestLoss < bestLoss)
            {
                (best, bestLoss) = (rate, row.TestLoss);
            }
        }

        log.WriteLine($"[{_clock.Elapsed:hh\\:mm\\:ss}]   search {arm.Label}: held-out loss/acc {string.Join(", ", scores)} ⇒ lr {best:G3}");
        return best;
    }

    /// <summary>
    /// Memory against accuracy: RAD per-row at the paper batch for each f, and exact backprop at the largest batch that
    /// retains no more. Rates: the searched rate of RAD per-row (f &lt; 1), exact full (f = 1) and exact reduced (the
    /// exact line), or 1e-3 where the comparison did not run.
    /// </summary>
    private void RunSweep(SweepPlan sweep, ResultWriter writer)
    {
        ExperimentData data = Data(sweep.Dataset, plan.Comparisons.FirstOrDefault(c => c.Dataset == sweep.Dataset && c.Model == sweep.Model)?.LossRows ?? 2000);
        float Rate(string arm) => _chosenRates.TryGetValue((sweep.Dataset, sweep.Model, arm), out float r) ? r : 1e-3f;
        var spec = ModelZoo.ForImages(sweep.Model);
        var run = new RunSpec(sweep.Model, sweep.Iterations, 0, 0f);
        log.WriteLine($"[{_clock.Elapsed:hh\\:mm\\:ss}] memory sweep {data.Title} / {ModelZoo.Title(sweep.Model)}: f ∈ {{{string.Join(", ", sweep.Fractions)}}}");
        foreach (float f in sweep.Fractions)
        {
            string fText = f.ToString("0.##", CultureInfo.InvariantCulture);
            var rad = new RadSettings { Estimator = RadEstimator.SampledPerRow, KeepFraction = f };
            var arms = new List<(EstimatorArm Arm, float Rate)>
            {
                (new EstimatorArm("sweep-rad", $"RAD per-row f={fText} B={plan.BatchSize}", rad, plan.BatchSize), Rate(f < 1 ? EstimatorArm.RadPerRow : EstimatorArm.ExactFull)),
            };
            if (f < 1)
            {
                int batch = EstimatorArm.ReducedExactBatch(spec, EstimatorArm.RetainedBytes(spec, rad, plan.BatchSize), plan.BatchSize);
                arms.Add((new EstimatorArm("sweep-exact", $"exact B={batch} (memory of f={fText})", RadSettings.Exact, batch), Rate(EstimatorArm.ExactReduced)));
            }

            foreach ((EstimatorArm arm, float rate) in arms)
            {
                for (int seed = 0; seed < sweep.Seeds; seed++)
                {
                    ResultRow row = RunTrainer.Train(arm, run, rate, seed, data.Name, data.Train, data.LossSubset, null, data.Test, ResultRow.Sweep)[^1];
                    writer.Write([row with { KeepFraction = f }]);
                    log.WriteLine($"[{_clock.Elapsed:hh\\:mm\\:ss}]   {arm.Label,-38} seed {seed}: test acc {row.TestAccuracy:F4}, retained {row.RetainedBytes:N0} B");
                }
            }
        }
    }
}
