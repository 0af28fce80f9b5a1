using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Recurrent ReLU layer (IRNN): <c>h_t = ReLU(x_t·W_ih + h_{t−1}·W_hh + b)</c>, h₋₁ = 0, W_hh initialized
/// to the identity. Input: T steps of D features per example (step-major); output: the last hidden state.
/// </summary>
/// <remarks>
/// Backprop through time. Per step it keeps a 1-bit ReLU mask and, through its two sketches, what the weight
/// gradients need of x_t and h_{t−1} (one sketch slot per step, so RAD draws a fresh sample every step).
/// The adjoint <c>dh_{t−1} = (dh_t ⊙ mask_t)·W_hhᵀ</c> is exact.
/// </remarks>
internal sealed class RecurrentLayer : Layer
{
    private readonly int _steps;
    private readonly int _inputs;
    private readonly int _hidden;
    private ParameterBlock _inputWeight;
    private ParameterBlock _hiddenWeight;
    private ParameterBlock _bias;
    private readonly KeptTable<ulong> _masks = new();

    public RecurrentLayer(TensorShape input, int hidden, InputSketch inputSketch, InputSketch hiddenSketch)
        : base(input, TensorShape.Vector(hidden))
    {
        _steps = input.Steps;
        _inputs = input.StepSize;
        _hidden = hidden;
        InputSketch = inputSketch;
        HiddenSketch = hiddenSketch;
    }

    /// <summary>How x_t is kept for dW_ih (must not be zero-copy: one slot per step).</summary>
    public InputSketch InputSketch { get; set; }

    /// <summary>How h_{t−1} is kept for dW_hh.</summary>
    public InputSketch HiddenSketch { get; set; }

    public override string Description => $"IRNN {_steps}×{_inputs}→{_hidden}";

    /// <summary>The ReLU masks, then per time step the input's and the hidden state's sketch (a seal and values each).</summary>
    public override int RetainedBlocks => 1 + (4 * _steps);

    public override long RetainedBytes(int batch) =>
        8L * _steps * BitMask.WordCount(batch * _hidden)
        + _steps * InputSketch.RetainedBytes(batch, _inputs)
        + (_steps - 1) * HiddenSketch.RetainedBytes(batch, _hidden);

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("input_weight", [_inputs, _hidden], Initializer.XavierUniform, FanIn: _inputs, FanOut: _hidden),
        new("hidden_weight", [_hidden, _hidden], Initializer.Identity),
        new("bias", [_hidden], Initializer.Zeros, Decays: false),
    ];

    public override void Bind(ReadOnlySpan<ParameterBlock> blocks)
    {
        _inputWeight = blocks[0];
        _hiddenWeight = blocks[1];
        _bias = blocks[2];
    }

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = context.Batch, h = _hidden, stride = _steps * _inputs;
        int words = BitMask.WordCount(batch * h);
        Span<float> scratch = context.Scratch(2 * batch * h);
        Span<float> previous = scratch.Slice(0, batch * h);
        Span<float> current = scratch.Slice(batch * h, batch * h);
        if (context.Training)
        {
            _masks[context.Chunk] = context.Keep<ulong>(_steps * words);
        }

        for (int t = 0; t < _steps; t++)
        {
            ReadOnlySpan<float> xt = input.Slice(t * _inputs);
            Span<float> a = t == _steps - 1 ? output.Slice(0, batch * h) : current;
            Sgemm.Multiply(false, false, batch, h, _inputs, 1f, xt, stride, _inputWeight.Values, h, 0f, a, h);
            if (t > 0)
            {
                Sgemm.Multiply(false, false, batch, h, h, 1f, previous, h, _hiddenWeight.Values, h, 1f, a, h);
            }

            RowVector.AddToRows(a, batch, _bias.Values);
            if (context.Training)
            {
                InputSketch.Keep(context, t, xt, batch, _inputs, stride);
                if (t > 0)
                {
                    HiddenSketch.Keep(context, t, previous, batch, h, h);
                }

                BitMask.ReluForward(a, a, context.Kept(_masks[context.Chunk]).Slice(t * words, words));
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Max(a, 0f, a);
            }

            if (t < _steps - 1)
            {
                a.CopyTo(previous);
            }
        }
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        int batch = context.Batch, h = _hidden, stride = _steps * _inputs;
        int words = BitMask.WordCount(batch * h);
        Span<float> scratch = context.Scratch(2 * batch * h);
        Span<float> dh = scratch.Slice(0, batch * h);
        Span<float> da = scratch.Slice(batch * h, batch * h);
        outputGradient.Slice(0, batch * h).CopyTo(dh);
        if (_steps == 1 && !context.Accumulate)
        {
            _hiddenWeight.Gradient.Clear();
        }

        for (int t = _steps - 1; t >= 0; t--)
        {
            bool first = t == _steps - 1 && !context.Accumulate;
            BitMask.Apply(context.Kept(_masks[context.Chunk]).Slice(t * words, words), dh, 0f, da);
            InputSketch.WeightGradient(context, t, da, batch, _inputs, h, _inputWeight.Gradient, accumulate: !first);
            if (t > 0)
            {
                HiddenSketch.WeightGradient(context, t, da, batch, h, h, _hiddenWeight.Gradient, accumulate: !first);
            }

            RowVector.SumRows(da, batch, _bias.Gradient, accumulate: !first);
            if (!inputGradient.IsEmpty)
            {
                Sgemm.Multiply(false, true, batch, _inputs, h, 1f, da, h, _inputWeight.Values, h, 0f, inputGradient.Slice(t * _inputs), stride);
            }

            if (t > 0)
            {
                Sgemm.Multiply(false, true, batch, h, h, 1f, da, h, _hiddenWeight.Values, h, 0f, dh, h);
            }
        }
    }
}
