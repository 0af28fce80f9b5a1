using Microsoft.ML.RandAD.Layers;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// How a linear map keeps its input <c>x</c> (rows × columns) for its weight gradient <c>dW = x̂ᵀ·dY</c>.
/// The layer never knows which estimator it has: it hands <c>x</c> over in the forward pass and asks for
/// the weight gradient in the backward pass. Exact keeps <c>x</c>; RAD estimators keep an unbiased sketch.
/// </summary>
/// <remarks>
/// A layer that applies its weights several times per step (a recurrent layer, once per time step) uses one
/// <em>slot</em> per application; each slot gets its own sample. One instance belongs to one layer.
/// </remarks>
internal abstract class InputSketch
{
    /// <summary>
    /// Whether the sketch reads the exact input that the network keeps for the layer (zero-copy, charged to
    /// the layer). Only for layers with a single slot whose input is the layer input.
    /// </summary>
    public abstract bool KeepsExactInput { get; }

    /// <summary>Short name for reports, e.g. <c>exact</c> or <c>per-row f=0.10</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Forward pass: records what the backward pass needs of <paramref name="input"/> (rows × columns, rows <paramref name="rowStride"/> apart).</summary>
    public abstract void Keep(StepContext context, int slot, ReadOnlySpan<float> input, int rows, int columns, int rowStride);

    /// <summary>Bytes one slot keeps for an input of rows × columns (equal to what the ledger will count).</summary>
    public abstract long RetainedBytes(int rows, int columns);

    /// <summary>
    /// Backward pass: writes <c>dW = x̂ᵀ·dY</c> into <paramref name="weightGradient"/> (columns × outputs),
    /// with <paramref name="outputGradient"/> rows × outputs; adds instead when <paramref name="accumulate"/> is set.
    /// </summary>
    public abstract void WeightGradient(StepContext context, int slot, ReadOnlySpan<float> outputGradient, int rows, int columns, int outputs, Span<float> weightGradient, bool accumulate);
}
