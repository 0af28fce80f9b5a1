using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>512-bit lanes (AVX-512F): selected only when <see cref="KernelSettings.IsSupported"/> says so.</summary>
internal readonly unsafe struct Width512 : IVectorWidth<Vector512<uint>, Vector512<float>>
{
    public static int Count => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Create(ReadOnlySpan<uint> values) => Vector512.Create(values);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Broadcast(uint value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Load(uint* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<uint> value, uint* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Add(Vector512<uint> left, Vector512<uint> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Subtract(Vector512<uint> left, Vector512<uint> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Xor(Vector512<uint> left, Vector512<uint> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> And(Vector512<uint> left, Vector512<uint> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> ShiftRightLogical(Vector512<uint> value, int count) => value >>> count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> LessThan(Vector512<uint> left, Vector512<uint> right) => Vector512.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> EqualsZero(Vector512<uint> value) => Vector512.Equals(value, Vector512<uint>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MostSignificantBits(Vector512<uint> value) => value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyHighLow(Vector512<uint> value, uint multiplier, out Vector512<uint> high, out Vector512<uint> low)
    {
        var m = Vector512.Create(multiplier);
        Vector512<ulong> even = MultiplyEven(value, m);
        Vector512<ulong> odd = MultiplyEven(OddToEven(value), m);
        high = ((even >>> 32) | (odd & Vector512.Create(VectorWidth.HighHalf))).AsUInt32();
        low = ((even & Vector512.Create(VectorWidth.LowHalf)) | (odd << 32)).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> MultiplyHigh64ByBound(Vector512<uint> low, Vector512<uint> high, uint bound)
    {
        var d = Vector512.Create(bound);
        Vector512<ulong> even = MultiplyEven(high, d) + (MultiplyEven(low, d) >>> 32);
        Vector512<ulong> odd = MultiplyEven(OddToEven(high), d) + (MultiplyEven(OddToEven(low), d) >>> 32);
        return ((even >>> 32) | (odd & Vector512.Create(VectorWidth.HighHalf))).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> InterleaveLow32(Vector512<uint> left, Vector512<uint> right) => Avx512Ops.UnpackLow(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> InterleaveHigh32(Vector512<uint> left, Vector512<uint> right) => Avx512Ops.UnpackHigh(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> InterleaveLow64(Vector512<uint> left, Vector512<uint> right) =>
        Avx512Ops.UnpackLow(left.AsUInt64(), right.AsUInt64()).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> InterleaveHigh64(Vector512<uint> left, Vector512<uint> right) =>
        Avx512Ops.UnpackHigh(left.AsUInt64(), right.AsUInt64()).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> BroadcastSingle(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadSingle(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSingle(Vector512<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> TailMask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadSingleMasked(float* source, Vector512<float> mask) =>
        Avx512Ops.MaskLoad(source, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSingleMasked(Vector512<float> value, float* destination, Vector512<float> mask) =>
        Avx512Ops.MaskStore(destination, mask, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AddSingle(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplySingle(Vector512<float> left, Vector512<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> GreaterThanZero(Vector512<float> value) =>
        Vector512.GreaterThan(value, Vector512<float>.Zero).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<uint> mask, Vector512<float> ifTrue, Vector512<float> ifFalse) =>
        Vector512.ConditionalSelect(mask.AsSingle(), ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Or(Vector512<uint> left, Vector512<uint> right) => left | right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> ShiftLeft(Vector512<uint> value, int count) => value << count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AsSingle(Vector512<uint> bits) => bits.AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> AsUInt32(Vector512<float> value) => value.AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ConvertToSingle(Vector512<uint> signedIntegers) => Vector512.ConvertToSingle(signedIntegers.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SubtractSingle(Vector512<float> left, Vector512<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxSingle(Vector512<float> left, Vector512<float> right) => Vector512.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Ceiling(Vector512<float> value) => Vector512.Ceiling(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sqrt(Vector512<float> value) => Vector512.Sqrt(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> LessThanSingle(Vector512<float> left, Vector512<float> right) => Vector512.LessThan(left, right).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> DivideSingle(Vector512<float> left, Vector512<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> value) => Vector512.Exp(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowBytes(Vector512<uint> value, byte* destination) => Avx512Ops.TruncateToBytes(value).Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> LoadBytes(byte* source) => Avx512Ops.WidenBytes(Vector128.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToUnitInterval(Vector512<uint> words) =>
        Vector512.ConvertToSingle((words >>> 8).AsInt32()) * Vector512.Create(VectorWidth.UnitStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> MultiplyEven(Vector512<uint> left, Vector512<uint> right) =>
        Avx512F.IsSupported
            ? Avx512F.Multiply(left, right)
            : (left.AsUInt64() & Vector512.Create(VectorWidth.LowHalf)) * (right.AsUInt64() & Vector512.Create(VectorWidth.LowHalf));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> OddToEven(Vector512<uint> value) => (value.AsUInt64() >>> 32).AsUInt32();
}
