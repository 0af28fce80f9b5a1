using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>Turns <see cref="RadSettings"/> into a sketch per layer.</summary>
internal static class SketchPlanner
{
    public static SketchReport Apply(Network network, RadSettings settings, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (settings.KeepFraction < 1f || settings.MemoryBudgetBytes is not null || settings.Overrides is { Count: > 0 })
        {
            throw new NotSupportedException("Randomized sketches are being implemented.");
        }

        return new SketchReport(batchSize, 1f, []);
    }
}
