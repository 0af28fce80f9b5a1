using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>A loss evaluated one example at a time.</summary>
internal abstract class RowLoss : Loss
{
    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public override double EvaluatePart(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int batch, int width, Span<float> gradient, double weightSum)
    {
        double total = 0;
        int targetWidth = TargetWidth(width);
        for (int r = 0; r < batch; r++)
        {
            float w = weights.IsEmpty ? 1f : weights[r];
            float scale = (float)(w / weightSum);
            total += w * EvaluateRow(
                outputs.Slice(r * width, width), targets.Slice(r * targetWidth, targetWidth), scale, gradient.Slice(r * width, width));
        }

        return total;
    }

    /// <summary>
    /// One example: returns its loss and writes <c>scale·∂L/∂output</c>. <paramref name="gradient"/> may alias
    /// <paramref name="output"/>: read what you need of it before writing.
    /// </summary>
    protected abstract double EvaluateRow(ReadOnlySpan<float> output, ReadOnlySpan<float> target, float scale, Span<float> gradient);
}
