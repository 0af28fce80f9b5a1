using System.Globalization;
using System.Text;

namespace RandAD.Experiments;

/// <summary>The tables of docs/results.md, computed from the result rows: final accuracy and memory per estimator, and the sweep.</summary>
internal static class Summary
{
    public static void Write(IReadOnlyList<ResultRow> rows, string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "summary.md"), ToMarkdown(rows));
        var csv = new StringBuilder("dataset,model,estimator,label,batch_size,learning_rate,seeds,iterations,test_accuracy_mean,test_accuracy_sd,test_accuracy_min,test_accuracy_max,train_loss_mean,train_loss_sd,retained_bytes,ms_per_step\n");
        foreach (Line l in Lines(rows, ResultRow.Final))
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{l.Dataset},{l.Model},{l.Estimator},\"{l.Label}\",{l.Batch},{l.Rate},{l.Seeds},{l.Iterations},{l.Accuracy.Mean:F4},{l.Accuracy.Sd:F4},{l.Accuracy.Min:F4},{l.Accuracy.Max:F4},{l.Loss.Mean:F4},{l.Loss.Sd:F4},{l.Retained},{l.MsPerStep:F1}"));
        }

        File.WriteAllText(Path.Combine(folder, "summary.csv"), csv.ToString());
    }

    public static string ToMarkdown(IReadOnlyList<ResultRow> rows)
    {
        var text = new StringBuilder();
        foreach (IGrouping<(string, string), Line> pair in Lines(rows, ResultRow.Final).GroupBy(l => (l.Dataset, l.Model)))
        {
            Line first = pair.First();
            text.AppendLine(CultureInfo.InvariantCulture, $"**{first.Dataset} / {ModelZoo.Title(first.Model)}**, {first.Iterations:N0} steps, accuracy on {first.TestRows:N0} test images\n");
            text.AppendLine("| estimator | batch | lr | seeds | test accuracy (mean ± sd) | min–max | train loss (mean ± sd) | retained activation bytes (ledger) | ms/step |");
            text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (Line l in pair)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {l.Label} | {l.Batch} | {l.Rate:G3} | {l.Seeds} | {l.Accuracy.Mean:F4} ± {l.Accuracy.Sd:F4} | {l.Accuracy.Min:F4}–{l.Accuracy.Max:F4} | {l.Loss.Mean:F4} ± {l.Loss.Sd:F4} | {l.Retained:N0} | {l.MsPerStep:F1} |"));
            }

            text.AppendLine();
        }

        List<Line> sweep = Lines(rows, ResultRow.Sweep);
        if (sweep.Count > 0)
        {
            text.AppendLine($"**Memory sweep** ({sweep[0].Dataset} / {ModelZoo.Title(sweep[0].Model)}, {sweep[0].Iterations:N0} steps, {sweep[0].TestRows:N0} test images)\n");
            text.AppendLine("| run | f (or memory matched to f) | batch | retained activation bytes | test accuracy (mean ± sd) | seeds |");
            text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (Line l in sweep.OrderBy(l => l.Estimator).ThenByDescending(l => l.KeepFraction))
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {l.Label} | {l.KeepFraction:0.##} | {l.Batch} | {l.Retained:N0} | {l.Accuracy.Mean:F4} ± {l.Accuracy.Sd:F4} | {l.Seeds} |"));
            }
        }

        return text.ToString();
    }

    private sealed record Stats(double Mean, double Sd, double Min, double Max)
    {
        public static Stats Of(IReadOnlyCollection<double> values)
        {
            double[] finite = [.. values.Where(double.IsFinite)];
            if (finite.Length == 0)
            {
                return new(double.NaN, double.NaN, double.NaN, double.NaN);
            }

            double mean = finite.Average();
            double sd = finite.Length > 1 ? Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1)) : 0;
            return new(mean, sd, finite.Min(), finite.Max());
        }
    }

    private sealed record Line(
        string Dataset, string Model, string Estimator, string Label, int Batch, float Rate, float KeepFraction, int Seeds, int Iterations,
        int TestRows, Stats Accuracy, Stats Loss, long Retained, double MsPerStep);

    private static List<Line> Lines(IReadOnlyList<ResultRow> rows, string kind) =>
    [
        .. rows.Where(r => r.Kind == kind)
            .GroupBy(r => (r.Dataset, r.Model, r.Estimator, r.KeepFraction, r.BatchSize))
            .OrderBy(g => g.Key.Dataset).ThenBy(g => g.Key.Model).ThenBy(g => EstimatorOrder(g.Key.Estimator))
            .Select(g => new Line(
                g.Key.Dataset, g.Key.Model, g.Key.Estimator, g.First().Label, g.Key.BatchSize, g.First().LearningRate, g.Key.KeepFraction,
                g.Count(), g.Max(r => r.Iteration), g.First().TestRows, Stats.Of([.. g.Select(r => r.TestAccuracy)]), Stats.Of([.. g.Select(r => r.TrainLoss)]),
                g.Max(r => r.RetainedBytes), g.Average(r => 1000 * r.WallSeconds / Math.Max(1, r.Iteration)))),
    ];

    private static int EstimatorOrder(string key) => EstimatorArm.AllKeys.ToList() is var order && order.Contains(key) ? order.IndexOf(key) : 99;
}
