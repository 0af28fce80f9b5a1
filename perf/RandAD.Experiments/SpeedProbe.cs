using System.Diagnostics;

namespace RandAD.Experiments;

/// <summary>Times a few training steps per model and arm, to size the quick and full plans for this machine.</summary>
internal static class SpeedProbe
{
    public static void Run(TextWriter log, int steps, string models)
    {
        ExperimentData data = ExperimentData.Load(ExperimentData.Fashion, lossRows: 2000);
        foreach (string model in models.Split(','))
        {
            foreach (EstimatorArm arm in EstimatorArm.ForModel(model, 150, 0.1f))
            {
                var run = new RunSpec(model, steps, 0, 0f);
                var clock = Stopwatch.StartNew();
                List<ResultRow> rows = RunTrainer.Train(arm, run, 1e-3f, 0, data.Name, data.Train, data.LossSubset.Take(500), null, data.Test.Take(500), ResultRow.Final);
                double train = rows[^1].WallSeconds;
                log.WriteLine($"{model,-5} {arm.Label,-36} {1000 * train / steps,8:F1} ms/step  (eval of 1,000 rows {clock.Elapsed.TotalSeconds - train:F2} s)  retained {rows[^1].RetainedBytes:N0} B");
            }
        }
    }
}
