namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The scalar path of <see cref="CounterRng"/>, one element at a time straight from the documented mapping:
/// the oracle the vector paths are tested against.
/// </summary>
internal static class CounterRngReference
{
    public static void FillUInt32(ulong seed, ulong stream, ulong counter, Span<uint> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i += 4)
        {
            CounterRng.Block(seed, stream, counter + (ulong)(i / 4), block);
            for (int w = 0; w < 4 && i + w < destination.Length; w++)
            {
                destination[i + w] = block[w];
            }
        }
    }

    public static void UniformFloats(ulong seed, ulong stream, ulong counter, Span<float> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i++)
        {
            if ((i & 3) == 0)
            {
                CounterRng.Block(seed, stream, counter + (ulong)(i / 4), block);
            }

            destination[i] = VectorWidth.ToUnitInterval(block[i & 3]);
        }
    }

    public static void BernoulliMask(ulong seed, ulong stream, ulong counter, uint threshold, int length, Span<ulong> mask)
    {
        Span<uint> block = stackalloc uint[4];
        mask.Slice(0, BitMask.WordCount(length)).Clear();
        for (int i = 0; i < length; i++)
        {
            if ((i & 3) == 0)
            {
                CounterRng.Block(seed, stream, counter + (ulong)(i / 4), block);
            }

            if ((block[i & 3] >> 8) < threshold)
            {
                mask[i >> 6] |= 1UL << (i & 63);
            }
        }
    }

    public static void UniformIndices(ulong seed, ulong stream, ulong counter, int bound, Span<int> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i++)
        {
            if ((i & 1) == 0)
            {
                CounterRng.Block(seed, stream, counter + (ulong)(i / 2), block);
            }

            int h = 2 * (i & 1);
            ulong w = block[h] | ((ulong)block[h + 1] << 32);
            destination[i] = (int)Math.BigMul(w, (ulong)bound, out _);
        }
    }

    public static void Rademacher(ulong seed, ulong stream, ulong counter, float magnitude, Span<float> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i++)
        {
            if ((i & 127) == 0)
            {
                CounterRng.Block(seed, stream, counter + (ulong)(i / 128), block);
            }

            uint bit = (block[(i >> 5) & 3] >> (i & 31)) & 1;
            destination[i] = bit != 0 ? -magnitude : magnitude;
        }
    }

    public static void Gaussian(ulong seed, ulong stream, ulong counter, float standardDeviation, Span<float> destination)
    {
        Span<uint> block = stackalloc uint[4];
        for (int i = 0; i < destination.Length; i += 4)
        {
            CounterRng.Block(seed, stream, counter + (ulong)(i / 4), block);
            for (int pair = 0; pair < 2; pair++)
            {
                BoxMuller.Pair(block[2 * pair], block[2 * pair + 1], standardDeviation, out float cosine, out float sine);
                int at = i + 2 * pair;
                if (at < destination.Length)
                {
                    destination[at] = cosine;
                }

                if (at + 1 < destination.Length)
                {
                    destination[at + 1] = sine;
                }
            }
        }
    }
}
