using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Inverted dropout: in training, each element is kept with probability 1 − rate and scaled by 1/(1 − rate);
/// in inference it is the identity. The mask is never stored: the backward pass regenerates it from the
/// step seed with the counter-based generator, so dropout retains 0 bytes.
/// </summary>
internal sealed class DropoutLayer : Layer
{
    private const ulong Stream = 0xD1;

    public DropoutLayer(TensorShape shape, float rate)
        : base(shape, shape)
    {
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "Dropout rate must be in [0, 1).");
        }

        Rate = rate;
    }

    /// <summary>Probability of dropping an element.</summary>
    public float Rate { get; }

    public override string Description => $"Dropout({Rate})";

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int n = context.Batch * InputShape.Size;
        if (!context.Training || Rate == 0f)
        {
            input.Slice(0, n).CopyTo(output);
            return;
        }

        DropoutKernel.Apply(context.StepSeed, StreamOf(context.LayerIndex, context.Chunk), Rate, input.Slice(0, n), output.Slice(0, n));
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return; // first layer: nothing below needs the gradient, and it has no parameters
        }

        int n = context.Batch * InputShape.Size;
        if (Rate == 0f)
        {
            outputGradient.Slice(0, n).CopyTo(inputGradient);
            return;
        }

        // Same (seed, stream, counter) as the forward pass: the identical mask, regenerated.
        DropoutKernel.Apply(context.StepSeed, StreamOf(context.LayerIndex, context.Chunk), Rate, outputGradient.Slice(0, n), inputGradient.Slice(0, n));
    }

    /// <summary>The mask's random stream: its own per layer and per chunk of rows.</summary>
    internal static ulong StreamOf(int layer, int chunk) => ((ulong)(ushort)layer << 48) | ((ulong)(ushort)chunk << 32) | Stream;
}
