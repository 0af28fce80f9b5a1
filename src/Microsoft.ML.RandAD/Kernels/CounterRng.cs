namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Counter-based random numbers (Philox4x32-10): the output for a given (seed, stream, counter) is a pure
/// function of those three, so a backward pass regenerates a forward pass's sample exactly, on every kernel
/// path and thread count, without storing it.
/// </summary>
/// <remarks>
/// Block <c>t</c> of a call is Philox4x32-10 with key = <c>seed</c> (two 32-bit halves) applied to the
/// 128-bit counter (<c>counter + t</c> as the low 64 bits, <c>stream</c> as the high 64 bits); it yields four 32-bit words.
/// Element <c>i</c> of <see cref="FillUInt32"/> is word <c>i % 4</c> of block <c>i / 4</c>.
/// Element <c>i</c> of <see cref="UniformIndices"/> is <c>(w64 · d) >> 64</c> where w64 is the 64-bit word built from words
/// <c>2(i % 2)</c> (low) and <c>2(i % 2) + 1</c> (high) of block <c>i / 2</c>: the bias is at most d/2^64.
/// </remarks>
public static class CounterRng
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Fills <paramref name="destination"/> with uniform 32-bit words.</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number (e.g. layer id).</param>
    /// <param name="counter">First block index.</param>
    /// <param name="destination">Where the words go.</param>
    public static void FillUInt32(ulong seed, ulong stream, ulong counter, Span<uint> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i += 4)
        {
            Block(seed, stream, counter + (ulong)(i / 4), block);
            for (int w = 0; w < 4 && i + w < destination.Length; w++)
            {
                destination[i + w] = block[w];
            }
        }
    }

    /// <summary>Fills <paramref name="destination"/> with integers uniform on [0, <paramref name="bound"/>).</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index.</param>
    /// <param name="bound">Exclusive upper bound, at least 1.</param>
    /// <param name="destination">Where the integers go.</param>
    public static void UniformIndices(ulong seed, ulong stream, ulong counter, int bound, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i++)
        {
            if ((i & 1) == 0)
            {
                Block(seed, stream, counter + (ulong)(i / 2), block);
            }

            int h = 2 * (i & 1);
            ulong w = block[h] | ((ulong)block[h + 1] << 32);
            destination[i] = (int)Math.BigMul(w, (ulong)bound, out _);
        }
    }

    /// <summary>Fills <paramref name="destination"/> with ±<paramref name="magnitude"/>, each sign with probability ½ (bit i of the word stream).</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index (each block gives 128 signs).</param>
    /// <param name="magnitude">The absolute value of every entry.</param>
    /// <param name="destination">Where the values go.</param>
    public static void Rademacher(ulong seed, ulong stream, ulong counter, float magnitude, Span<float> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i++)
        {
            if ((i & 127) == 0)
            {
                Block(seed, stream, counter + (ulong)(i / 128), block);
            }

            uint bit = (block[(i >> 5) & 3] >> (i & 31)) & 1;
            destination[i] = bit != 0 ? -magnitude : magnitude;
        }
    }

    /// <summary>Fills <paramref name="destination"/> with normal deviates of mean 0 (Box–Muller on pairs of words).</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index (each block gives 4 deviates).</param>
    /// <param name="standardDeviation">The standard deviation.</param>
    /// <param name="destination">Where the values go.</param>
    public static void Gaussian(ulong seed, ulong stream, ulong counter, float standardDeviation, Span<float> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i += 4)
        {
            Block(seed, stream, counter + (ulong)(i / 4), block);
            for (int pair = 0; pair < 2; pair++)
            {
                // u1 in (0, 1], u2 in [0, 1): 24-bit mantissas so float32 represents them exactly.
                float u1 = ((block[2 * pair] >> 8) + 1) * (1f / 16777216f);
                float u2 = (block[2 * pair + 1] >> 8) * (1f / 16777216f);
                float r = MathF.Sqrt(-2f * MathF.Log(u1)) * standardDeviation;
                float angle = 2f * MathF.PI * u2;
                int at = i + 2 * pair;
                if (at < destination.Length)
                {
                    destination[at] = r * MathF.Cos(angle);
                }

                if (at + 1 < destination.Length)
                {
                    destination[at + 1] = r * MathF.Sin(angle);
                }
            }
        }
    }

    /// <summary>One Philox4x32-10 block.</summary>
    internal static void Block(ulong seed, ulong stream, ulong counter, Span<uint> output)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = (uint)stream, c3 = (uint)(stream >> 32);
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0;
            k1 += W1;
        }

        output[0] = c0;
        output[1] = c1;
        output[2] = c2;
        output[3] = c3;
    }
}
