using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// ReLU / LeakyReLU backward from the layer's output instead of its 1-bit mask: for a non-negative slope,
/// y &gt; 0 exactly where x &gt; 0 (NaN and ±0 give y ≤ 0 or NaN, and a clear mask bit, alike). Used when the next
/// layer keeps the output anyway, so the mask need not be stored at all.
/// </summary>
internal static unsafe class ReluFromOutput
{
    /// <summary><c>destination[i] = output[i] &gt; 0 ? gradient[i] : negativeScale·gradient[i]</c>.</summary>
    public static void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, float negativeScale, Span<float> destination)
    {
        if (output.Length < gradient.Length || destination.Length < gradient.Length)
        {
            throw new ArgumentException($"Output ({output.Length}) and destination ({destination.Length}) must hold the gradient's {gradient.Length} elements.");
        }

        fixed (float* y = output)
        fixed (float* g = gradient)
        fixed (float* d = destination)
        {
            int done = KernelSettings.Path switch
            {
                KernelPath.Vector512 => Lanes<Width512, Vector512<uint>, Vector512<float>>(y, g, negativeScale, d, gradient.Length),
                KernelPath.Vector256 => Lanes<Width256, Vector256<uint>, Vector256<float>>(y, g, negativeScale, d, gradient.Length),
                KernelPath.Vector128 => Lanes<Width128, Vector128<uint>, Vector128<float>>(y, g, negativeScale, d, gradient.Length),
                _ => 0,
            };
            for (int i = done; i < gradient.Length; i++)
            {
                d[i] = y[i] > 0 ? g[i] : negativeScale * g[i];
            }
        }
    }

    private static int Lanes<TW, TU, TF>(float* y, float* g, float negativeScale, float* d, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        TF scale = TW.BroadcastSingle(negativeScale);
        int i = 0;
        for (; i <= length - TW.Count; i += TW.Count)
        {
            TF gradient = TW.LoadSingle(g + i);
            TW.StoreSingle(TW.Select(TW.GreaterThanZero(TW.LoadSingle(y + i)), gradient, TW.MultiplySingle(scale, gradient)), d + i);
        }

        return i;
    }
}
