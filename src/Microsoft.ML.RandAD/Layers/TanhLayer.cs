using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary><c>y = tanh(x)</c>. Keeps y (fp32): dX = dY·(1 − y²).</summary>
internal sealed class TanhLayer(TensorShape shape) : Layer(shape, shape)
{
    private RetainedBlock<float> _output;

    public override string Description => "Tanh";

    public override long RetainedBytes(int batch) => 4L * batch * InputShape.Size;

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int n = context.Batch * InputShape.Size;
        TensorPrimitives.Tanh(input.Slice(0, n), output.Slice(0, n));
        if (context.Training)
        {
            _output = context.Keep<float>(n);
            output.Slice(0, n).CopyTo(context.Kept(_output));
        }
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        int n = context.Batch * InputShape.Size;
        ReadOnlySpan<float> y = context.Kept(_output);
        Span<float> dx = inputGradient.Slice(0, n);
        TensorPrimitives.Multiply(y, y, dx);
        TensorPrimitives.Subtract(1f, dx, dx);
        TensorPrimitives.Multiply(dx, outputGradient.Slice(0, n), dx);
    }
}
