using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// What a product does to each part of C once its sums are complete, while that part is still in the cache of the thread
/// that computed it: a Dense layer's bias and ReLU (forward), or a ReLU's mask read from its output (the input gradient of
/// the Dense layer after it). Each element takes the same operations as the separate passes it replaces
/// (<see cref="RowVector.AddToRows"/>, <c>TensorPrimitives.Max(x, 0)</c>, <see cref="ReluFromOutput.Backward"/>), so the
/// results are the same bits.
/// </summary>
internal readonly unsafe struct GemmEpilogue
{
    private readonly float* _bias;
    private readonly float* _reluOutput;
    private readonly nint _reluOutputStride;
    private readonly bool _relu;

    /// <summary>
    /// <paramref name="bias"/> (N floats, or null) added to every row, then <c>max(·, 0)</c> when <paramref name="relu"/>; then,
    /// where <paramref name="reluOutput"/> is not null (M rows of <paramref name="reluOutputStride"/>), each element kept where
    /// that output is positive and multiplied by 0 elsewhere.
    /// </summary>
    public GemmEpilogue(float* bias, bool relu, float* reluOutput, nint reluOutputStride)
    {
        _bias = bias;
        _relu = relu;
        _reluOutput = reluOutput;
        _reluOutputStride = reluOutputStride;
    }

    /// <summary>Whether there is nothing to do (the plain product).</summary>
    public bool IsEmpty => _bias == null && !_relu && _reluOutput == null;

    /// <summary>Applies the epilogue to rows [<paramref name="row"/>, + <paramref name="rows"/>) and columns [<paramref name="column"/>, + <paramref name="columns"/>) of C.</summary>
    // Called from the products' optimized loops once per block from the first step: compiled optimized at once, not
    // through the tiers (tier 0, then an instrumented tier, then tier 1 recompiled it in the first epoch).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public void Apply(float* c, nint ldc, int row, int rows, int column, int columns)
    {
        for (int i = row; i < row + rows; i++)
        {
            float* cRow = c + (i * ldc) + column;
            var values = new Span<float>(cRow, columns);
            if (_bias != null)
            {
                TensorPrimitives.Add(values, new ReadOnlySpan<float>(_bias + column, columns), values);
            }

            if (_relu)
            {
                TensorPrimitives.Max(values, 0f, values);
            }

            if (_reluOutput != null)
            {
                ReluFromOutput.BackwardRange(_reluOutput + (i * _reluOutputStride) + column, cRow, 0f, cRow, columns, KernelSettings.Path);
            }
        }
    }
}
