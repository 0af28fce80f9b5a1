using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary><c>y = 1/(1 + e^−x)</c>. Keeps y (fp32): dX = dY·y·(1 − y).</summary>
internal sealed class SigmoidLayer(TensorShape shape) : OutputKeepingActivation(shape)
{
    public override string Description => "Sigmoid";

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    protected override void DerivativeFromOutput(ReadOnlySpan<float> y, Span<float> derivative)
    {
        TensorPrimitives.Subtract(1f, y, derivative);
        TensorPrimitives.Multiply(derivative, y, derivative);
    }
}
