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
            written.Add(Curves(pair.ToList(), r => r.TrainLoss, logScale: true, $"{title}: training loss ({BandNote})",
                $"cross-entropy on the fixed training subset (log scale)", Path.Combine(folder, $"{pair.Key.Dataset}-{pair.Key.Model}-loss.png")));
            written.Add(Curves(pair.ToList(), r => r.TestAccuracy, logScale: false, $"{title}: test accuracy ({BandNote})",
                $"accuracy on {pair.First().TestRows:N0} test images", Path.Combine(folder, $"{pair.Key.Dataset}-{pair.Key.Model}-accuracy.png")));
        }

        foreach (IGrouping<(string Dataset, string Model), ResultRow> sweep in rows.Where(r => r.Kind == ResultRow.Sweep).GroupBy(r => (r.Dataset, r.Model)))
        {
            written.Add(MemorySweep(sweep.ToList(), $"{DatasetTitle(sweep.Key.Dataset)}, {ModelZoo.Title(sweep.Key.Model)}",
                Path.Combine(folder, $"{sweep.Key.Dataset}-{sweep.Key.Model}-memory-sweep.png")));
        }

        return written;
    }

    /// <summary>The PDE runs: loss against Adam iteration, a line per kept fraction (mean over seeds, band = min–max), log scale.</summary>
    public static string PdeLoss(IReadOnlyList<Pde.PdeRow> rows, string path)
    {
        var plot = new Plot();
        int colorIndex = 0;
        foreach (IGrouping<string, Pde.PdeRow> arm in Pde.PdeExperiment.ByStore(rows))
        {
            var byIteration = arm.GroupBy(r => r.Iteration).OrderBy(g => g.Key).ToArray();
            double[] xs = [.. byIteration.Select(g => (double)g.Key)];
            Color color = new ScottPlot.Palettes.Category10().GetColor(colorIndex++);
            int seeds = arm.Select(r => r.Seed).Distinct().Count();
            if (seeds > 1)
            {
                var band = plot.Add.FillY(xs, [.. byIteration.Select(g => Math.Log10(g.Min(r => r.Loss)))], [.. byIteration.Select(g => Math.Log10(g.Max(r => r.Loss)))]);
                band.FillColor = color.WithAlpha(0.15);
                band.LineWidth = 0;
            }

            var line = plot.Add.Scatter(xs, [.. byIteration.Select(g => Math.Log10(g.Average(r => r.Loss)))]);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = $"{arm.First().Store} ({arm.First().KeptBytes / 1e6:G3} MB kept, {seeds} seed{(seeds > 1 ? "s" : "")})";
        }

        UseLogTicks(plot.Axes.Left, rows.Select(r => r.Loss));
        plot.Title($"Reaction-diffusion control: loss against Adam iteration ({BandNote})", 14);
        plot.XLabel("Adam iteration");
        plot.YLabel("time-averaged squared error to the target (log scale)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private const string BandNote = "mean over seeds, band = min–max";

    private static string DatasetTitle(string name) => name == ExperimentData.Fashion ? "Fashion-MNIST" : name == ExperimentData.Mnist ? "MNIST subset" : name;

    /// <summary>
    /// ScottPlot 5 has no log axis: plot log10 of the values and put ticks at 1-2-5 values labelled in plain numbers. Used
    /// for the loss (its early drop would flatten the late differences between estimators) and the sweep's bytes (a 20× range).
    /// </summary>
    private static void UseLogTicks(IAxis axis, IEnumerable<double> rawValues)
    {
        double[] finite = [.. rawValues.Where(v => double.IsFinite(v) && v > 0)];
        if (finite.Length == 0)
        {
            return;
        }

        var ticks = new ScottPlot.TickGenerators.NumericManual();
        double min = finite.Min(), max = finite.Max();
        for (int decade = (int)Math.Floor(Math.Log10(min)) - 1; decade <= (int)Math.Ceiling(Math.Log10(max)); decade++)
        {
            foreach (double mantissa in new[] { 1.0, 1.5, 2.0, 3.0, 5.0, 7.0 })
            {
                double tick = mantissa * Math.Pow(10, decade);
                if (tick >= min / 1.25 && tick <= max * 1.25)
                {
                    // Below 0.01 a plain label would round 1.5e-3 and 2e-3 alike.
                    string label = tick >= 0.01 ? tick.ToString("#,##0.###", CultureInfo.InvariantCulture) : tick.ToString("0.#e+0", CultureInfo.InvariantCulture);
                    ticks.AddMajor(Math.Log10(tick), label);
                }
            }
        }

        axis.TickGenerator = ticks;
    }

    private static string Curves(List<ResultRow> rows, Func<ResultRow, double> rawValue, bool logScale, string title, string yLabel, string path)
    {
        Func<ResultRow, double> value = logScale ? r => Math.Log10(rawValue(r)) : rawValue;
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

        if (logScale)
        {
            UseLogTicks(plot.Axes.Left, rows.Select(rawValue));
        }
        else if (rows.Any(r => r.Iteration > 0))
        {
            // Scale to the trained checkpoints: the untrained 10% at iteration 0 would squash the differences that matter.
            double[] trained = [.. rows.Where(r => r.Iteration > 0).Select(value).Where(double.IsFinite)];
            double low = trained.Min(), high = trained.Max(), margin = Math.Max(0.005, 0.05 * (high - low));
            plot.Axes.SetLimitsY(low - margin, high + margin);
        }

        plot.Title(title, 14);
        plot.XLabel("iteration");
        plot.YLabel(yLabel);
        plot.ShowLegend(logScale ? Alignment.UpperRight : Alignment.LowerRight);
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
                    F: g.Key, Batch: g.First().BatchSize, X: Math.Log10(g.Average(r => (double)r.RetainedBytes) / 1e3),
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

        UseLogTicks(plot.Axes.Bottom, rows.Select(r => r.RetainedBytes / 1e3));
        plot.Title($"{title}: test accuracy vs retained activation memory ({rows.Max(r => r.Iteration):N0} steps)", 14);
        plot.XLabel("retained activation bytes per step, from the ledger (kB, log scale)");
        plot.YLabel("final test accuracy (mean, band = min–max over seeds)");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static IEnumerable<string> OrderedEstimators(List<ResultRow> rows) =>
        rows.Select(r => r.Estimator).Distinct().OrderBy(k => EstimatorArm.AllKeys.ToList() is var order && order.Contains(k) ? order.IndexOf(k) : 99);
}
