using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Fully connected layer <c>y = x·W + b</c>, W stored inputs × outputs (row-major, the ONNX MatMul layout).
/// </summary>
/// <remarks>
/// Gradients: <c>dW = x̂ᵀ·dY</c> (from the sketch: exact or RAD), <c>db = Σ_rows dY</c> (exact),
/// <c>dX = dY·Wᵀ</c> (exact, so the signal passed to earlier layers is unchanged by RAD).
/// </remarks>
internal sealed class DenseLayer : Layer
{
    private readonly int _inputs;
    private readonly int _outputs;
    private readonly Initializer _init;
    private ParameterBlock _weight;
    private ParameterBlock _bias;

    public DenseLayer(TensorShape input, int units, Initializer init, InputSketch sketch)
        : base(input, TensorShape.Vector(units))
    {
        _inputs = input.Size;
        _outputs = units;
        _init = init;
        Sketch = sketch;
    }

    /// <summary>How the input is kept for the weight gradient.</summary>
    public InputSketch Sketch { get; set; }

    public override string Description => $"Dense {_inputs}→{_outputs}";

    public override bool KeepsInput => Sketch.KeepsExactInput;

    public override long RetainedBytes(int batch) => Sketch.RetainedBytes(batch, _inputs);

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("weight", [_inputs, _outputs], _init, FanIn: _inputs, FanOut: _outputs),
        new("bias", [_outputs], Initializer.Zeros, Decays: false),
    ];

    public override void Bind(ReadOnlySpan<ParameterBlock> blocks)
    {
        _weight = blocks[0];
        _bias = blocks[1];
    }

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output) =>
        Forward(context, input, output, relu: false, mask: default);

    /// <summary>
    /// The layer and a ReLU after it (slope 0) in one pass: the product adds the bias and takes <c>max(·, 0)</c> on each part of
    /// the output as its sums complete, so the pre-activation is never written out and read back. The same bits as the two
    /// layers' passes. For a ReLU that keeps no mask of its own (see <see cref="Model.Network.ActivatesInProduct"/>).
    /// </summary>
    public void ForwardThroughRelu(StepContext context, ReadOnlySpan<float> input, Span<float> output) =>
        Forward(context, input, output, relu: true, mask: default);

    /// <summary>
    /// The layer and a ReLU after it (slope 0) that keeps a mask of its own (RAD: the next layer keeps a sketch) in one pass: the
    /// product adds the bias, applies the ReLU and packs its mask into <paramref name="mask"/> on each part of the output as its
    /// sums complete (<see cref="ReluLayer.BeginMask"/>). The same output and mask as the two layers' passes.
    /// </summary>
    public void ForwardThroughReluMask(StepContext context, ReadOnlySpan<float> input, Span<float> output, Span<ulong> mask) =>
        Forward(context, input, output, relu: false, mask);

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient) =>
        Backward(context, outputGradient, inputGradient, reluOutput: default, reluMask: default);

    /// <summary>
    /// The layer's backward pass and that of the ReLU (slope 0) before it in one, the ReLU keeping a mask of its own
    /// (<see cref="ReluLayer.Mask"/>): the input gradient comes out masked by it as its parts complete. The same bits as the two
    /// layers' passes.
    /// </summary>
    public void BackwardThroughReluMask(StepContext context, ReadOnlySpan<float> outputGradient, ReadOnlySpan<ulong> mask, Span<float> inputGradient) =>
        Backward(context, outputGradient, inputGradient, reluOutput: default, mask);

    /// <summary>
    /// The layer's backward pass and that of the ReLU (slope 0) before it in one: the input gradient is masked by the ReLU's
    /// output (this layer's exact input, <paramref name="reluOutput"/>) as its parts complete, which makes it the ReLU's input
    /// gradient. The same bits as the two layers' passes.
    /// </summary>
    public void BackwardThroughRelu(StepContext context, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> reluOutput, Span<float> inputGradient) =>
        Backward(context, outputGradient, inputGradient, reluOutput.Slice(0, context.Batch * _inputs), reluMask: default);

    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, bool relu, Span<ulong> mask)
    {
        // The bias goes in as each block of the output completes: the same c + b as a pass of its own, on both threads.
        int batch = context.Batch;
        if (mask.IsEmpty)
        {
            Sgemm.Multiply(false, false, batch, _outputs, _inputs, 1f, input, _inputs, _weight.Values, _outputs, 0f, output, _outputs, _bias.Values, relu, default);
        }
        else
        {
            Sgemm.Multiply(false, false, batch, _outputs, _inputs, 1f, input, _inputs, _weight.Values, _outputs, 0f, output, _outputs, _bias.Values, mask, default);
        }

        if (context.Training)
        {
            Sketch.Keep(context, 0, input, batch, _inputs, _inputs);
        }
    }

    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, ReadOnlySpan<float> reluOutput, ReadOnlySpan<ulong> reluMask)
    {
        int batch = context.Batch;
        Sketch.WeightGradient(context, 0, outputGradient, batch, _inputs, _outputs, _weight.Gradient, context.Accumulate);
        RowVector.SumRows(outputGradient.Slice(0, batch * _outputs), batch, _bias.Gradient, context.Accumulate);

        if (!inputGradient.IsEmpty && !reluMask.IsEmpty)
        {
            Sgemm.Multiply(false, true, batch, _inputs, _outputs, 1f, outputGradient, _outputs, _weight.Values, _outputs, 0f, inputGradient, _inputs, default, default, reluMask);
        }
        else if (!inputGradient.IsEmpty)
        {
            Sgemm.Multiply(false, true, batch, _inputs, _outputs, 1f, outputGradient, _outputs, _weight.Values, _outputs, 0f, inputGradient, _inputs, default, relu: false, reluOutput);
        }
    }
}
