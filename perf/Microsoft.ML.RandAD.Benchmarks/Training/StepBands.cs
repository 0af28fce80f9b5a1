using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>train --step-bands</c>: a source that notes the time and the process's count of compiled methods at every batch it
/// hands out, so an epoch's steps can be told apart by band (the first, 2–10, 11–50, …): how the warm-up spreads over the
/// first epoch, and when the runtime's tiered compilation recompiles what the step calls.
/// </summary>
internal sealed class StepBands(IMinibatchSource inner) : IMinibatchSource
{
    private static readonly int[] BandStarts = [0, 1, 10, 50, 150, 300];
    private readonly List<(long Timestamp, long Methods)> _marks = new(1024);

    public int FeatureSize => inner.FeatureSize;

    public int TargetWidth => inner.TargetWidth;

    public bool HasWeights => inner.HasWeights;

    public void StartEpoch(int epoch)
    {
        _marks.Clear();
        inner.StartEpoch(epoch);
    }

    public int NextBatch(int maxRows)
    {
        // Each mark ends the previous step (the loop asks for the next batch once a step and its optimizer are done).
        _marks.Add((Stopwatch.GetTimestamp(), System.Runtime.JitInfo.GetCompiledMethodCount()));
        return inner.NextBatch(maxRows);
    }

    public void FillTargets(Span<float> targets, Span<float> weights) => inner.FillTargets(targets, weights);

    public void FillFeatures(int firstRow, int rowCount, Span<float> features) => inner.FillFeatures(firstRow, rowCount, features);

    public bool FillsRowsConcurrently => inner.FillsRowsConcurrently;

    /// <summary>One line per band of the epoch just run: steps, mean ms per step, methods compiled meanwhile.</summary>
    public string Describe(int epoch)
    {
        int steps = _marks.Count - 1;
        var parts = new List<string>();
        for (int b = 0; b < BandStarts.Length && BandStarts[b] < steps; b++)
        {
            int first = BandStarts[b], end = b + 1 < BandStarts.Length ? Math.Min(BandStarts[b + 1], steps) : steps;
            double ms = Stopwatch.GetElapsedTime(_marks[first].Timestamp, _marks[end].Timestamp).TotalMilliseconds;
            long methods = _marks[end].Methods - _marks[first].Methods;
            string name = end - first == 1 ? $"step {first + 1}" : $"steps {first + 1}-{end}";
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {ms / (end - first):F2} ms/step ({methods} compiled)"));
        }

        return $"epoch {epoch + 1} bands: {string.Join(", ", parts)}";
    }
}
