namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Huber loss with threshold δ, summed over outputs: <c>½r²</c> for |r| ≤ δ, <c>δ(|r| − ½δ)</c> beyond,
/// r = z − y. Gradient: <c>clamp(r, −δ, δ)</c>. Robust to outlying targets.
/// </summary>
internal sealed class HuberLoss : RowLoss
{
    public HuberLoss(float delta)
    {
        if (!(delta > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber delta must be positive.");
        }

        Delta = delta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public float Delta { get; }

    public override string Name => $"Huber(δ={Delta})";

    public override int TargetWidth(int outputWidth) => outputWidth;

    protected override double EvaluateRow(ReadOnlySpan<float> output, ReadOnlySpan<float> target, float scale, Span<float> gradient)
    {
        double loss = 0;
        for (int j = 0; j < output.Length; j++)
        {
            float r = output[j] - target[j];
            float a = Math.Abs(r);
            loss += a <= Delta ? 0.5 * r * r : Delta * (a - 0.5 * Delta);
            gradient[j] = scale * Math.Clamp(r, -Delta, Delta);
        }

        return loss;
    }
}
