using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Reinterprets an image or sequence as a vector (channels-last order: h, w, c): a view, which the network does not run
/// (<see cref="Layer.IsView"/>); its passes copy the data unchanged. The ONNX exporter accounts for the order difference
/// with ONNX's channels-first Flatten.
/// </summary>
internal sealed class FlattenLayer(TensorShape input) : Layer(input, TensorShape.Vector(input.Size))
{
    public override string Description => $"Flatten {InputShape}→{OutputShape}";

    public override bool IsView => true;

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int n = context.Batch * InputShape.Size;
        input.Slice(0, n).CopyTo(output);
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return; // first layer: nothing below needs the gradient, and it has no parameters
        }

        int n = context.Batch * InputShape.Size;
        outputGradient.Slice(0, n).CopyTo(inputGradient);
    }
}
