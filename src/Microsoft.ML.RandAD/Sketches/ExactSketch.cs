using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// Plain backpropagation: <c>dW = xᵀ·dY</c> with the exact input. For a single-slot layer the network keeps the
/// input without a copy (<see cref="KeepsExactInput"/>); a multi-slot layer gets a copy per slot.
/// </summary>
internal sealed class ExactSketch(bool zeroCopy = true) : InputSketch
{
    private readonly KeptTable<float> _slots = new();

    /// <inheritdoc/>
    public override bool KeepsExactInput => zeroCopy;

    /// <inheritdoc/>
    public override string Description => "exact";

    /// <inheritdoc/>
    public override long RetainedBytes(int rows, int columns) => 4L * rows * columns;

    /// <inheritdoc/>
    public override void Keep(StepContext context, int slot, ReadOnlySpan<float> input, int rows, int columns, int rowStride)
    {
        if (zeroCopy)
        {
            return; // the network already wrote the input onto the retained stack for this layer
        }

        _slots[context.Chunk, slot] = context.Keep<float>(rows * columns);
        Span<float> kept = context.Kept(_slots[context.Chunk, slot]);
        for (int r = 0; r < rows; r++)
        {
            input.Slice(r * rowStride, columns).CopyTo(kept.Slice(r * columns, columns));
        }
    }

    /// <inheritdoc/>
    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public override void WeightGradient(StepContext context, int slot, ReadOnlySpan<float> outputGradient, int rows, int columns, int outputs, Span<float> weightGradient, bool accumulate)
    {
        ReadOnlySpan<float> input = zeroCopy ? context.KeptInput : context.Kept(_slots[context.Chunk, slot]);
        Sgemm.Multiply(
            transposeA: true, transposeB: false, columns, outputs, rows, 1f,
            input, columns, outputGradient, outputs, accumulate ? 1f : 0f, weightGradient, outputs);
    }
}
