using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// GELU, tanh form (PyTorch <c>approximate='tanh'</c>): <c>y = ½x(1 + tanh u)</c>, <c>u = c(x + a·x³)</c>,
/// c = √(2/π), a = 0.044715. The tanh form exports to any ONNX opset as elementary operators.
/// Keeps x (fp32): dX = dY·(½(1 + t) + ½x(1 − t²)·c(1 + 3a·x²)), t = tanh u.
/// </summary>
internal sealed class GeluLayer(TensorShape shape) : Layer(shape, shape)
{
    internal const float A = 0.044715f;
    internal static readonly float C = MathF.Sqrt(2f / MathF.PI);

    public override string Description => "GELU(tanh)";

    public override bool KeepsInput => true;

    public override long RetainedBytes(int batch) => 4L * batch * InputShape.Size;

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int n = context.Batch * InputShape.Size;
        ReadOnlySpan<float> x = input.Slice(0, n);
        Span<float> y = output.Slice(0, n);
        Span<float> t = context.Scratch(n);
        TanhOfU(x, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Multiply(t, x, y);
        TensorPrimitives.Multiply(y, 0.5f, y);
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return; // first layer: nothing below needs the gradient, and it has no parameters
        }

        int n = context.Batch * InputShape.Size;
        ReadOnlySpan<float> x = context.KeptInput;
        Span<float> scratch = context.Scratch(2 * n);
        Span<float> t = scratch.Slice(0, n);
        Span<float> s = scratch.Slice(n, n);
        Span<float> dx = inputGradient.Slice(0, n);
        TanhOfU(x, t);

        // s = ½x(1 − t²)·c(1 + 3a·x²)
        TensorPrimitives.Multiply(x, x, s);
        TensorPrimitives.Multiply(s, 3f * A, s);
        TensorPrimitives.Add(s, 1f, s);
        TensorPrimitives.Multiply(s, x, s);
        TensorPrimitives.Multiply(s, 0.5f * C, s);
        TensorPrimitives.Multiply(t, t, dx);
        TensorPrimitives.Subtract(1f, dx, dx);
        TensorPrimitives.Multiply(s, dx, s);

        // dx = dY·(½(1 + t) + s)
        TensorPrimitives.Add(t, 1f, dx);
        TensorPrimitives.Multiply(dx, 0.5f, dx);
        TensorPrimitives.Add(dx, s, dx);
        TensorPrimitives.Multiply(dx, outputGradient.Slice(0, n), dx);
    }

    /// <summary>t = tanh(c(x + a·x³)).</summary>
    private static void TanhOfU(ReadOnlySpan<float> x, Span<float> t)
    {
        TensorPrimitives.Multiply(x, x, t);
        TensorPrimitives.Multiply(t, A, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Multiply(t, x, t);
        TensorPrimitives.Multiply(t, C, t);
        TensorPrimitives.Tanh(t, t);
    }
}
