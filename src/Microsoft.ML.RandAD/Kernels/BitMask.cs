namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// One bit per element: what a ReLU keeps for its backward pass (x &gt; 0), 32× smaller than the float input.
/// Bit <c>i</c> lives in word <c>i / 64</c> at position <c>i % 64</c>.
/// </summary>
public static class BitMask
{
    /// <summary>Number of 64-bit words that hold <paramref name="length"/> bits.</summary>
    /// <param name="length">Number of elements.</param>
    /// <returns>The word count.</returns>
    public static int WordCount(int length) => (length + 63) >> 6;

    /// <summary>Sets bit i to <c>x[i] &gt; 0</c> (NaN gives 0).</summary>
    /// <param name="x">The values.</param>
    /// <param name="mask">At least <see cref="WordCount"/>(x.Length) words; bits past the end are cleared.</param>
    public static void PackGreaterThanZero(ReadOnlySpan<float> x, Span<ulong> mask)
    {
        int words = WordCount(x.Length);
        for (int w = 0; w < words; w++)
        {
            ulong bits = 0;
            int end = Math.Min(64, x.Length - w * 64);
            for (int b = 0; b < end; b++)
            {
                if (x[w * 64 + b] > 0)
                {
                    bits |= 1UL << b;
                }
            }

            mask[w] = bits;
        }
    }

    /// <summary>ReLU forward fused with the mask: <c>y = max(x, 0)</c>, bit i = <c>x[i] &gt; 0</c>.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output (may alias <paramref name="x"/>).</param>
    /// <param name="mask">The mask words.</param>
    public static void ReluForward(ReadOnlySpan<float> x, Span<float> y, Span<ulong> mask)
    {
        PackGreaterThanZero(x, mask);
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] > 0 ? x[i] : 0;
        }
    }

    /// <summary><c>destination[i] = bit i ? gradient[i] : negativeScale·gradient[i]</c> (0 for ReLU, the slope for LeakyReLU).</summary>
    /// <param name="mask">The mask words.</param>
    /// <param name="gradient">Incoming gradient.</param>
    /// <param name="negativeScale">Factor where the bit is clear.</param>
    /// <param name="destination">Output (may alias <paramref name="gradient"/>).</param>
    public static void Apply(ReadOnlySpan<ulong> mask, ReadOnlySpan<float> gradient, float negativeScale, Span<float> destination)
    {
        for (int i = 0; i < gradient.Length; i++)
        {
            bool set = ((mask[i >> 6] >> (i & 63)) & 1) != 0;
            destination[i] = set ? gradient[i] : negativeScale * gradient[i];
        }
    }
}
