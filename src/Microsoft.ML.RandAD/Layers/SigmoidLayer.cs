using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary><c>y = 1/(1 + e^−x)</c>. Keeps y (fp32): dX = dY·y·(1 − y).</summary>
internal sealed class SigmoidLayer(TensorShape shape) : Layer(shape, shape)
{
    private readonly KeptTable<float> _output = new();

    public override string Description => "Sigmoid";

    public override long RetainedBytes(int batch) => 4L * batch * InputShape.Size;

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int n = context.Batch * InputShape.Size;
        TensorPrimitives.Sigmoid(input.Slice(0, n), output.Slice(0, n));
        if (context.Training)
        {
            _output[context.Chunk] = context.Keep<float>(n);
            output.Slice(0, n).CopyTo(context.Kept(_output[context.Chunk]));
        }
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return; // first layer: nothing below needs the gradient, and it has no parameters
        }

        int n = context.Batch * InputShape.Size;
        ReadOnlySpan<float> y = context.Kept(_output[context.Chunk]);
        Span<float> dx = inputGradient.Slice(0, n);
        TensorPrimitives.Subtract(1f, y, dx);
        TensorPrimitives.Multiply(dx, y, dx);
        TensorPrimitives.Multiply(dx, outputGradient.Slice(0, n), dx);
    }
}
