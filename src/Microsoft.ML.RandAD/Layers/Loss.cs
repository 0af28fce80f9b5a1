using System.Runtime.CompilerServices;
namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// A training objective over a batch: the example-weighted mean <c>Σ wᵢ·Lᵢ / Σ wᵢ</c> of per-example losses,
/// and its gradient with respect to the network's outputs.
/// </summary>
internal abstract class Loss
{
    /// <summary>Name for reports.</summary>
    public abstract string Name { get; }

    /// <summary>Target values per example: 1 (a class index, a 0/1 label, a scalar) or the output width.</summary>
    public virtual int TargetWidth(int outputWidth) => 1;

    /// <summary>
    /// Computes the weighted mean loss and writes its gradient. <paramref name="gradient"/> may alias
    /// <paramref name="outputs"/>. Empty <paramref name="weights"/> means every weight is 1.
    /// </summary>
    /// <param name="outputs">batch × width network outputs (logits or predictions).</param>
    /// <param name="targets">batch × <see cref="TargetWidth"/> targets.</param>
    /// <param name="weights">batch example weights, or empty.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="width">Outputs per row.</param>
    /// <param name="gradient">batch × width, overwritten with ∂loss/∂outputs.</param>
    /// <returns>The weighted mean loss.</returns>
    public double Evaluate(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int batch, int width, Span<float> gradient) =>
        EvaluatePart(outputs, targets, weights, batch, width, gradient, WeightSum(weights, batch)) / WeightSum(weights, batch);

    /// <summary>The total weight of a batch (its row count when unweighted); throws when not positive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static double WeightSum(ReadOnlySpan<float> weights, int batch)
    {
        double weightSum = weights.IsEmpty ? batch : 0;
        for (int r = 0; r < weights.Length && r < batch; r++)
        {
            weightSum += weights[r];
        }

        if (!(weightSum > 0))
        {
            throw new InvalidOperationException("The example weights of a batch sum to zero or less; every batch needs positive total weight.");
        }

        return weightSum;
    }

    /// <summary>
    /// One chunk of a batch whose total weight is <paramref name="weightSum"/>: returns Σ wᵢ·Lᵢ over the chunk's rows
    /// and writes the gradient of the batch's weighted mean with respect to them.
    /// </summary>
    public abstract double EvaluatePart(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int batch, int width, Span<float> gradient, double weightSum);
}
