using Microsoft.ML.RandAD.Model;

namespace RandAD.Experiments;

/// <summary>Mean softmax cross-entropy and accuracy of a network on a fixed set of rows, scored in slices.</summary>
internal sealed class Evaluator
{
    // Rows per scoring call: bounds the scorer's activation buffers (the ConvNet's widest layer is 25,088 floats a row).
    private const int SliceRows = 250;

    private readonly NetworkScorer _scorer;
    private readonly float[] _logits;

    public Evaluator(Network network)
    {
        _scorer = network.CreateScorer();
        _logits = new float[SliceRows * network.OutputSize];
    }

    public (double Loss, double Accuracy) Evaluate(LabelledRows rows)
    {
        int classes = _scorer.OutputSize, d = _scorer.InputSize;
        double lossSum = 0;
        int correct = 0;
        for (int first = 0; first < rows.Count; first += SliceRows)
        {
            int n = Math.Min(SliceRows, rows.Count - first);
            _scorer.Score(rows.Features.AsSpan(first * d, n * d), n, _logits);
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<float> z = _logits.AsSpan(r * classes, classes);
                int label = (int)rows.Targets[first + r];
                int best = 0;
                float max = z[0];
                for (int c = 1; c < classes; c++)
                {
                    if (z[c] > max)
                    {
                        max = z[c];
                        best = c;
                    }
                }

                double sum = 0;
                for (int c = 0; c < classes; c++)
                {
                    sum += Math.Exp(z[c] - max);
                }

                lossSum += Math.Log(sum) + max - z[label];
                correct += best == label ? 1 : 0;
            }
        }

        return (lossSum / rows.Count, (double)correct / rows.Count);
    }
}
