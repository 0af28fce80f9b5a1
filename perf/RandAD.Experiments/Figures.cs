using System.Globalization;
using ScottPlot;

namespace RandAD.Experiments;

/// <summary>
/// PNG figures from the result rows (ScottPlot 5): per (data set, model) the training loss and the test accuracy against
/// the iteration, a line per estimator (mean over seeds) with the min–max band across seeds shaded; and the memory sweep,
/// test accuracy against retained activation bytes.
/// </summary>
internal static class Figures
{
    private const int Width = 1000, Height = 620;

    public static List<string> Render(IReadOnlyList<ResultRow> rows, string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (IGrouping<(string Dataset, string Model), ResultRow> pair in rows.Where(r => r.Kind == ResultRow.Curve).GroupBy(r => (r.Dataset, r.Model)))
        {
            string title = $"{DatasetTitle(pair.Key.Dataset)}, {ModelZoo.Title(pair.Key.Model)}";
            written.Add(Curves(pair.ToList(), r => r.TrainLoss, $"{title}: training loss ({BandNote})", "cross-entropy on the fixed training subset",
                Path.Combine(folder, $"{pair.Key.Dataset}-{pair.Key.Model}-loss.png")));
            written.Add(Curves(pair.ToList(), r => r.TestAccuracy, $"{title}: test accuracy ({pair.First().TestRows:N0} test images, {BandNote})", "test accuracy",
                Path.Combine(folder, $"{pair.Key.Dataset}-{pair.Key.Model}-accuracy.png")));
        }

        foreach (IGrouping<(string Dataset, string Model), ResultRow> sweep in rows.Where(r => r.Kind == ResultRow.Sweep).GroupBy(r => (r.Dataset, r.Model)))
        {
            written.Add(MemorySweep(sweep.ToList(), $"{DatasetTitle(sweep.Key.Dataset)}, {ModelZoo.Title(sweep.Key.Model)}",
                Path.Combine(folder, $"{sweep.Key.Dataset}-{sweep.Key.Model}-memory-sweep.png")));
        }

        return written;
    }

    private const string BandNote = "mean over seeds, band = min–max";

    private static string DatasetTitle(string name) => name == ExperimentData.Fashion ? "Fashion-MNIST" : name == ExperimentData.Mnist ? "MNIST subset" : name;

    private static string Curves(List<ResultRow> rows, Func<ResultRow, double> value, string title, string yLabel, string path)
    {
        var plot = new Plot();
        int colorIndex = 0;
        foreach (string key in OrderedEstimators(rows))
        {
            List<ResultRow> arm = [.. rows.Where(r => r.Estimator == key)];
            var byIteration = arm.GroupBy(r => r.Iteration).OrderBy(g => g.Key)
                .Select(g => (X: (double)g.Key, Values: g.Select(value).Where(double.IsFinite).ToArray()))
                .Where(p => p.Values.Length > 0).ToArray();
            if (byIteration.Length == 0)
            {
                continue;
            }

            double[] xs = [.. byIteration.Select(p => p.X)];
            Color color = new ScottPlot.Palettes.Category10().GetColor(colorIndex++);
            if (arm.Select(r => r.Seed).Distinct().Count() > 1)
            {
                var band = plot.Add.FillY(xs, [.. byIteration.Select(p => p.Values.Min())], [.. byIteration.Select(p => p.Values.Max())]);
                band.FillColor = color.WithAlpha(0.18);
                band.LineWidth = 0;
            }

            var line = plot.Add.Scatter(xs, [.. byIteration.Select(p => p.Values.Average())]);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 4;
            line.LegendText = $"{arm[0].Label} (lr {arm[0].LearningRate.ToString("G3", CultureInfo.InvariantCulture)}, {arm.Select(r => r.Seed).Distinct().Count()} seeds)";
        }

        plot.Title(title, 14);
        plot.XLabel("iteration");
        plot.YLabel(yLabel);
        plot.ShowLegend(value(rows[0]) > 0.5 && yLabel.StartsWith("test", StringComparison.Ordinal) ? Alignment.LowerRight : Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static string MemorySweep(List<ResultRow> rows, string title, string path)
    {
        var plot = new Plot();
        int colorIndex = 0;

        // Exact at B=150 is both the RAD line's f = 1 point and the exact line's largest-memory point.
        List<ResultRow> fullExact = [.. rows.Where(r => r.Estimator == "sweep-rad" && r.KeepFraction >= 1f)];
        foreach ((string key, string legend) in new[] { ("sweep-rad", "RAD per-row sample, batch 150, f ∈ {1, .5, .3, .1, .05}"), ("sweep-exact", "exact backprop at the batch of equal memory") })
        {
            List<ResultRow> line = [.. rows.Where(r => r.Estimator == key)];
            if (key == "sweep-exact")
            {
                line.AddRange(fullExact);
            }

            var points = line.GroupBy(r => r.KeepFraction).Select(g => (
                    F: g.Key, Batch: g.First().BatchSize, X: g.Average(r => (double)r.RetainedBytes) / 1e3,
                    Mean: g.Average(r => r.TestAccuracy), Min: g.Min(r => r.TestAccuracy), Max: g.Max(r => r.TestAccuracy)))
                .OrderBy(p => p.X).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            Color color = new ScottPlot.Palettes.Category10().GetColor(colorIndex++);
            double[] xs = [.. points.Select(p => p.X)];
            if (line.Select(r => r.Seed).Distinct().Count() > 1)
            {
                var band = plot.Add.FillY(xs, [.. points.Select(p => p.Min)], [.. points.Select(p => p.Max)]);
                band.FillColor = color.WithAlpha(0.18);
                band.LineWidth = 0;
            }

            var scatter = plot.Add.Scatter(xs, [.. points.Select(p => p.Mean)]);
            scatter.Color = color;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 7;
            scatter.LegendText = legend;
            foreach (var p in points)
            {
                string text = key == "sweep-rad" ? string.Create(CultureInfo.InvariantCulture, $"f={p.F:0.##}") : $"B={p.Batch}";
                var label = plot.Add.Text(text, p.X, p.Mean);
                label.LabelFontColor = color;
                label.LabelFontSize = 11;
                label.LabelAlignment = key == "sweep-rad" ? Alignment.LowerLeft : Alignment.UpperLeft;
            }
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic();
        plot.Title($"{title}: test accuracy vs retained activation memory ({rows.Max(r => r.Iteration):N0} steps)", 14);
        plot.XLabel("retained activation bytes per step, from the ledger (kB)");
        plot.YLabel("final test accuracy (mean, band = min–max over seeds)");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static IEnumerable<string> OrderedEstimators(List<ResultRow> rows) =>
        rows.Select(r => r.Estimator).Distinct().OrderBy(k => EstimatorArm.AllKeys.ToList() is var order && order.Contains(k) ? order.IndexOf(k) : 99);
}
