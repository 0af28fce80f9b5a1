using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// What a product does to each part of C once its sums are complete, while that part is still in the cache of the thread
/// that computed it: a Dense layer's bias and ReLU (forward), or a ReLU's mask read from its output (the input gradient of
/// the Dense layer after it); for a ReLU that keeps a mask of its own (RAD), the mask packed forward and applied backward.
/// Each element takes the same operations as the separate passes it replaces (<see cref="RowVector.AddToRows"/>,
/// <c>TensorPrimitives.Max(x, 0)</c>, <see cref="ReluFromOutput.Backward"/>, <see cref="BitMask.ReluForward"/>,
/// <see cref="BitMask.Apply"/>), so the results are the same bits.
/// </summary>
internal readonly unsafe struct GemmEpilogue
{
    private readonly float* _bias;
    private readonly float* _reluOutput;
    private readonly nint _reluOutputStride;
    private readonly bool _relu;
    private readonly byte* _packMask;
    private readonly byte* _applyMask;
    private readonly long _maskRowBits;

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

    /// <summary>
    /// The bias (or none, null) added to every row, then where <paramref name="packMask"/> is not null the ReLU of a layer that
    /// keeps a mask (RAD): <c>x &gt; 0 ? x : 0</c> and bit <c>i·maskRowBits + j</c> of the mask set to <c>x &gt; 0</c>, as
    /// <see cref="BitMask.ReluForward"/> does; where <paramref name="applyMask"/> is not null, each element kept where its bit
    /// is set and multiplied by 0 elsewhere, as <see cref="BitMask.Apply"/> with a factor of 0 (the input gradient of the
    /// Dense layer after such a ReLU).
    /// </summary>
    public GemmEpilogue(float* bias, byte* packMask, byte* applyMask, long maskRowBits)
    {
        _bias = bias;
        _packMask = packMask;
        _applyMask = applyMask;
        _maskRowBits = maskRowBits;
    }

    /// <summary>Whether there is nothing to do (the plain product).</summary>
    public bool IsEmpty => _bias == null && !_relu && _reluOutput == null && _packMask == null && _applyMask == null;

    /// <summary>Whether it writes a mask's bits: a block's bytes are its own only if blocks split rows or columns on whole bytes.</summary>
    public bool PacksBits => _packMask != null;

    /// <summary>Applies the epilogue to rows [<paramref name="row"/>, + <paramref name="rows"/>) and columns [<paramref name="column"/>, + <paramref name="columns"/>) of C.</summary>
    // Called from the products' optimized loops once per block from the first step: compiled optimized at once, not
    // through the tiers (tier 0, then an instrumented tier, then tier 1 recompiled it in the first epoch). Each width's loop
    // is a method of its own, so only the running path's is compiled: with all three inlined here this method took
    // 25 ms of the first step to compile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public void Apply(float* c, nint ldc, int row, int rows, int column, int columns)
    {
        KernelPath path = KernelSettings.Path;
        if (_bias != null || _relu)
        {
            // One pass of the kernels' own rather than TensorPrimitives' Add then Max: it has no fused add-then-max,
            // and its generic code runs the first few hundred steps at tier 0 and in an instrumented tier, which
            // a library cannot change; this loop is compiled optimized from its first call (MLP epoch 1: 1.31 → 1.15 s).
            float* first = c + (row * ldc) + column;
            switch (path)
            {
                case KernelPath.Vector512:
                    BiasRelu<Width512, Vector512<uint>, Vector512<float>>(first, ldc, rows, column, columns);
                    break;
                case KernelPath.Vector256:
                    BiasRelu<Width256, Vector256<uint>, Vector256<float>>(first, ldc, rows, column, columns);
                    break;
                case KernelPath.Vector128:
                    BiasRelu<Width128, Vector128<uint>, Vector128<float>>(first, ldc, rows, column, columns);
                    break;
                default:
                    BiasReluScalar(first, ldc, rows, column, columns);
                    break;
            }
        }

        if (_reluOutput != null)
        {
            for (int i = row; i < row + rows; i++)
            {
                float* cRow = c + (i * ldc) + column;
                ReluFromOutput.BackwardRange(_reluOutput + (i * _reluOutputStride) + column, cRow, 0f, cRow, columns, path);
            }
        }

        if (_packMask != null)
        {
            for (int i = row; i < row + rows; i++)
            {
                BitMask.ReluForwardBits(c + (i * ldc) + column, columns, _packMask, (i * _maskRowBits) + column, path);
            }
        }

        if (_applyMask != null)
        {
            for (int i = row; i < row + rows; i++)
            {
                float* cRow = c + (i * ldc) + column;
                BitMask.ApplyBits(_applyMask, (i * _maskRowBits) + column, cRow, cRow, columns, path);
            }
        }
    }

    /// <summary><c>c = max(c + bias, 0)</c> (either part when set) on <paramref name="rows"/> rows of C from <paramref name="c"/>: whole vectors, then one masked vector a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private void BiasRelu<TW, TU, TF>(float* c, nint ldc, int rows, int column, int columns)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        float* bias = _bias == null ? null : _bias + column;
        TF zero = TW.BroadcastSingle(0f);
        for (int i = 0; i < rows; i++, c += ldc)
        {
            int j = 0;
            for (; j <= columns - TW.Count; j += TW.Count)
            {
                TW.StoreSingle(BiasRelu<TW, TU, TF>(TW.LoadSingle(c + j), bias == null ? zero : TW.LoadSingle(bias + j), zero), c + j);
            }

            if (j < columns)
            {
                TF mask = TW.TailMask(columns - j);
                TF b = bias == null ? zero : TW.LoadSingleMasked(bias + j, mask);
                TW.StoreSingleMasked(BiasRelu<TW, TU, TF>(TW.LoadSingleMasked(c + j, mask), b, zero), c + j, mask);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TF BiasRelu<TW, TU, TF>(TF value, TF bias, TF zero)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        // Without a bias, adding 0 changes nothing the ReLU then keeps (−0 + 0 = +0 = max(−0, 0); NaN stays NaN).
        TF sum = TW.AddSingle(value, bias);
        return _relu ? TW.MaxSingle(sum, zero) : sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private void BiasReluScalar(float* c, nint ldc, int rows, int column, int columns)
    {
        for (int i = 0; i < rows; i++, c += ldc)
        {
            for (int j = 0; j < columns; j++)
            {
                float value = _bias == null ? c[j] : c[j] + _bias[column + j];
                c[j] = _relu ? MathF.Max(value, 0f) : value;
            }
        }
    }
}
