namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Binary cross-entropy on one logit z with target y ∈ {0, 1} (or a probability):
/// <c>L = max(z, 0) − z·y + log(1 + e^−|z|)</c> (stable for any z). Gradient: <c>σ(z) − y</c>.
/// </summary>
internal sealed class BinaryCrossEntropyLoss : RowLoss
{
    public override string Name => "binary cross-entropy (logits)";

    protected override double EvaluateRow(ReadOnlySpan<float> output, ReadOnlySpan<float> target, float scale, Span<float> gradient)
    {
        double z = output[0];
        double y = target[0];
        double loss = Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));
        double sigmoid = z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
        gradient[0] = (float)(scale * (sigmoid - y));
        return loss;
    }
}
