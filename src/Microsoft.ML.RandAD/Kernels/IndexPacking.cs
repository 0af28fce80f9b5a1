using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Small indices (a max-pooling window's winner: 0..3 for 2×2, 0..15 up to 4×4) stored in 2 or 4 bits each instead of a
/// byte, for what a layer keeps between its forward and backward pass. Value i of the packed form sits at bits
/// [i·b, i·b + b) of the little-endian byte sequence. BMI2's PEXT/PDEP move eight values per instruction; the
/// scalar path (the kernel switch's <see cref="KernelPath.Scalar"/>, or no BMI2) gives the same bytes.
/// </summary>
internal static class IndexPacking
{
    /// <summary>Bits per value for indices below <paramref name="distinctValues"/>: 2, 4, or 8 (no packing).</summary>
    public static int BitsFor(int distinctValues) => distinctValues <= 4 ? 2 : distinctValues <= 16 ? 4 : 8;

    /// <summary>Bytes that <paramref name="count"/> values of <paramref name="bits"/> bits occupy.</summary>
    public static long PackedBytes(long count, int bits) => ((count * bits) + 7) / 8;

    /// <summary>
    /// Packs <paramref name="values"/> (each below 2^<paramref name="bits"/>) into <paramref name="packed"/>; from
    /// <see cref="SpreadValues"/> values on, in parts of whole bytes on the threads (the same bytes).
    /// </summary>
    public static unsafe void Pack(ReadOnlySpan<byte> values, int bits, Span<byte> packed)
    {
        CheckBits(bits);
        if (packed.Length < PackedBytes(values.Length, bits))
        {
            throw new ArgumentException($"{values.Length} values of {bits} bits need {PackedBytes(values.Length, bits)} bytes, not {packed.Length}.", nameof(packed));
        }

        if (values.Length < SpreadValues)
        {
            PackRange(values, bits, packed, UseBmi2);
            return;
        }

        fixed (byte* v = values, p = packed)
        {
            var job = new Job(v, p, bits, pack: true, UseBmi2);
            WorkerPool.RunRanges(ref job, values.Length, PartValues);
        }
    }

    /// <summary>
    /// Values from which <see cref="Pack"/> and <see cref="Unpack"/> spread over the threads. The CNN's first pooling keeps
    /// 200,704 winners a chunk; packed and unpacked on the calling thread they were 3.3 % of its samples while the worker
    /// waited (Zen 3, eighteenth session).
    /// </summary>
    private const int SpreadValues = 1 << 16;

    /// <summary>Values a part packs or unpacks: a multiple of 8, so parts start on whole bytes (and whole PEXT words).</summary>
    private const int PartValues = 1 << 15;

    private readonly unsafe struct Job(byte* values, byte* packed, int bits, bool pack, bool bmi2) : IRangeJob
    {
        public void RunRange(int first, int length)
        {
            var part = new Span<byte>(values + first, length);
            long at = (long)first * bits / 8;
            if (pack)
            {
                PackRange(part, bits, new Span<byte>(packed + at, (int)PackedBytes(length, bits)), bmi2);
            }
            else
            {
                UnpackRange(new ReadOnlySpan<byte>(packed + at, (int)PackedBytes(length, bits)), bits, length, part, bmi2);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void PackRange(ReadOnlySpan<byte> values, int bits, Span<byte> packed, bool bmi2)
    {
        if (bits == 8)
        {
            values.CopyTo(packed);
            return;
        }

        int done = 0;
        if (bmi2)
        {
            // Eight values (one ulong) become 8·bits bits: 2 or 4 bytes.
            ulong mask = bits == 2 ? 0x0303030303030303UL : 0x0F0F0F0F0F0F0F0FUL;
            int step = bits;
            for (; done + 8 <= values.Length; done += 8)
            {
                ulong word = Bmi2.X64.ParallelBitExtract(BinaryPrimitives.ReadUInt64LittleEndian(values.Slice(done, 8)), mask);
                Span<byte> to = packed.Slice(done * bits / 8, step);
                if (bits == 2)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(to, (ushort)word);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(to, (uint)word);
                }
            }
        }

        int perByte = 8 / bits;
        int end = values.Length;
        for (int first = done; first < end; first += perByte)
        {
            int value = 0;
            for (int j = 0; j < perByte && first + j < end; j++)
            {
                value |= values[first + j] << (j * bits);
            }

            packed[first * bits / 8] = (byte)value;
        }
    }

    /// <summary>
    /// Unpacks <paramref name="count"/> values of <paramref name="bits"/> bits from <paramref name="packed"/> into
    /// <paramref name="values"/>; from <see cref="SpreadValues"/> values on, in parts on the threads.
    /// </summary>
    public static unsafe void Unpack(ReadOnlySpan<byte> packed, int bits, int count, Span<byte> values)
    {
        CheckBits(bits);
        if (packed.Length < PackedBytes(count, bits) || values.Length < count)
        {
            throw new ArgumentException($"{count} values of {bits} bits need {PackedBytes(count, bits)} packed bytes and {count} values, not {packed.Length} and {values.Length}.");
        }

        if (count < SpreadValues)
        {
            UnpackRange(packed, bits, count, values, UseBmi2);
            return;
        }

        fixed (byte* v = values, p = packed)
        {
            var job = new Job(v, p, bits, pack: false, UseBmi2);
            WorkerPool.RunRanges(ref job, count, PartValues);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void UnpackRange(ReadOnlySpan<byte> packed, int bits, int count, Span<byte> values, bool bmi2)
    {
        if (bits == 8)
        {
            packed.Slice(0, count).CopyTo(values);
            return;
        }

        int done = 0;
        if (bmi2)
        {
            ulong mask = bits == 2 ? 0x0303030303030303UL : 0x0F0F0F0F0F0F0F0FUL;
            for (; done + 8 <= count; done += 8)
            {
                ReadOnlySpan<byte> from = packed.Slice(done * bits / 8, bits);
                ulong word = bits == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(from) : BinaryPrimitives.ReadUInt32LittleEndian(from);
                BinaryPrimitives.WriteUInt64LittleEndian(values.Slice(done, 8), Bmi2.X64.ParallelBitDeposit(word, mask));
            }
        }

        int valueMask = (1 << bits) - 1;
        for (int i = done; i < count; i++)
        {
            values[i] = (byte)((packed[i * bits / 8] >> (i * bits % 8)) & valueMask);
        }
    }

    /// <summary>PEXT/PDEP are single fast instructions on Intel since Haswell and AMD since Zen 3, but microcoded (hundreds of cycles) on Zen 1/2.</summary>
    private static readonly bool s_fastBmi2 = Bmi2.X64.IsSupported && !IsAmdBeforeZen3();

    private static bool UseBmi2 => s_fastBmi2 && KernelSettings.Path != KernelPath.Scalar;

    private static bool IsAmdBeforeZen3()
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }

        (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        bool amd = ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163; // "AuthenticAMD"
        if (!amd)
        {
            return false;
        }

        int eax = X86Base.CpuId(1, 0).Eax;
        int family = ((eax >> 8) & 0xF) + ((eax >> 20) & 0xFF);
        return family < 0x19;
    }

    private static void CheckBits(int bits)
    {
        if (bits is not (2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "2, 4 or 8 bits per value.");
        }
    }
}
