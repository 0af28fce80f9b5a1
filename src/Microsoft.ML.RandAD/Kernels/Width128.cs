using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>128-bit lanes (SSE2 on x86; portable fallbacks elsewhere, e.g. NEON): selected only when <see cref="KernelSettings.IsSupported"/> says so.</summary>
internal readonly unsafe struct Width128 : IVectorWidth<Vector128<uint>, Vector128<float>>
{
    public static int Count => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Create(ReadOnlySpan<uint> values) => Vector128.Create(values);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Broadcast(uint value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Load(uint* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<uint> value, uint* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Add(Vector128<uint> left, Vector128<uint> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Subtract(Vector128<uint> left, Vector128<uint> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Xor(Vector128<uint> left, Vector128<uint> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> And(Vector128<uint> left, Vector128<uint> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> ShiftRightLogical(Vector128<uint> value, int count) => value >>> count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> LessThan(Vector128<uint> left, Vector128<uint> right) => Vector128.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> EqualsZero(Vector128<uint> value) => Vector128.Equals(value, Vector128<uint>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MostSignificantBits(Vector128<uint> value) => value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyHighLow(Vector128<uint> value, uint multiplier, out Vector128<uint> high, out Vector128<uint> low)
    {
        var m = Vector128.Create(multiplier);
        Vector128<ulong> even = MultiplyEven(value, m);
        Vector128<ulong> odd = MultiplyEven(OddToEven(value), m);
        high = ((even >>> 32) | (odd & Vector128.Create(VectorWidth.HighHalf))).AsUInt32();
        low = ((even & Vector128.Create(VectorWidth.LowHalf)) | (odd << 32)).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> MultiplyHigh64ByBound(Vector128<uint> low, Vector128<uint> high, uint bound)
    {
        var d = Vector128.Create(bound);
        Vector128<ulong> even = MultiplyEven(high, d) + (MultiplyEven(low, d) >>> 32);
        Vector128<ulong> odd = MultiplyEven(OddToEven(high), d) + (MultiplyEven(OddToEven(low), d) >>> 32);
        return ((even >>> 32) | (odd & Vector128.Create(VectorWidth.HighHalf))).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> InterleaveLow32(Vector128<uint> left, Vector128<uint> right) =>
        Sse2.IsSupported ? Sse2.UnpackLow(left, right) : Vector128.Create(left[0], right[0], left[1], right[1]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> InterleaveHigh32(Vector128<uint> left, Vector128<uint> right) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(left, right) : Vector128.Create(left[2], right[2], left[3], right[3]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> InterleaveLow64(Vector128<uint> left, Vector128<uint> right) =>
        Sse2.IsSupported
            ? Sse2.UnpackLow(left.AsUInt64(), right.AsUInt64()).AsUInt32()
            : Vector128.Create(left.AsUInt64()[0], right.AsUInt64()[0]).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> InterleaveHigh64(Vector128<uint> left, Vector128<uint> right) =>
        Sse2.IsSupported
            ? Sse2.UnpackHigh(left.AsUInt64(), right.AsUInt64()).AsUInt32()
            : Vector128.Create(left.AsUInt64()[1], right.AsUInt64()[1]).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> BroadcastSingle(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadSingle(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSingle(Vector128<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> TailMask(int count) =>
        Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadSingleMasked(float* source, Vector128<float> mask)
    {
        if (Avx.IsSupported)
        {
            return Avx.MaskLoad(source, mask);
        }

        var value = Vector128<float>.Zero;
        for (int i = 0; i < 4 && mask.AsUInt32()[i] != 0; i++)
        {
            value = value.WithElement(i, source[i]);
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSingleMasked(Vector128<float> value, float* destination, Vector128<float> mask)
    {
        if (Avx.IsSupported)
        {
            Avx.MaskStore(destination, mask, value);
            return;
        }

        for (int i = 0; i < 4 && mask.AsUInt32()[i] != 0; i++)
        {
            destination[i] = value[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> AddSingle(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplySingle(Vector128<float> left, Vector128<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> GreaterThanZero(Vector128<float> value) =>
        Vector128.GreaterThan(value, Vector128<float>.Zero).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<uint> mask, Vector128<float> ifTrue, Vector128<float> ifFalse) =>
        Vector128.ConditionalSelect(mask.AsSingle(), ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Or(Vector128<uint> left, Vector128<uint> right) => left | right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> ShiftLeft(Vector128<uint> value, int count) => value << count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> AsSingle(Vector128<uint> bits) => bits.AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> AsUInt32(Vector128<float> value) => value.AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ConvertToSingle(Vector128<uint> signedIntegers) => Vector128.ConvertToSingle(signedIntegers.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SubtractSingle(Vector128<float> left, Vector128<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaxSingle(Vector128<float> left, Vector128<float> right) => Vector128.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Ceiling(Vector128<float> value) => Vector128.Ceiling(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FusedMultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sqrt(Vector128<float> value) => Vector128.Sqrt(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> LessThanSingle(Vector128<float> left, Vector128<float> right) => Vector128.LessThan(left, right).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> DivideSingle(Vector128<float> left, Vector128<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> value) => Vector128.Exp(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowBytes(Vector128<uint> value, byte* destination)
    {
        Vector128<ushort> words = Vector128.Narrow(value, value);
        *(uint*)destination = Vector128.Narrow(words, words).AsUInt32().ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> LoadBytes(byte* source) =>
        Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalar(*(uint*)source).AsByte()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToUnitInterval(Vector128<uint> words) =>
        Vector128.ConvertToSingle((words >>> 8).AsInt32()) * Vector128.Create(VectorWidth.UnitStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> MultiplyEven(Vector128<uint> left, Vector128<uint> right) =>
        Sse2.IsSupported
            ? Sse2.Multiply(left, right)
            : (left.AsUInt64() & Vector128.Create(VectorWidth.LowHalf)) * (right.AsUInt64() & Vector128.Create(VectorWidth.LowHalf));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> OddToEven(Vector128<uint> value) => (value.AsUInt64() >>> 32).AsUInt32();
}
