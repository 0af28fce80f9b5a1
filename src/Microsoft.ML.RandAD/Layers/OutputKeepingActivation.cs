using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// An element-wise activation whose derivative is a function of its output (Tanh, Sigmoid): the backward pass computes
/// dX = dY·f′(y). It keeps y (fp32), unless the next layer keeps its input exactly: then it reads that copy
/// (<see cref="StepContext.KeptOutput"/>) and keeps nothing.
/// </summary>
internal abstract class OutputKeepingActivation(TensorShape shape) : Layer(shape, shape)
{
    private readonly KeptTable<float> _output = new();

    public override long RetainedBytes(int batch) => OutputKeptByNext ? 0 : 4L * batch * InputShape.Size;

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int n = context.Batch * InputShape.Size;
        Apply(input.Slice(0, n), output.Slice(0, n));
        if (context.Training && !OutputKeptByNext)
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
        Span<float> dx = inputGradient.Slice(0, n);
        ReadOnlySpan<float> y = OutputKeptByNext ? context.KeptOutput.Slice(0, n) : context.Kept(_output[context.Chunk]);
        DerivativeFromOutput(y, dx);
        System.Numerics.Tensors.TensorPrimitives.Multiply(dx, outputGradient.Slice(0, n), dx);
    }

    /// <summary>y = f(x).</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>derivative = f′ expressed through y = f(x).</summary>
    protected abstract void DerivativeFromOutput(ReadOnlySpan<float> y, Span<float> derivative);
}
