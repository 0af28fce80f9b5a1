using System.Diagnostics;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Training;

namespace RandAD.Experiments;

/// <summary>What one training run needs besides the arm: the data, how long, how often to evaluate.</summary>
/// <param name="Model">Short model name (<see cref="ModelZoo"/>).</param>
/// <param name="Iterations">Optimizer steps.</param>
/// <param name="EvaluateEvery">Steps between checkpoints (0 = only at the end).</param>
/// <param name="ClipNorm">Global gradient-norm bound (0 = none).</param>
internal sealed record RunSpec(string Model, int Iterations, int EvaluateEvery, float ClipNorm)
{
    /// <summary>
    /// The paper's schedule, learning rate ×0.6 every 2,000 of 20,000 steps, scaled to the run length: ten decays per run
    /// whatever the number of iterations.
    /// </summary>
    public StepDecaySchedule Schedule => new(0.6f, Math.Max(1, Iterations / 10));
}

/// <summary>
/// Trains one network with the engine directly (Network.TrainStep + Optimizer, the same steps TrainingLoop runs),
/// because the experiment needs checkpoints every few iterations rather than every epoch.
/// </summary>
internal static class RunTrainer
{
    /// <summary>
    /// Runs <paramref name="run"/> for <paramref name="arm"/>. With <paramref name="curveRows"/> it returns a <c>curve</c>
    /// checkpoint at iteration 0, every <see cref="RunSpec.EvaluateEvery"/> steps and at the end (training loss on
    /// <paramref name="lossRows"/>, accuracy on <paramref name="curveRows"/>); it always ends with one row of
    /// <paramref name="finalKind"/> scored on <paramref name="finalRows"/>. A diverged run stops there with NaN losses.
    /// </summary>
    public static List<ResultRow> Train(
        EstimatorArm arm, RunSpec run, float learningRate, int seed, string dataset, LabelledRows train,
        LabelledRows lossRows, LabelledRows? curveRows, LabelledRows finalRows, string finalKind)
    {
        NetworkSpec spec = ModelZoo.ForImages(run.Model);
        Network network = Network.Create(spec, (ulong)(1000 + seed));
        SketchReport plan = network.ConfigureSketches(arm.Settings, arm.BatchSize);
        var optimizer = new Optimizer(network, new OptimizerSpec(OptimizerKind.Adam));
        var source = new InMemoryMinibatchSource(train.Features, train.Targets, null, LabelledRows.FeatureSize, seed: (ulong)(7919 * (seed + 1)));
        var evaluator = new Evaluator(network);
        StepDecaySchedule schedule = run.Schedule;
        float[] targets = new float[arm.BatchSize];
        var rows = new List<ResultRow>();
        var clock = new Stopwatch();
        double intervalLoss = 0;
        int intervalSteps = 0, epoch = 0;

        ResultRow Checkpoint(string kind, int iteration, LabelledRows scored, bool diverged)
        {
            (double trainLoss, _) = diverged ? (double.NaN, 0) : evaluator.Evaluate(lossRows);
            (double testLoss, double accuracy) = diverged ? (double.NaN, double.NaN) : evaluator.Evaluate(scored);
            double minibatch = intervalSteps > 0 ? intervalLoss / intervalSteps : double.NaN;
            if (kind == ResultRow.Curve)
            {
                intervalLoss = 0;
                intervalSteps = 0;
            }

            return new ResultRow(
                kind, dataset, run.Model, arm.Key, arm.Label, seed, arm.BatchSize, plan.KeepFraction, learningRate, iteration,
                trainLoss, minibatch, testLoss, accuracy, scored.Count, network.Ledger.RetainedBytes, plan.RetainedBytes, clock.Elapsed.TotalSeconds);
        }

        if (curveRows is not null)
        {
            rows.Add(Checkpoint(ResultRow.Curve, 0, curveRows, diverged: false));
        }

        source.StartEpoch(epoch);
        for (int iteration = 1; iteration <= run.Iterations; iteration++)
        {
            clock.Start();
            int batch = source.NextBatch(arm.BatchSize);
            if (batch < arm.BatchSize)
            {
                // Every step sees a full batch, so the retained bytes and the gradient noise stay those of the arm.
                source.StartEpoch(++epoch);
                batch = source.NextBatch(arm.BatchSize);
            }

            source.FillTargets(targets.AsSpan(0, batch), default);
            double loss = network.TrainStep(source, batch, targets.AsSpan(0, batch));
            if (!double.IsFinite(loss))
            {
                clock.Stop();
                rows.Add(Checkpoint(finalKind, iteration, finalRows, diverged: true));
                return rows;
            }

            if (run.ClipNorm > 0)
            {
                GradientClipping.ClipByGlobalNorm(network.Gradients, run.ClipNorm);
            }
            optimizer.Step(schedule.RateAt(learningRate, optimizer.Steps));
            clock.Stop();
            intervalLoss += loss;
            intervalSteps++;
            if (curveRows is not null && (iteration == run.Iterations || (run.EvaluateEvery > 0 && iteration % run.EvaluateEvery == 0)))
            {
                rows.Add(Checkpoint(ResultRow.Curve, iteration, curveRows, diverged: false));
            }
        }

        rows.Add(Checkpoint(finalKind, run.Iterations, finalRows, diverged: false));
        return rows;
    }
}
