using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// <c>y = max(x, 0)</c> and, with a slope, the leaky variant <c>y = x &gt; 0 ? x : slope·x</c>.
/// Keeps only the sign of x: 1 bit per element.
/// </summary>
/// <remarks>dX = dY where x &gt; 0, slope·dY elsewhere (the derivative at 0 is taken as the slope, like PyTorch).</remarks>
internal sealed class ReluLayer(TensorShape shape, float negativeSlope = 0f) : Layer(shape, shape)
{
    private readonly KeptTable<ulong> _mask = new();

    /// <summary>0 for ReLU; the LeakyReLU slope otherwise.</summary>
    public float NegativeSlope { get; } = negativeSlope;

    public override string Description => NegativeSlope == 0 ? "ReLU" : $"LeakyReLU({NegativeSlope})";

    public override long RetainedBytes(int batch) => ReadsOutput ? 0 : 8L * BitMask.WordCount(batch * InputShape.Size);

    /// <summary>
    /// The backward pass reads the sign of the output the next layer keeps instead of a mask of its own (for a
    /// non-negative slope, y &gt; 0 exactly where x &gt; 0), so in exact backprop a ReLU keeps nothing.
    /// </summary>
    internal bool ReadsOutput => OutputKeptByNext && NegativeSlope >= 0;

    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int n = context.Batch * InputShape.Size;
        input = input.Slice(0, n);
        output = output.Slice(0, n);
        if (!context.Training || ReadsOutput)
        {
            if (NegativeSlope == 0)
            {
                ReluFromOutput.Forward(input, output);
            }
            else
            {
                LeakyForward(input, output);
            }

            return;
        }

        Span<ulong> mask = BeginMask(context);
        if (NegativeSlope == 0)
        {
            BitMask.ReluForward(input, output, mask);
        }
        else
        {
            BitMask.PackGreaterThanZero(input, mask);
            LeakyForward(input, output);
        }
    }

    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return; // first layer: nothing below needs the gradient, and it has no parameters
        }

        int n = context.Batch * InputShape.Size;
        if (ReadsOutput)
        {
            ReluFromOutput.Backward(context.KeptOutput.Slice(0, n), outputGradient.Slice(0, n), NegativeSlope, inputGradient.Slice(0, n));
            return;
        }

        BitMask.Apply(Mask(context), outputGradient.Slice(0, n), NegativeSlope, inputGradient.Slice(0, n));
    }

    /// <summary>
    /// The current chunk's mask, kept (and charged to this layer): for this layer's forward pass, or for a fused pass to write
    /// in its stead (<see cref="Conv2DLayer.ForwardThroughPooling"/>, a plain ReLU that keeps a mask, in training).
    /// </summary>
    internal Span<ulong> BeginMask(StepContext context)
    {
        _mask[context.Chunk] = context.Keep<ulong>(BitMask.WordCount(context.Batch * InputShape.Size));
        return context.Kept(_mask[context.Chunk]);
    }

    /// <summary>The current chunk's mask: for this layer's backward pass, or a layer's that applies it in its stead (<see cref="Conv2DLayer.BackwardThroughReluMask"/>).</summary>
    internal ReadOnlySpan<ulong> Mask(StepContext context) => context.Kept(_mask[context.Chunk]);

    private void LeakyForward(ReadOnlySpan<float> input, Span<float> output)
    {
        // max(x, slope·x) equals the leaky ReLU for 0 < slope < 1; min for slope > 1.
        TensorPrimitives.Multiply(input, NegativeSlope, output);
        if (NegativeSlope <= 1f)
        {
            TensorPrimitives.Max(input, output, output);
        }
        else
        {
            TensorPrimitives.Min(input, output, output);
        }
    }
}
