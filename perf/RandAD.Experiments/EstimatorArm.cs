using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;

namespace RandAD.Experiments;

/// <summary>One line of the paper's comparison: how the backward pass keeps activations, at which batch size.</summary>
/// <param name="Key">Short id used in the CSV (e.g. <c>rad-per-row</c>).</param>
/// <param name="Label">Legend text.</param>
/// <param name="Settings">The RAD settings handed to <see cref="Network.ConfigureSketches"/>.</param>
/// <param name="BatchSize">Examples per step.</param>
internal sealed record EstimatorArm(string Key, string Label, RadSettings Settings, int BatchSize)
{
    public const string ExactFull = "exact-full";
    public const string ExactReduced = "exact-reduced";
    public const string RadPerRow = "rad-per-row";
    public const string RadShared = "rad-shared";
    public const string RadProjection = "rad-projection";
    public const string RadMagnitude = "rad-magnitude";

    /// <summary>Keys in the order the paper's figures list them.</summary>
    public static IReadOnlyList<string> AllKeys { get; } = [ExactFull, ExactReduced, RadPerRow, RadShared, RadProjection, RadMagnitude];

    /// <summary>
    /// The arms for <paramref name="model"/> at the paper's batch and keep fraction. The reduced batch is the largest
    /// exact batch whose retained activation bytes (from the planner's ledger report) do not exceed RAD per-row's.
    /// Random projection exists only for Dense and recurrent layers, so the ConvNet runs without it. Magnitude sampling (this
    /// project's estimator, docs/rad.md) runs on every model.
    /// </summary>
    public static IReadOnlyList<EstimatorArm> ForModel(string model, int batchSize, float keepFraction, IEnumerable<string>? keys = null)
    {
        NetworkSpec spec = ModelZoo.ForImages(model);
        RadSettings RadWith(RadEstimator estimator) => new() { Estimator = estimator, KeepFraction = keepFraction };
        long radBytes = RetainedBytes(spec, RadWith(RadEstimator.SampledPerRow), batchSize);
        int reduced = ReducedExactBatch(spec, radBytes, batchSize);
        string f = keepFraction.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
        bool conv = model == ModelZoo.ConvNet;
        var arms = new List<EstimatorArm>
        {
            new(ExactFull, $"exact B={batchSize}", RadSettings.Exact, batchSize),
            new(ExactReduced, $"exact B={reduced} (same memory)", RadSettings.Exact, reduced),
            new(RadPerRow, conv ? $"RAD f={f} per-plane positions" : $"RAD f={f} per-row sample", RadWith(RadEstimator.SampledPerRow), batchSize),
            new(RadShared, conv ? $"RAD f={f} shared positions" : $"RAD f={f} shared sample", RadWith(RadEstimator.SampledShared), batchSize),
        };
        if (!conv)
        {
            arms.Add(new(RadProjection, $"RAD f={f} Rademacher projection", RadWith(RadEstimator.RademacherProjection), batchSize));
        }

        // Ours, not the paper's: magnitude sampling keeps at most RAD per-row's bytes, so the reduced batch stays a fair match.
        arms.Add(new(RadMagnitude, $"RAD f={f} by magnitude", RadWith(RadEstimator.SampledByMagnitude), batchSize));

        HashSet<string>? wanted = keys?.ToHashSet();
        return [.. arms.Where(a => wanted is null || wanted.Contains(a.Key))];
    }

    /// <summary>Activation bytes a fresh network of <paramref name="spec"/> retains per step under <paramref name="settings"/>.</summary>
    public static long RetainedBytes(NetworkSpec spec, RadSettings settings, int batchSize) =>
        Network.Create(spec, seed: 1).ConfigureSketches(settings, batchSize).RetainedBytes;

    /// <summary>The largest exact batch (at most <paramref name="upperBatch"/>) retaining at most <paramref name="budgetBytes"/>.</summary>
    public static int ReducedExactBatch(NetworkSpec spec, long budgetBytes, int upperBatch)
    {
        Network network = Network.Create(spec, seed: 1);
        int best = 1;
        for (int batch = 1; batch <= upperBatch; batch++)
        {
            if (network.ConfigureSketches(RadSettings.Exact, batch).RetainedBytes <= budgetBytes)
            {
                best = batch;
            }
        }

        return best;
    }
}
