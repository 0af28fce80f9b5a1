using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Philox4x32-10 on <c>TW.Count</c> counters at once, one counter per 32-bit lane, and the <see cref="CounterRng"/>
/// outputs built on it. Written once over <see cref="IVectorWidth{TU, TF}"/>; every output equals the scalar reference bit for bit.
/// </summary>
/// <remarks>
/// A chunk covers the <c>N = TW.Count</c> consecutive blocks starting at some counter. Lane p does not
/// hold block p: each operation gives the lanes a block order chosen so that the in-lane (128-bit) unpack
/// instructions that turn "word w of every block" vectors into output order need no cross-lane shuffle.
/// Philox treats lanes independently, so the order is free.
/// </remarks>
internal static unsafe class PhiloxLanes
{
    /// <summary>
    /// Lane order for word-ordered output: lane 4L+m (128-bit lane L, position m) holds block <c>(N/4)·m + L</c>,
    /// so after a 4×4 transpose inside each 128-bit lane, vector m stored at word <c>N·m</c> of the chunk is in stream order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TU WordOrderOffsets<TW, TU, TF>()
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        Span<uint> offsets = stackalloc uint[TW.Count];
        int lanes128 = TW.Count / 4;
        for (int p = 0; p < offsets.Length; p++)
        {
            offsets[p] = (uint)(lanes128 * (p % 4) + p / 4);
        }

        return TW.Create(offsets);
    }

    /// <summary>
    /// Lane order for <see cref="CounterRng.UniformIndices"/> (two outputs per block): lanes 4L, 4L+1 hold blocks 2L, 2L+1 and
    /// lanes 4L+2, 4L+3 hold blocks N/2 + 2L, N/2 + 2L + 1, so interleaving the even and odd outputs gives stream order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TU PairOrderOffsets<TW, TU, TF>()
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        Span<uint> offsets = stackalloc uint[TW.Count];
        int half = TW.Count / 2;
        for (int p = 0; p < offsets.Length; p++)
        {
            int lane = p / 4, m = p % 4;
            offsets[p] = (uint)((m < 2 ? 0 : half) + 2 * lane + (m & 1));
        }

        return TW.Create(offsets);
    }

    /// <summary>Philox4x32-10 of counters <c>counter + offsets[p]</c> (64-bit, wrapping) in each lane; word w of each block lands in <paramref name="x0"/>…<paramref name="x3"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Blocks<TW, TU, TF>(ulong seed, ulong stream, ulong counter, TU offsets, out TU x0, out TU x1, out TU x2, out TU x3)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        TU baseLow = TW.Broadcast((uint)counter);
        TU c0 = TW.Add(baseLow, offsets);

        // A lane whose low word wrapped carries one into the high word: the compare gives all ones (-1), so subtract it.
        TU c1 = TW.Subtract(TW.Broadcast((uint)(counter >> 32)), TW.LessThan(c0, baseLow));
        TU c2 = TW.Broadcast((uint)stream);
        TU c3 = TW.Broadcast((uint)(stream >> 32));
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            TW.MultiplyHighLow(c0, CounterRng.M0, out TU high0, out TU low0);
            TW.MultiplyHighLow(c2, CounterRng.M1, out TU high1, out TU low1);
            c0 = TW.Xor(TW.Xor(high1, c1), TW.Broadcast(k0));
            c1 = low1;
            c2 = TW.Xor(TW.Xor(high0, c3), TW.Broadcast(k1));
            c3 = low0;
            k0 += CounterRng.W0;
            k1 += CounterRng.W1;
        }

        x0 = c0;
        x1 = c1;
        x2 = c2;
        x3 = c3;
    }

    /// <summary>The 4N words of blocks counter…counter+N-1 in stream order: <paramref name="t0"/> holds words 0…N-1, <paramref name="t1"/> the next N, and so on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WordsInOrder<TW, TU, TF>(ulong seed, ulong stream, ulong counter, TU wordOrderOffsets, out TU t0, out TU t1, out TU t2, out TU t3)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        Blocks<TW, TU, TF>(seed, stream, counter, wordOrderOffsets, out TU x0, out TU x1, out TU x2, out TU x3);
        TransposeToStreamOrder<TW, TU, TF>(x0, x1, x2, x3, out t0, out t1, out t2, out t3);
    }

    /// <summary>4×4 transpose inside each 128-bit lane: with <see cref="WordOrderOffsets"/> lanes, "value w of every block" vectors become stream order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransposeToStreamOrder<TW, TU, TF>(TU x0, TU x1, TU x2, TU x3, out TU t0, out TU t1, out TU t2, out TU t3)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        TU a = TW.InterleaveLow32(x0, x1), b = TW.InterleaveHigh32(x0, x1);
        TU c = TW.InterleaveLow32(x2, x3), d = TW.InterleaveHigh32(x2, x3);
        t0 = TW.InterleaveLow64(a, c);
        t1 = TW.InterleaveHigh64(a, c);
        t2 = TW.InterleaveLow64(b, d);
        t3 = TW.InterleaveHigh64(b, d);
    }

    /// <summary>Words of the stream from block <paramref name="counter"/> on (see <see cref="CounterRng.FillUInt32"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FillUInt32<TW, TU, TF>(ulong seed, ulong stream, ulong counter, uint* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TU offsets = WordOrderOffsets<TW, TU, TF>();
        int i = 0;
        for (; i <= length - 4 * n; i += 4 * n, counter += (ulong)n)
        {
            WordsInOrder<TW, TU, TF>(seed, stream, counter, offsets, out TU t0, out TU t1, out TU t2, out TU t3);
            TW.Store(t0, destination + i);
            TW.Store(t1, destination + i + n);
            TW.Store(t2, destination + i + 2 * n);
            TW.Store(t3, destination + i + 3 * n);
        }

        if (i < length)
        {
            uint* chunk = stackalloc uint[64];
            WordsInOrder<TW, TU, TF>(seed, stream, counter, offsets, out TU t0, out TU t1, out TU t2, out TU t3);
            TW.Store(t0, chunk);
            TW.Store(t1, chunk + n);
            TW.Store(t2, chunk + 2 * n);
            TW.Store(t3, chunk + 3 * n);
            new ReadOnlySpan<uint>(chunk, length - i).CopyTo(new Span<uint>(destination + i, length - i));
        }
    }

    /// <summary>Floats in [0, 1): element i is <c>(word i &gt;&gt; 8)·2^-24</c> (see <see cref="CounterRng.UniformFloats"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UniformFloats<TW, TU, TF>(ulong seed, ulong stream, ulong counter, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TU offsets = WordOrderOffsets<TW, TU, TF>();
        int i = 0;
        for (; i <= length - 4 * n; i += 4 * n, counter += (ulong)n)
        {
            WordsInOrder<TW, TU, TF>(seed, stream, counter, offsets, out TU t0, out TU t1, out TU t2, out TU t3);
            TW.StoreSingle(TW.ToUnitInterval(t0), destination + i);
            TW.StoreSingle(TW.ToUnitInterval(t1), destination + i + n);
            TW.StoreSingle(TW.ToUnitInterval(t2), destination + i + 2 * n);
            TW.StoreSingle(TW.ToUnitInterval(t3), destination + i + 3 * n);
        }

        if (i < length)
        {
            uint* chunk = stackalloc uint[64];
            FillUInt32<TW, TU, TF>(seed, stream, counter, chunk, length - i);
            for (int j = 0; i + j < length; j++)
            {
                destination[i + j] = VectorWidth.ToUnitInterval(chunk[j]);
            }
        }
    }

    /// <summary>Indices in [0, bound): element i from the 64-bit word of block i/2, half i%2 (see <see cref="CounterRng.UniformIndices"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UniformIndices<TW, TU, TF>(ulong seed, ulong stream, ulong counter, uint bound, int* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TU offsets = PairOrderOffsets<TW, TU, TF>();
        uint* chunk = stackalloc uint[32];
        for (int i = 0; i < length; i += 2 * n, counter += (ulong)n)
        {
            Blocks<TW, TU, TF>(seed, stream, counter, offsets, out TU x0, out TU x1, out TU x2, out TU x3);
            TU even = TW.MultiplyHigh64ByBound(x0, x1, bound);
            TU odd = TW.MultiplyHigh64ByBound(x2, x3, bound);
            bool whole = i <= length - 2 * n;
            uint* target = whole ? (uint*)(destination + i) : chunk;
            TW.Store(TW.InterleaveLow32(even, odd), target);
            TW.Store(TW.InterleaveHigh32(even, odd), target + n);
            if (!whole)
            {
                new ReadOnlySpan<int>(chunk, length - i).CopyTo(new Span<int>(destination + i, length - i));
            }
        }
    }

    /// <summary>±magnitude: element i is negative when bit i%32 of word i/32 is set (see <see cref="CounterRng.Rademacher"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rademacher<TW, TU, TF>(ulong seed, ulong stream, ulong counter, float magnitude, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        uint* words = stackalloc uint[64];
        TF positive = TW.BroadcastSingle(magnitude), negative = TW.BroadcastSingle(-magnitude);
        fixed (uint* laneBits = VectorWidth.LaneBits)
        {
            // One chunk = 4N words = 128N signs.
            for (int i = 0; i < length; i += 128 * n, counter += (ulong)n)
            {
                int count = Math.Min(128 * n, length - i);
                FillUInt32<TW, TU, TF>(seed, stream, counter, words, (count + 31) / 32);
                float* target = destination + i;
                int e = 0;
                for (; e <= count - 32; e += 32)
                {
                    TU word = TW.Broadcast(words[e / 32]);
                    for (int lane = 0; lane < 32; lane += n)
                    {
                        TU clear = TW.EqualsZero(TW.And(word, TW.Load(laneBits + lane)));
                        TW.StoreSingle(TW.Select(clear, positive, negative), target + e + lane);
                    }
                }

                for (; e < count; e++)
                {
                    target[e] = ((words[e / 32] >> (e & 31)) & 1) != 0 ? -magnitude : magnitude;
                }
            }
        }
    }

    /// <summary>
    /// Keep mask: bit i is set when <c>(word i &gt;&gt; 8) &lt; threshold</c>; whole 64-bit mask words, bits past
    /// <paramref name="length"/> cleared (see <see cref="CounterRng.BernoulliMask"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BernoulliMask<TW, TU, TF>(ulong seed, ulong stream, ulong counter, uint threshold, int length, ulong* mask)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TU offsets = WordOrderOffsets<TW, TU, TF>();
        TU limit = TW.Broadcast(threshold);
        int words = BitMask.WordCount(length);
        for (int w = 0; w < words; w++)
        {
            // A mask word is 64 elements = 16 blocks = 16/N chunks of 4N words each.
            ulong bits = 0;
            for (int shift = 0; shift < 64; shift += 4 * n, counter += (ulong)n)
            {
                WordsInOrder<TW, TU, TF>(seed, stream, counter, offsets, out TU t0, out TU t1, out TU t2, out TU t3);
                bits |= TW.MostSignificantBits(TW.LessThan(TW.ShiftRightLogical(t0, 8), limit)) << shift;
                bits |= TW.MostSignificantBits(TW.LessThan(TW.ShiftRightLogical(t1, 8), limit)) << (shift + n);
                bits |= TW.MostSignificantBits(TW.LessThan(TW.ShiftRightLogical(t2, 8), limit)) << (shift + 2 * n);
                bits |= TW.MostSignificantBits(TW.LessThan(TW.ShiftRightLogical(t3, 8), limit)) << (shift + 3 * n);
            }

            int valid = length - 64 * w;
            mask[w] = valid >= 64 ? bits : bits & ((1UL << valid) - 1);
        }
    }

    /// <summary>Normal deviates: elements 4p…4p+3 are <see cref="BoxMuller"/> of words (0, 1) and (2, 3) of block p, computed in vector lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gaussian<TW, TU, TF>(ulong seed, ulong stream, ulong counter, float standardDeviation, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TU offsets = WordOrderOffsets<TW, TU, TF>();
        TF sigma = TW.BroadcastSingle(standardDeviation);
        float* chunk = stackalloc float[64];
        for (int i = 0; i < length; i += 4 * n, counter += (ulong)n)
        {
            Blocks<TW, TU, TF>(seed, stream, counter, offsets, out TU x0, out TU x1, out TU x2, out TU x3);
            BoxMuller.Pair<TW, TU, TF>(x0, x1, sigma, out TF cos0, out TF sin0);
            BoxMuller.Pair<TW, TU, TF>(x2, x3, sigma, out TF cos1, out TF sin1);
            TransposeToStreamOrder<TW, TU, TF>(TW.AsUInt32(cos0), TW.AsUInt32(sin0), TW.AsUInt32(cos1), TW.AsUInt32(sin1), out TU t0, out TU t1, out TU t2, out TU t3);
            bool whole = i <= length - 4 * n;
            float* target = whole ? destination + i : chunk;
            TW.StoreSingle(TW.AsSingle(t0), target);
            TW.StoreSingle(TW.AsSingle(t1), target + n);
            TW.StoreSingle(TW.AsSingle(t2), target + 2 * n);
            TW.StoreSingle(TW.AsSingle(t3), target + 3 * n);
            if (!whole)
            {
                new ReadOnlySpan<float>(chunk, length - i).CopyTo(new Span<float>(destination + i, length - i));
            }
        }
    }
}
