using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The walk and the encoding of <see cref="MagnitudeSampling"/>: scalar reference and vector paths over
/// <see cref="IVectorWidth{TU, TF}"/>. Both only move integers, so every path writes the same draws and codes.
/// </summary>
/// <remarks>
/// A draw is held as the entry's index with the entry's sign in bit 31 (the sign bit of xᵢ: zero entries, including −0,
/// are never drawn), so the encoding needs no second look at x.
/// </remarks>
internal static unsafe class MagnitudeSamplingLanes
{
    private const int SignBit = int.MinValue;

    /// <summary>Entry <paramref name="i"/> as a draw: its index, and its sign in bit 31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Entry(float* x, int stride, int i) => i | (BitConverter.SingleToInt32Bits(x[(long)i * stride]) & SignBit);

    /// <summary>nᵢ = ⌈Cᵢ·k/‖x‖₁ − u⌉ from the running sum Cᵢ: a multiply, a subtract and a ceiling, each exact-rounded, so
    /// the vector lanes give the same count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reached(float sum, float scale, float offset) => (int)MathF.Ceiling((sum * scale) - offset);

    /// <summary>
    /// Scalar walk over entries [<paramref name="first"/>, <paramref name="end"/>) with <paramref name="emitted"/> draws
    /// already written: entry i takes slots [nᵢ₋₁, nᵢ). Every entry writes two slots ahead unconditionally (the next
    /// entry drawn overwrites them), so only entries drawn three times or more branch.
    /// </summary>
    /// <returns>The draws written: n of the last entry (at most k + 1: the third slack slot takes it).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int Walk(float* sums, int first, int end, int emitted, float scale, float offset, float* x, int stride, int* drawn)
    {
        for (int i = first; i < end; i++)
        {
            emitted = Emit(i, emitted, sums, scale, offset, x, stride, drawn);
        }

        return emitted;
    }

    /// <summary>
    /// Entry <paramref name="at"/>'s draws, slots [<paramref name="emitted"/>, n): two written unconditionally, more only
    /// for an entry drawn three times or more; returns n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Emit(int at, int emitted, float* sums, float scale, float offset, float* x, int stride, int* drawn)
    {
        int next = Reached(sums[at], scale, offset);
        int entry = Entry(x, stride, at);
        drawn[emitted] = entry;
        drawn[emitted + 1] = entry;
        for (int j = emitted + 2; j < next; j++)
        {
            drawn[j] = entry;
        }

        return next;
    }

    /// <summary>The draws of the entries <c>i + b</c> for each set bit b of <paramref name="changed"/>, in order; returns the new count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EmitChanged(ulong changed, int i, int emitted, float* sums, float scale, float offset, float* x, int stride, int* drawn)
    {
        while (changed != 0)
        {
            emitted = Emit(i + BitOperations.TrailingZeroCount(changed), emitted, sums, scale, offset, x, stride, drawn);
            changed &= changed - 1;
        }

        return emitted;
    }

    /// <summary>
    /// <see cref="Walk(float*, int, int, int, float, float, float*, int, int*)"/> visiting only the entries whose n
    /// exceeds the one before: n is computed a vector at a time from the running sums and from the sums one entry back
    /// (<c>sums[-1]</c> is 0), and their compare gives those entries as a bit mask.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int Walk<TW, TU, TF>(float* sums, int size, float scale, float offset, float* x, int stride, int* drawn)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count, emitted = 0, i = 0;
        TF k = TW.BroadcastSingle(scale), u = TW.BroadcastSingle(offset);
        for (; i <= size - n; i += n)
        {
            TF after = TW.Ceiling(TW.SubtractSingle(TW.MultiplySingle(TW.LoadSingle(sums + i), k), u));
            TF before = TW.Ceiling(TW.SubtractSingle(TW.MultiplySingle(TW.LoadSingle(sums + i - 1), k), u));
            ulong changed = TW.MostSignificantBits(TW.LessThanSingle(before, after));
            emitted = EmitChanged(changed, i, emitted, sums, scale, offset, x, stride, drawn);
        }

        return Walk(sums, i, size, emitted, scale, offset, x, stride, drawn);
    }

    /// <summary>
    /// <see cref="Walk{TW, TU, TF}"/> on AVX-512: a vector of 16 entries in which every changed entry takes one draw (the
    /// common case: at f = 0.1 a row has 0.19–0.34 draws per entry) writes its draws with one compress of the entries'
    /// indices and signs, no data-dependent branch; with <paramref name="wholeVectors"/>, one in which some take two
    /// (common after a ReLU, whose zeros leave the draws to half the entries) with one compress per half, each half's
    /// entries written twice over, and a plane's signs (entries <paramref name="stride"/> floats apart) are gathered
    /// before the compress. Other vectors take the per-entry loop. Same draws as every other path.
    /// </summary>
    /// <remarks>
    /// The compress goes to a register and then whole to memory (16 slots from the current count; the scratch has room),
    /// because a compress straight to memory is microcoded on some processors (AMD Zen 4). Requires
    /// <see cref="WalkSlack"/> slots past the last draw. Without <paramref name="wholeVectors"/> (for comparisons), the
    /// walk of the eighteenth session: one draw per entry only, and a plane's signs read per draw after the compress.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int Walk512(float* sums, int size, float scale, float offset, float* x, int stride, int* drawn, bool wholeVectors)
    {
        int emitted = 0, i = 0;
        Vector512<float> k = Vector512.Create(scale), u = Vector512.Create(offset), one = Vector512<float>.One;
        Vector512<float> limit = wholeVectors ? Vector512.Create(2f) : one;
        Vector512<int> lanes = Vector512<int>.Indices, sign = Vector512.Create(SignBit), apart = lanes * stride;
        Vector512<int> bits = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);
        Vector512<int> firstPairs = lanes >>> 1, secondPairs = firstPairs + Vector512.Create(8); // 0, 0, 1, 1, …; 8, 8, 9, 9, …
        for (; i <= size - 16; i += 16)
        {
            Vector512<float> after = Vector512.Ceiling((Vector512.Load(sums + i) * k) - u);
            Vector512<float> before = Vector512.Ceiling((Vector512.Load(sums + i - 1) * k) - u);
            Vector512<float> step = after - before;
            Vector512<float> changed = Vector512.LessThan(before, after).AsSingle();
            uint once = (uint)changed.ExtractMostSignificantBits();
            if (Vector512.LessThanOrEqualAll(step, limit) && Vector512.GreaterThanOrEqualAll(step, Vector512<float>.Zero))
            {
                Vector512<int> index = Vector512.Create(i) + lanes;
                if (stride != 1 && !wholeVectors)
                {
                    // A plane's entries are a stride apart: compress the indices, then take each draw's sign.
                    int count = BitOperations.PopCount(once);
                    Avx512Ops.Compress(changed.AsInt32(), index).Store(drawn + emitted);
                    for (int j = emitted; j < emitted + count; j++)
                    {
                        drawn[j] = Entry(x, stride, drawn[j]);
                    }

                    emitted += count;
                    continue;
                }

                Vector512<int> values = stride == 1 ? Vector512.Load((int*)x + i) : Avx512Ops.Gather((int*)x + ((long)i * stride), apart);
                Vector512<int> entries = index | (values & sign);
                uint twice = (uint)Vector512.GreaterThan(step, one).ExtractMostSignificantBits();
                if (twice == 0)
                {
                    Avx512Ops.Compress(changed.AsInt32(), entries).Store(drawn + emitted);
                    emitted += BitOperations.PopCount(once);
                    continue;
                }

                // Entries drawn twice: each half of the vector as its eight entries each written twice, compressed by a mask
                // with bit 2j for the first copy of entry j and bit 2j + 1 for its second.
                uint first = SpreadToEven(once & 0xFF) | (SpreadToEven(twice & 0xFF) << 1);
                uint second = SpreadToEven(once >> 8) | (SpreadToEven(twice >> 8) << 1);
                Avx512Ops.Compress(MaskOf(first, bits), Avx512Ops.Permute(entries, firstPairs)).Store(drawn + emitted);
                emitted += BitOperations.PopCount(first);
                Avx512Ops.Compress(MaskOf(second, bits), Avx512Ops.Permute(entries, secondPairs)).Store(drawn + emitted);
                emitted += BitOperations.PopCount(second);
                continue;
            }

            emitted = EmitChanged(once, i, emitted, sums, scale, offset, x, stride, drawn);
        }

        return Walk(sums, i, size, emitted, scale, offset, x, stride, drawn);
    }

    /// <summary>The (up to) 8 bits of <paramref name="value"/> moved to the even positions of 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SpreadToEven(uint value)
    {
        value = (value | (value << 4)) & 0x0F0F;
        value = (value | (value << 2)) & 0x3333;
        return (value | (value << 1)) & 0x5555;
    }

    /// <summary>A lane mask (all bits set or none) from the bits of <paramref name="mask"/>; <paramref name="bits"/> holds 1 &lt;&lt; lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MaskOf(uint mask, Vector512<int> bits) =>
        ~Vector512.Equals(Vector512.Create((int)mask) & bits, Vector512<int>.Zero);

    /// <summary>
    /// <see cref="Walk512"/> on AVX2, which has no compress instruction: a vector of 8 entries in which every changed entry
    /// takes exactly one draw writes its draws with one permutation taken from a table by the changed lanes' bits (the
    /// entries' signs gathered first when the entries lie <paramref name="stride"/> floats apart), one in which some take
    /// two (common after a ReLU, whose zeros leave the draws to half the entries) with one permutation per half; vectors
    /// with an entry drawn three times or more take the per-entry loop. Same draws as every other path.
    /// </summary>
    /// <remarks>Requires <see cref="WalkSlack"/> slots past the last draw (the permuted vector is stored whole).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int Walk256(float* sums, int size, float scale, float offset, float* x, int stride, int* drawn)
    {
        int emitted = 0, i = 0;
        int* packs = LeftPacks.Table, pairs = packs + LeftPacks.Pairs;
        Vector256<float> k = Vector256.Create(scale), u = Vector256.Create(offset), one = Vector256<float>.One;
        Vector256<float> two = Vector256.Create(2f);
        Vector256<int> lanes = Vector256<int>.Indices, sign = Vector256.Create(SignBit), apart = lanes * stride, four = Vector256.Create(4);
        for (; i <= size - 8; i += 8)
        {
            Vector256<float> after = Vector256.Ceiling((Vector256.Load(sums + i) * k) - u);
            Vector256<float> before = Vector256.Ceiling((Vector256.Load(sums + i - 1) * k) - u);
            Vector256<float> step = after - before;
            uint changed = Vector256.LessThan(before, after).ExtractMostSignificantBits();
            if (Vector256.LessThanOrEqualAll(step, two) && Vector256.GreaterThanOrEqualAll(step, Vector256<float>.Zero))
            {
                Vector256<int> values = stride == 1
                    ? Vector256.Load((int*)x + i)
                    : Avx2.GatherVector256((int*)x + ((long)i * stride), apart, 4);
                Vector256<int> entries = (Vector256.Create(i) + lanes) | (values & sign);
                uint twice = Vector256.GreaterThan(step, one).ExtractMostSignificantBits();
                if (twice == 0)
                {
                    Avx2.PermuteVar8x32(entries, Vector256.Load(packs + (changed * 8))).Store(drawn + emitted);
                    emitted += BitOperations.PopCount(changed);
                    continue;
                }

                // Entries drawn twice: each half of the vector as its four entries each written twice, left-packed by a
                // mask with bit 2j for the first copy of entry j and bit 2j + 1 for its second.
                uint low = SpreadToEven(changed & 15) | (SpreadToEven(twice & 15) << 1);
                uint high = SpreadToEven(changed >> 4) | (SpreadToEven(twice >> 4) << 1);
                Avx2.PermuteVar8x32(entries, Vector256.Load(pairs + (low * 8))).Store(drawn + emitted);
                emitted += BitOperations.PopCount(low);
                Avx2.PermuteVar8x32(entries, Vector256.Load(pairs + (high * 8)) + four).Store(drawn + emitted);
                emitted += BitOperations.PopCount(high);
                continue;
            }

            emitted = EmitChanged(changed, i, emitted, sums, scale, offset, x, stride, drawn);
        }

        return Walk(sums, i, size, emitted, scale, offset, x, stride, drawn);
    }

    /// <summary>
    /// The AVX2 walk's permutations: for each 8-bit lane mask, the set lanes in order, then the others (one draw per entry);
    /// from <see cref="Pairs"/>, for each 8-bit mask over four entries written twice each (bit 2j: entry j's first copy,
    /// bit 2j + 1: its second), the entries of the set bits in order.
    /// </summary>
    private static class LeftPacks
    {
        public const int Pairs = 256 * 8;

        // Declared first: static fields are initialized in order, and Build writes into it.
        private static readonly int[] s_table = PinnedMemory.Allocate<int>(2 * Pairs);

        public static readonly int* Table = Build();

        private static int* Build()
        {
            int* table = PinnedMemory.Pointer(s_table);
            for (int mask = 0; mask < 256; mask++)
            {
                int slot = 0;
                for (int lane = 0; lane < 8; lane++)
                {
                    if ((mask & (1 << lane)) != 0)
                    {
                        table[(mask * 8) + slot++] = lane;
                    }
                }

                for (int lane = 0; lane < 8; lane++)
                {
                    if ((mask & (1 << lane)) == 0)
                    {
                        table[(mask * 8) + slot++] = lane;
                    }
                }

                slot = 0;
                for (int bit = 0; bit < 8; bit++)
                {
                    if ((mask & (1 << bit)) != 0)
                    {
                        table[Pairs + (mask * 8) + slot++] = bit >> 1;
                    }
                }

                while (slot < 8)
                {
                    table[Pairs + (mask * 8) + slot++] = 0;
                }
            }

            return table;
        }
    }

    /// <summary>Slots past the last draw that a walk may write: the whole-vector stores of <see cref="Walk512"/> and <see cref="Walk256"/>.</summary>
    public const int WalkSlack = 16 + 3;

    /// <summary>
    /// <c>data[i] += value</c> for i &lt; <paramref name="length"/> on the given path: the running sums' quarters take the
    /// totals before them. A loop compiled optimized at its first call, where <c>TensorPrimitives.Add</c> on these short
    /// runs (a few hundred floats, three a row, 1,152 calls a step for RAD's MLP) ran at tier 0 through the first epoch's
    /// first hundred steps. Each element takes one rounded addition either way, so the bits are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScalar(float* data, int length, float value, KernelPath path)
    {
        switch (path)
        {
            case KernelPath.Vector512:
                AddScalar<Width512, Vector512<uint>, Vector512<float>>(data, length, value);
                break;
            case KernelPath.Vector256:
                AddScalar<Width256, Vector256<uint>, Vector256<float>>(data, length, value);
                break;
            case KernelPath.Vector128:
                AddScalar<Width128, Vector128<uint>, Vector128<float>>(data, length, value);
                break;
            default:
                AddScalar(data, length, value);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void AddScalar<TW, TU, TF>(float* data, int length, float value)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => VectorRuns.AddScalar<TW, TU, TF>(data, value, length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void AddScalar(float* data, int length, float value)
    {
        for (int i = 0; i < length; i++)
        {
            data[i] += value;
        }
    }

    /// <summary>
    /// Scalar encoding of the <paramref name="draws"/> draws: each index in <paramref name="width"/> bytes, then one sign
    /// bit per draw after all k indices.
    /// </summary>
    public static void Encode(int* drawn, int draws, int width, byte* codes)
    {
        WriteIndices(drawn, 0, draws, width, codes);
        WriteSigns(drawn, 0, draws, codes + ((long)draws * width));
    }

    /// <summary>
    /// <see cref="Encode(int*, int, int, byte*)"/> 64 draws at a time: the sign bits are the lanes' top bits, and one-byte
    /// indices the lanes' low bytes; the last partial 64 scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Encode<TW, TU, TF>(int* drawn, int draws, int width, byte* codes)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count, whole = draws & ~63;
        byte* signs = codes + ((long)draws * width);
        for (int j = 0; j < whole; j += 64)
        {
            ulong bits = 0;
            for (int t = 0; t < 64; t += n)
            {
                TU lanes = TW.Load((uint*)drawn + j + t);
                bits |= TW.MostSignificantBits(lanes) << t;
                if (width == 1)
                {
                    TW.StoreLowBytes(lanes, codes + j + t);
                }
            }

            BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(signs + (j >> 3), 8), bits);
        }

        WriteIndices(drawn, width == 1 ? whole : 0, draws, width, codes);
        WriteSigns(drawn, whole, draws, signs);
    }

    /// <summary>Indices of draws [<paramref name="first"/>, <paramref name="end"/>), <paramref name="width"/> bytes each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void WriteIndices(int* drawn, int first, int end, int width, byte* codes)
    {
        switch (width)
        {
            case 1:
                for (int j = first; j < end; j++)
                {
                    codes[j] = (byte)drawn[j];
                }

                break;
            case 2:
                for (int j = first; j < end; j++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(codes + (2 * j), 2), (ushort)drawn[j]);
                }

                break;
            default:
                for (int j = first; j < end; j++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(codes + (4L * j), 4), drawn[j] & int.MaxValue);
                }

                break;
        }
    }

    /// <summary>Sign bits of draws [<paramref name="first"/>, <paramref name="draws"/>) (<paramref name="first"/> a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void WriteSigns(int* drawn, int first, int draws, byte* signs)
    {
        for (int j = first; j < draws; j += 8)
        {
            int bits = 0;
            for (int t = 0; t < 8 && j + t < draws; t++)
            {
                bits |= (int)((uint)drawn[j + t] >> 31) << t;
            }

            signs[j >> 3] = (byte)bits;
        }
    }
}
