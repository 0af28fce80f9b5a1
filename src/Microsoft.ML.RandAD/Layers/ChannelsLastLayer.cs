using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Reorders planar (C, H, W) image features, as ML.NET extracts them, into the engine's channels-last
/// (H, W, C) layout; the backward pass applies the inverse permutation. Inserted automatically for C &gt; 1.
/// </summary>
internal sealed class ChannelsLastLayer(TensorShape image) : Layer(image, image)
{
    public override string Description => $"CHW→HWC {InputShape}";

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int c = InputShape.Channels, plane = InputShape.Height * InputShape.Width, size = InputShape.Size;
        for (int n = 0; n < context.Batch; n++)
        {
            ReadOnlySpan<float> src = input.Slice(n * size, size);
            Span<float> dst = output.Slice(n * size, size);
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < plane; p++)
                {
                    dst[p * c + ch] = src[ch * plane + p];
                }
            }
        }
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        int c = InputShape.Channels, plane = InputShape.Height * InputShape.Width, size = InputShape.Size;
        for (int n = 0; n < context.Batch; n++)
        {
            ReadOnlySpan<float> src = outputGradient.Slice(n * size, size);
            Span<float> dst = inputGradient.Slice(n * size, size);
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < plane; p++)
                {
                    dst[ch * plane + p] = src[p * c + ch];
                }
            }
        }
    }
}
