using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// 2-D convolution over channels-last images by im2col + GEMM: <c>Y = cols(X)·Wᵀ + b</c>, W stored
/// filters × (kh·kw·C), so the output is again channels-last. Where <see cref="DirectConvolution.IsPreferred"/> (small
/// patches such as a first layer's 5×5×1; on the 512-bit path, filters in multiples of 16) the forward pass runs as a
/// direct convolution instead, and so does the weight gradient where <see cref="DirectConvolution.PrefersWeightGradient"/>.
/// </summary>
/// <remarks>
/// Gradients: <c>dW = dYᵀ·cols(X̂)</c> from the sketch (exact or RAD; the column matrix is rebuilt in the
/// backward pass, never kept), <c>db = Σ dY</c>, <c>dX = col2im(dY·W)</c> (exact), a chunk of images at a time; for
/// stride 1 where <see cref="DirectConvolution.TakesInputGradient"/>, dX is a direct convolution of dY with the flipped kernel.
/// </remarks>
internal sealed class Conv2DLayer : Layer
{
    private readonly ConvGeometry _geometry;
    private readonly int _filters;
    private readonly Initializer _init;
    private ParameterBlock _weight;
    private ParameterBlock _bias;

    public Conv2DLayer(TensorShape input, Conv2DSpec spec, Initializer init, ImageSketch sketch)
        : base(input, OutputOf(input, spec))
    {
        _geometry = new ConvGeometry(input.Channels, input.Height, input.Width, spec.KernelSize, spec.KernelSize, spec.Stride, spec.Padding);
        _filters = spec.Filters;
        _init = init;
        Sketch = sketch;
    }

    public ImageSketch Sketch { get; set; }

    public ConvGeometry Geometry => _geometry;

    public override string Description =>
        $"Conv2D {_geometry.KernelHeight}×{_geometry.KernelWidth}×{_geometry.Channels}→{_filters} s{_geometry.Stride} p{_geometry.Padding}";

    public override bool KeepsInput => Sketch.KeepsExactInput;

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("weight", [_filters, _geometry.PatchSize], _init, FanIn: _geometry.PatchSize, FanOut: _filters * _geometry.KernelHeight * _geometry.KernelWidth),
        new("bias", [_filters], Initializer.Zeros, Decays: false),
    ];

    public override void Bind(ReadOnlySpan<ParameterBlock> blocks)
    {
        _weight = blocks[0];
        _bias = blocks[1];
    }

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        ConvGeometry g = _geometry;
        int batch = context.Batch;
        if (DirectConvolution.IsPreferred(g, _filters))
        {
            DirectConvolution.Forward(g, input, batch, _weight.Values, _bias.Values, _filters, output);
        }
        else
        {
            ForwardByProducts(context, input, output);
        }

        KeepForBackward(context, input);
    }

    /// <summary>Hands the input to the sketch while training (after or instead of <see cref="Forward"/>).</summary>
    internal void KeepForBackward(StepContext context, ReadOnlySpan<float> input)
    {
        if (context.Training)
        {
            Sketch.Keep(context, input, context.Batch, _geometry);
        }
    }

    /// <summary>
    /// Whether this layer's forward pass can hand its output straight to the max pooling after it
    /// (<see cref="ForwardThroughPooling"/>): a direct forward convolution (<see cref="DirectConvolution.IsPreferred"/>).
    /// </summary>
    internal bool TakesPooledOutput(Pool2DLayer pool) => pool.Kind == PoolKind.Max && DirectConvolution.IsPreferred(_geometry, _filters);

    /// <summary>
    /// This layer's forward pass and the max pooling's after it in one (<see cref="DirectConvolution.ForwardThroughPooling"/>):
    /// the pooled output and the winners (<paramref name="winners"/>, empty when not wanted) with the same bits, without the
    /// full-size output in between. The caller keeps the input for the backward pass (<see cref="KeepForBackward"/>).
    /// </summary>
    /// <remarks>
    /// With <paramref name="relu"/>, the ReLU after the pooling too, on the pooled output in the cache; given
    /// <paramref name="reluMask"/>, that ReLU's mask as well (one that keeps a mask: <see cref="ReluLayer.BeginMask"/>).
    /// </remarks>
    internal void ForwardThroughPooling(StepContext context, ReadOnlySpan<float> input, Pool2DLayer pool, Span<float> pooled, Span<byte> winners, bool relu = false, Span<ulong> reluMask = default) =>
        DirectConvolution.ForwardThroughPooling(_geometry, pool.Geometry, input, context.Batch, _weight.Values, _bias.Values, _filters, pooled, winners, relu, reluMask);

    /// <summary>im2col + GEMM a column chunk of images at a time (chunks spread over the threads), then the bias.</summary>
    private void ForwardByProducts(StepContext context, ReadOnlySpan<float> input, Span<float> output) =>
        ConvolutionProducts.Forward(_geometry, input, context.Batch, _weight.Values, _bias.Values, _filters, output);

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient) =>
        Backward(context, outputGradient, inputGradient, default);

    /// <summary>
    /// Whether this layer's input gradient can come out masked by the output of the plain ReLU before it
    /// (<see cref="BackwardThroughRelu"/>): it runs as a direct convolution (<see cref="DirectConvolution.TakesInputGradient"/>).
    /// </summary>
    internal bool TakesReluMask => DirectConvolution.TakesInputGradient(_geometry, _filters);

    /// <summary>
    /// The backward pass with the input gradient masked by <paramref name="reluOutput"/>, the output of the plain ReLU before
    /// this layer (this layer's kept input): the ReLU's input gradient, so its own backward pass is skipped. The same bits.
    /// </summary>
    internal void BackwardThroughRelu(StepContext context, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> reluOutput, Span<float> inputGradient) =>
        Backward(context, outputGradient, inputGradient, reluOutput.Slice(0, context.Batch * _geometry.ImageSize));

    /// <summary>
    /// Whether this layer's input gradient can come out masked by the bit mask of the plain ReLU before it
    /// (<see cref="BackwardThroughReluMask"/>): as <see cref="TakesReluMask"/>, with input pixels of whole bytes of bits.
    /// </summary>
    internal bool TakesReluBits => TakesReluMask && _geometry.Channels % 8 == 0;

    /// <summary>
    /// The backward pass with the input gradient masked by <paramref name="reluMask"/>, the mask a plain ReLU before this layer
    /// keeps (<see cref="ReluLayer.Mask"/>): the ReLU's input gradient, so its own backward pass is skipped. The same bits.
    /// </summary>
    internal void BackwardThroughReluMask(StepContext context, ReadOnlySpan<float> outputGradient, ReadOnlySpan<ulong> reluMask, Span<float> inputGradient) =>
        Backward(context, outputGradient, inputGradient, default, reluMask);

    private void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, ReadOnlySpan<float> reluOutput, ReadOnlySpan<ulong> reluMask = default)
    {
        ConvGeometry g = _geometry;
        int batch = context.Batch;
        Sketch.ParameterGradients(context, outputGradient, batch, g, _filters, _weight.Gradient, _bias.Gradient, context.Accumulate);
        if (inputGradient.IsEmpty)
        {
            return;
        }

        if (DirectConvolution.TakesInputGradient(g, _filters))
        {
            DirectConvolution.InputGradient(g, outputGradient, batch, _weight.Values, _filters, inputGradient, reluOutput, reluMask);
        }
        else
        {
            if (!reluOutput.IsEmpty || !reluMask.IsEmpty)
            {
                throw new InvalidOperationException("Only the direct input gradient takes the ReLU's mask (TakesReluMask).");
            }

            // dX = col2im(dY·W), a column chunk of images at a time.
            ConvolutionProducts.InputGradient(g, outputGradient, batch, _weight.Values, _filters, inputGradient);
        }
    }

    public override long RetainedBytes(int batch) => Sketch.RetainedBytes(batch, _geometry);

    /// <summary>
    /// Whether this layer's backward pass can read its output gradient through the max pooling after it
    /// (<see cref="BackwardThroughPooling"/>): a direct weight gradient over the kept input or the sketch's x̂
    /// (<see cref="ImageSketch.TakesPooledGradient"/>) under 2×2 pooling that tiles its output
    /// (<see cref="DirectConvolution.TakesPooledGradient"/>), and, <paramref name="withInputGradient"/>, a direct input
    /// gradient (<see cref="DirectConvolution.TakesInputGradient"/>).
    /// </summary>
    internal bool TakesPooledGradient(Pool2DLayer pool, bool withInputGradient = false) =>
        pool.Kind == PoolKind.Max && Sketch.TakesPooledGradient(_geometry, _filters) &&
        DirectConvolution.TakesPooledGradient(_geometry, _filters, pool.Geometry) &&
        (!withInputGradient || DirectConvolution.TakesInputGradient(_geometry, _filters));

    /// <summary>
    /// The backward pass given the pooling's output gradient and winners instead of this layer's own output gradient: the same
    /// weight, bias and (given <paramref name="inputGradient"/>) input gradients, the same bits, without the full-size gradient
    /// in between. Given <paramref name="reluOutput"/> or <paramref name="reluMask"/>, the input gradient comes out masked by it
    /// (<see cref="BackwardThroughRelu"/>, <see cref="BackwardThroughReluMask"/>).
    /// </summary>
    internal void BackwardThroughPooling(
        StepContext context, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<byte> winners, Pool2DLayer pool, Span<float> inputGradient = default,
        ReadOnlySpan<float> reluOutput = default, ReadOnlySpan<ulong> reluMask = default)
    {
        int batch = context.Batch;
        Sketch.ParameterGradientsThroughPooling(
            context, pooledGradient, winners, batch, _geometry, pool.Geometry, _filters, _weight.Gradient, _bias.Gradient, context.Accumulate);
        if (!inputGradient.IsEmpty)
        {
            DirectConvolution.InputGradientThroughPooling(
                _geometry, pool.Geometry, pooledGradient, winners, batch, _weight.Values, _filters, inputGradient,
                reluOutput.IsEmpty ? default : reluOutput.Slice(0, batch * _geometry.ImageSize), reluMask);
        }
    }

    private static TensorShape OutputOf(TensorShape input, Conv2DSpec spec)
    {
        var g = new ConvGeometry(input.Channels, input.Height, input.Width, spec.KernelSize, spec.KernelSize, spec.Stride, spec.Padding);
        return TensorShape.Image(g.OutHeight, g.OutWidth, spec.Filters);
    }
}
