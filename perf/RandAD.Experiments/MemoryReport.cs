using System.Globalization;
using System.Text;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;

namespace RandAD.Experiments;

/// <summary>One cell of the memory table: a shape at one keep fraction.</summary>
/// <param name="Shape">The architecture, e.g. <c>ConvNet CIFAR-10 3×32×32</c>.</param>
/// <param name="KeepFraction">f.</param>
/// <param name="ParameterBytes">4·|params|.</param>
/// <param name="PlannedBytes">Retained activation bytes the planner's ledger report predicts at the batch size.</param>
/// <param name="MeasuredBytes">Retained bytes the ledger counted in a real training step (null when not measured).</param>
/// <param name="PaperMegabytes">The paper's Table 1 value (parameters + activations, MB = 10⁶ B), if it has the shape.</param>
internal sealed record MemoryRow(string Shape, float KeepFraction, long ParameterBytes, long PlannedBytes, long? MeasuredBytes, double? PaperMegabytes)
{
    /// <summary>Parameters plus retained activations, in MB (10⁶ B), as the paper's table counts.</summary>
    public double TotalMegabytes => (ParameterBytes + (MeasuredBytes ?? PlannedBytes)) / 1e6;
}

/// <summary>The paper's Table 1 recomputed from the engine's ledger (RAD-METHOD.md §4), at batch 150.</summary>
internal static class MemoryReport
{
    public static readonly float[] Fractions = [1f, 0.8f, 0.5f, 0.3f, 0.1f, 0.05f];

    private static readonly (string Shape, Func<NetworkSpec> Spec, double[]? Paper)[] s_shapes =
    [
        ("FC 784-300-300-300-10", () => ModelZoo.ForImages(ModelZoo.FullyConnected), [2.69, 2.51, 2.21, 2.00, 1.80, 1.75]),
        ("ConvNet CIFAR-10 3×32×32 (paper's)", () => ModelZoo.PaperConvNet(3, 32), [23.08, 19.19, 12.37, 7.82, 3.28, 2.14]),
        ("ConvNet 28×28×1 (ours)", () => ModelZoo.ForImages(ModelZoo.ConvNet), null),
        ("IRNN 784 pixel steps, 100 hidden (paper's)", () => ModelZoo.RowSequentialIrnn(784, 1), [47.93, 39.98, 25.85, 16.43, 7.01, 4.66]),
        ("IRNN 28 row steps, 100 hidden (ours)", () => ModelZoo.ForImages(ModelZoo.Irnn), null),
    ];

    /// <summary>
    /// Every shape at every fraction with the per-layer default estimators (Dense/IRNN per-row, Conv2D shared positions);
    /// with <paramref name="measure"/> also one real training step on random inputs, to read the ledger's count.
    /// </summary>
    public static List<MemoryRow> Build(int batchSize, bool measure, TextWriter log)
    {
        var rows = new List<MemoryRow>();
        foreach ((string shape, Func<NetworkSpec> makeSpec, double[]? paper) in s_shapes)
        {
            NetworkSpec spec = makeSpec();
            for (int i = 0; i < Fractions.Length; i++)
            {
                Network network = Network.Create(spec, seed: 3);
                SketchReport plan = network.ConfigureSketches(new RadSettings { KeepFraction = Fractions[i] }, batchSize);
                long? measured = measure ? MeasureOneStep(network, batchSize) : null;
                rows.Add(new MemoryRow(shape, Fractions[i], network.Ledger.ParameterBytes, plan.RetainedBytes, measured, paper?[i]));
            }

            log.WriteLine($"memory: {shape}: " + string.Join(", ", rows.TakeLast(Fractions.Length).Select(r => $"f={r.KeepFraction} {r.TotalMegabytes:F2} MB")));
        }

        return rows;
    }

    private static long MeasureOneStep(Network network, int batchSize)
    {
        var random = new Random(5);
        Span<float> features = network.BeginStep(batchSize);
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = random.NextSingle();
        }

        float[] targets = new float[batchSize];
        for (int i = 0; i < batchSize; i++)
        {
            targets[i] = i % network.OutputSize;
        }

        network.ForwardBackward(targets);
        return network.Ledger.RetainedBytes;
    }

    public static void Write(IReadOnlyList<MemoryRow> rows, string folder)
    {
        var csv = new StringBuilder("shape,keep_fraction,parameter_bytes,planned_activation_bytes,measured_activation_bytes,total_mb,paper_mb\n");
        foreach (MemoryRow r in rows)
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"\"{r.Shape}\",{r.KeepFraction},{r.ParameterBytes},{r.PlannedBytes},{r.MeasuredBytes},{r.TotalMegabytes:F3},{r.PaperMegabytes}"));
        }

        File.WriteAllText(Path.Combine(folder, "memory.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(folder, "memory.md"), ToMarkdown(rows));
    }

    /// <summary>One line per shape: ours (params + retained activations, MB), and the paper's value beside it.</summary>
    public static string ToMarkdown(IReadOnlyList<MemoryRow> rows)
    {
        var text = new StringBuilder("| shape (batch 150, MB = 10⁶ B, params + retained activations) | "
            + string.Join(" | ", Fractions.Select(f => string.Create(CultureInfo.InvariantCulture, $"f = {f}"))) + " |\n");
        text.Append("| --- |" + string.Concat(Enumerable.Repeat(" ---: |", Fractions.Length)) + "\n");
        foreach (IGrouping<string, MemoryRow> shape in rows.GroupBy(r => r.Shape))
        {
            text.Append(CultureInfo.InvariantCulture, $"| {shape.Key}, ours |");
            text.Append(string.Concat(shape.Select(r => string.Create(CultureInfo.InvariantCulture, $" {r.TotalMegabytes:F2} |")))).Append('\n');
            if (shape.First().PaperMegabytes is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {shape.Key}, paper Table 1 |");
                text.Append(string.Concat(shape.Select(r => string.Create(CultureInfo.InvariantCulture, $" {r.PaperMegabytes:F2} |")))).Append('\n');
            }
        }

        bool measured = rows.All(r => r.MeasuredBytes is not null);
        bool agree = rows.All(r => r.MeasuredBytes is null || r.MeasuredBytes == r.PlannedBytes);
        text.Append(measured
            ? agree ? "\nActivation bytes measured by the ledger in a real step; they equal the planner's prediction in every cell.\n"
                    : "\nActivation bytes measured by the ledger in a real step; some differ from the planner's prediction (see memory.csv).\n"
            : "\nActivation bytes from the planner's ledger report (not measured in a step in this plan).\n");
        return text.ToString();
    }
}
