using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>256-bit lanes (AVX2): selected only when <see cref="KernelSettings.IsSupported"/> says so.</summary>
internal readonly unsafe struct Width256 : IVectorWidth<Vector256<uint>, Vector256<float>>
{
    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Create(ReadOnlySpan<uint> values) => Vector256.Create(values);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Broadcast(uint value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Load(uint* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<uint> value, uint* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Add(Vector256<uint> left, Vector256<uint> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Subtract(Vector256<uint> left, Vector256<uint> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Xor(Vector256<uint> left, Vector256<uint> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> And(Vector256<uint> left, Vector256<uint> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> ShiftRightLogical(Vector256<uint> value, int count) => value >>> count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> LessThan(Vector256<uint> left, Vector256<uint> right) => Vector256.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> EqualsZero(Vector256<uint> value) => Vector256.Equals(value, Vector256<uint>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MostSignificantBits(Vector256<uint> value) => value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyHighLow(Vector256<uint> value, uint multiplier, out Vector256<uint> high, out Vector256<uint> low)
    {
        var m = Vector256.Create(multiplier);
        Vector256<ulong> even = MultiplyEven(value, m);
        Vector256<ulong> odd = MultiplyEven(OddToEven(value), m);
        high = ((even >>> 32) | (odd & Vector256.Create(VectorWidth.HighHalf))).AsUInt32();
        low = ((even & Vector256.Create(VectorWidth.LowHalf)) | (odd << 32)).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> MultiplyHigh64ByBound(Vector256<uint> low, Vector256<uint> high, uint bound)
    {
        var d = Vector256.Create(bound);
        Vector256<ulong> even = MultiplyEven(high, d) + (MultiplyEven(low, d) >>> 32);
        Vector256<ulong> odd = MultiplyEven(OddToEven(high), d) + (MultiplyEven(OddToEven(low), d) >>> 32);
        return ((even >>> 32) | (odd & Vector256.Create(VectorWidth.HighHalf))).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> InterleaveLow32(Vector256<uint> left, Vector256<uint> right) => Avx2.UnpackLow(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> InterleaveHigh32(Vector256<uint> left, Vector256<uint> right) => Avx2.UnpackHigh(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> InterleaveLow64(Vector256<uint> left, Vector256<uint> right) =>
        Avx2.UnpackLow(left.AsUInt64(), right.AsUInt64()).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> InterleaveHigh64(Vector256<uint> left, Vector256<uint> right) =>
        Avx2.UnpackHigh(left.AsUInt64(), right.AsUInt64()).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> BroadcastSingle(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadSingle(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSingle(Vector256<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> TailMask(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadSingleMasked(float* source, Vector256<float> mask) => Avx.MaskLoad(source, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSingleMasked(Vector256<float> value, float* destination, Vector256<float> mask) =>
        Avx.MaskStore(destination, mask, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddSingle(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplySingle(Vector256<float> left, Vector256<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> GreaterThanZero(Vector256<float> value) =>
        Vector256.GreaterThan(value, Vector256<float>.Zero).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<uint> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) =>
        Vector256.ConditionalSelect(mask.AsSingle(), ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Or(Vector256<uint> left, Vector256<uint> right) => left | right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> ShiftLeft(Vector256<uint> value, int count) => value << count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AsSingle(Vector256<uint> bits) => bits.AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> AsUInt32(Vector256<float> value) => value.AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ConvertToSingle(Vector256<uint> signedIntegers) => Vector256.ConvertToSingle(signedIntegers.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SubtractSingle(Vector256<float> left, Vector256<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxSingle(Vector256<float> left, Vector256<float> right) => Vector256.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Ceiling(Vector256<float> value) => Vector256.Ceiling(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sqrt(Vector256<float> value) => Vector256.Sqrt(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> LessThanSingle(Vector256<float> left, Vector256<float> right) => Vector256.LessThan(left, right).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> DivideSingle(Vector256<float> left, Vector256<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> value) => Vector256.Exp(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowBytes(Vector256<uint> value, byte* destination)
    {
        // Narrow each 128-bit half to 4 bytes and join them: avoids the cross-lane permutes of a 256-bit narrow.
        Vector128<ushort> words = Vector128.Narrow(value.GetLower(), value.GetUpper());
        *(ulong*)destination = Vector128.Narrow(words, words).AsUInt64().ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> LoadBytes(byte* source) => Avx2.ConvertToVector256Int32(source).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToUnitInterval(Vector256<uint> words) =>
        Vector256.ConvertToSingle((words >>> 8).AsInt32()) * Vector256.Create(VectorWidth.UnitStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> MultiplyEven(Vector256<uint> left, Vector256<uint> right) =>
        Avx2.IsSupported
            ? Avx2.Multiply(left, right)
            : (left.AsUInt64() & Vector256.Create(VectorWidth.LowHalf)) * (right.AsUInt64() & Vector256.Create(VectorWidth.LowHalf));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> OddToEven(Vector256<uint> value) => (value.AsUInt64() >>> 32).AsUInt32();
}
