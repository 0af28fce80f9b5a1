using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Softmax cross-entropy on logits, target = class index: <c>L = logΣexp(z) − z_y</c>, computed as
/// <c>log Σ exp(z − max) + max − z_y</c> so no exponent overflows. Gradient: <c>softmax(z) − onehot(y)</c>.
/// </summary>
/// <remarks>
/// A batch is three passes rather than a row at a time: shift each row by its maximum, the exponentials of the whole
/// batch in one call (<see cref="Exponential"/>), then each row's sum and scale. Rows of a few classes (Fashion-MNIST's
/// 10) made the row-at-a-time form five library calls of 10 floats per row, 640 per step of 128, whose call overhead
/// outweighed the work, and which ran as unoptimized tier-0 code through most of the first epoch (the package's code is
/// not precompiled). Narrow rows are reduced in plain loops; rows of <see cref="WideRow"/> classes or more through
/// <c>TensorPrimitives</c>.
/// </remarks>
internal sealed class SoftmaxCrossEntropyLoss : Loss
{
    /// <summary>Classes from which a row's maximum, sum and scaling go through <c>TensorPrimitives</c>.</summary>
    internal const int WideRow = 32;

    public override string Name => "softmax cross-entropy";

    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public override double EvaluatePart(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int batch, int width, Span<float> gradient, double weightSum)
    {
        // Pass 1: each row shifted by its maximum (so every exponent is ≤ 0), and max − z_y of its loss, read before the
        // gradient (which may alias the outputs) overwrites the row.
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> output = outputs.Slice(r * width, width);
            int label = Label(targets[r], width);
            float max = width >= WideRow ? TensorPrimitives.Max(output) : Max(output);
            float correct = output[label];
            Span<float> shifted = gradient.Slice(r * width, width);
            if (width >= WideRow)
            {
                TensorPrimitives.Subtract(output, max, shifted);
            }
            else
            {
                for (int c = 0; c < width; c++)
                {
                    shifted[c] = output[c] - max;
                }
            }

            total += (weights.IsEmpty ? 1f : weights[r]) * ((double)max - correct);
        }

        // Pass 2: the exponentials of the whole batch in one call.
        Span<float> all = gradient.Slice(0, batch * width);
        Exponential.InPlace(all);

        // Pass 3: each row's log-sum and its gradient scale·(softmax − onehot).
        for (int r = 0; r < batch; r++)
        {
            Span<float> row = all.Slice(r * width, width);
            float w = weights.IsEmpty ? 1f : weights[r];
            float scale = (float)(w / weightSum);
            float sum = width >= WideRow ? TensorPrimitives.Sum(row) : Sum(row);
            total += w * Math.Log(sum);
            float factor = scale / sum;
            if (width >= WideRow)
            {
                TensorPrimitives.Multiply(row, factor, row);
            }
            else
            {
                for (int c = 0; c < width; c++)
                {
                    row[c] *= factor;
                }
            }

            row[(int)targets[r]] -= scale;
        }

        return total;
    }

    private static int Label(float target, int width)
    {
        int label = (int)target;
        if ((uint)label >= (uint)width || label != target)
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, $"Class index must be an integer in [0, {width}).");
        }

        return label;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Max(ReadOnlySpan<float> row)
    {
        float max = row[0];
        for (int c = 1; c < row.Length; c++)
        {
            max = MathF.Max(max, row[c]);
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(ReadOnlySpan<float> row)
    {
        float sum = 0;
        for (int c = 0; c < row.Length; c++)
        {
            sum += row[c];
        }

        return sum;
    }
}
