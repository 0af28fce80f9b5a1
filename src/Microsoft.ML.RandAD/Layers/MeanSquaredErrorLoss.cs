namespace Microsoft.ML.RandAD.Layers;

/// <summary>Squared error summed over the outputs of a row: <c>L = Σ_j (z_j − y_j)²</c>. Gradient: <c>2(z − y)</c>.</summary>
internal sealed class MeanSquaredErrorLoss : RowLoss
{
    public override string Name => "mean squared error";

    public override int TargetWidth(int outputWidth) => outputWidth;

    protected override double EvaluateRow(ReadOnlySpan<float> output, ReadOnlySpan<float> target, float scale, Span<float> gradient)
    {
        double loss = 0;
        for (int j = 0; j < output.Length; j++)
        {
            float r = output[j] - target[j];
            loss += (double)r * r;
            gradient[j] = 2f * scale * r;
        }

        return loss;
    }
}
