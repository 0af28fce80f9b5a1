using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Softmax cross-entropy on logits, target = class index: <c>L = logΣexp(z) − z_y</c>, computed as
/// <c>log Σ exp(z − max) + max − z_y</c> so no exponent overflows. Gradient: <c>softmax(z) − onehot(y)</c>.
/// </summary>
internal sealed class SoftmaxCrossEntropyLoss : Loss
{
    public override string Name => "softmax cross-entropy";

    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    protected override double EvaluateRow(ReadOnlySpan<float> output, ReadOnlySpan<float> target, float scale, Span<float> gradient)
    {
        int label = (int)target[0];
        if ((uint)label >= (uint)output.Length || label != target[0])
        {
            throw new ArgumentOutOfRangeException(nameof(target), target[0], $"Class index must be an integer in [0, {output.Length}).");
        }

        float max = TensorPrimitives.Max(output);
        float correct = output[label];
        TensorPrimitives.Subtract(output, max, gradient);
        TensorPrimitives.Exp(gradient, gradient);
        float sum = TensorPrimitives.Sum(gradient);
        TensorPrimitives.Multiply(gradient, scale / sum, gradient);
        gradient[label] -= scale;
        return Math.Log(sum) + max - correct;
    }
}
