using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary><c>y = tanh(x)</c>. Keeps y (fp32): dX = dY·(1 − y²).</summary>
internal sealed class TanhLayer(TensorShape shape) : OutputKeepingActivation(shape)
{
    public override string Description => "Tanh";

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    protected override void DerivativeFromOutput(ReadOnlySpan<float> y, Span<float> derivative)
    {
        TensorPrimitives.Multiply(y, y, derivative);
        TensorPrimitives.Subtract(1f, derivative, derivative);
    }
}
