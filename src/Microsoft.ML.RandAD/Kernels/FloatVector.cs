using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// A float vector of one width, so an element-wise kernel is written once as a generic method and
/// instantiated for 128, 256 and 512 bits (.NET keeps its own <c>ISimdVector</c> internal). Struct generics
/// with static abstract members are specialized by the JIT: no boxing, no virtual calls.
/// </summary>
internal interface IFloatVector<TSelf>
    where TSelf : struct, IFloatVector<TSelf>
{
    static abstract int Count { get; }

    static abstract TSelf Create(float value);

    static abstract TSelf Load(ref float source, nuint index);

    static abstract void Store(TSelf value, ref float destination, nuint index);

    static abstract TSelf Sqrt(TSelf value);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    static abstract TSelf operator /(TSelf left, TSelf right);
}

/// <summary>128-bit lane of <see cref="IFloatVector{TSelf}"/>.</summary>
internal readonly struct Float128(Vector128<float> value) : IFloatVector<Float128>
{
    private readonly Vector128<float> _value = value;

    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Create(float value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Load(ref float source, nuint index) => new(Vector128.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Float128 value, ref float destination, nuint index) => value._value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Sqrt(Float128 value) => new(Vector128.Sqrt(value._value));

    public static Float128 operator +(Float128 left, Float128 right) => new(left._value + right._value);

    public static Float128 operator -(Float128 left, Float128 right) => new(left._value - right._value);

    public static Float128 operator *(Float128 left, Float128 right) => new(left._value * right._value);

    public static Float128 operator /(Float128 left, Float128 right) => new(left._value / right._value);
}

/// <summary>256-bit lane of <see cref="IFloatVector{TSelf}"/>.</summary>
internal readonly struct Float256(Vector256<float> value) : IFloatVector<Float256>
{
    private readonly Vector256<float> _value = value;

    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Create(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Load(ref float source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Float256 value, ref float destination, nuint index) => value._value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Sqrt(Float256 value) => new(Vector256.Sqrt(value._value));

    public static Float256 operator +(Float256 left, Float256 right) => new(left._value + right._value);

    public static Float256 operator -(Float256 left, Float256 right) => new(left._value - right._value);

    public static Float256 operator *(Float256 left, Float256 right) => new(left._value * right._value);

    public static Float256 operator /(Float256 left, Float256 right) => new(left._value / right._value);
}

/// <summary>512-bit lane of <see cref="IFloatVector{TSelf}"/>.</summary>
internal readonly struct Float512(Vector512<float> value) : IFloatVector<Float512>
{
    private readonly Vector512<float> _value = value;

    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Create(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Load(ref float source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Float512 value, ref float destination, nuint index) => value._value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Sqrt(Float512 value) => new(Vector512.Sqrt(value._value));

    public static Float512 operator +(Float512 left, Float512 right) => new(left._value + right._value);

    public static Float512 operator -(Float512 left, Float512 right) => new(left._value - right._value);

    public static Float512 operator *(Float512 left, Float512 right) => new(left._value * right._value);

    public static Float512 operator /(Float512 left, Float512 right) => new(left._value / right._value);
}
