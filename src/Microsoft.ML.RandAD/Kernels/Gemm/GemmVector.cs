using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The few vector operations the GEMM kernels need, so each kernel is written once as a generic method and
/// the JIT specializes it per width (<see cref="GemmVector512"/>, <see cref="GemmVector256"/>,
/// <see cref="GemmVector128"/>, <see cref="GemmScalar"/>).
/// </summary>
/// <remarks>
/// Partial loads and stores touch only the first <c>count</c> lanes' memory, so edge tiles never read or
/// write outside the caller's matrices.
/// </remarks>
/// <typeparam name="TVec">The vector type (or <see cref="float"/> for the scalar path).</typeparam>
internal unsafe interface IGemmVector<TVec>
    where TVec : unmanaged
{
    /// <summary>Number of float lanes.</summary>
    static abstract int Lanes { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TVec Zero { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVec Broadcast(float value);

    /// <summary>Unaligned load of <see cref="Lanes"/> floats.</summary>
    static abstract TVec Load(float* source);

    /// <summary>Loads the first <paramref name="count"/> lanes (0 ≤ count ≤ Lanes); the others are zero and their memory is not read.</summary>
    static abstract TVec LoadFirst(float* source, int count);

    /// <summary>Unaligned store of <see cref="Lanes"/> floats.</summary>
    static abstract void Store(float* destination, TVec value);

    /// <summary>Stores the first <paramref name="count"/> lanes (0 ≤ count ≤ Lanes); memory past them is not written.</summary>
    static abstract void StoreFirst(float* destination, TVec value, int count);

    /// <summary><c>a·b + c</c>, fused where the hardware fuses.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>Lane-wise product.</summary>
    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>Lane-wise sum.</summary>
    static abstract TVec Add(TVec a, TVec b);
}

/// <summary>512-bit lanes (AVX-512F): masked loads and stores for the edges.</summary>
internal readonly unsafe struct GemmVector512 : IGemmVector<Vector512<float>>
{
    public static int Lanes => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadFirst(float* source, int count) =>
        Avx512Ops.MaskLoad(source, FirstLanes(count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector512<float> value) => Vector512.Store(value, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* destination, Vector512<float> value, int count) =>
        Avx512Ops.MaskStore(destination, FirstLanes(count), value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FirstLanes(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
}

/// <summary>256-bit lanes (AVX2 + FMA): <c>vmaskmovps</c> loads for the edges, which never fault on masked-off lanes; partial stores of whole pieces.</summary>
internal readonly unsafe struct GemmVector256 : IGemmVector<Vector256<float>>
{
    public static int Lanes => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFirst(float* source, int count) => Avx.MaskLoad(source, FirstLanes(count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> value) => Vector256.Store(value, destination);

    /// <summary>
    /// The first <paramref name="count"/> lanes as 16-, 8- and 4-byte stores: on AMD <c>vmaskmovps</c> to memory is
    /// microcoded, and the rows of a 1568×16×10 product, each ending in two lanes, ran at 0.72× OpenBLAS's speed with it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* destination, Vector256<float> value, int count)
    {
        Vector128<float> rest = value.GetLower();
        if ((count & 8) != 0)
        {
            Vector256.Store(value, destination);
            return;
        }

        if ((count & 4) != 0)
        {
            Vector128.Store(rest, destination);
            destination += 4;
            rest = value.GetUpper();
        }

        if ((count & 2) != 0)
        {
            *(double*)destination = rest.AsDouble().ToScalar();
            destination += 2;
            rest = Sse.MoveHighToLow(rest, rest);
        }

        if ((count & 1) != 0)
        {
            *destination = rest.ToScalar();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FirstLanes(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
}

/// <summary>128-bit lanes, portable (SSE or NEON): partial loads and stores go lane by lane, so no x86-only masked moves.</summary>
internal readonly unsafe struct GemmVector128 : IGemmVector<Vector128<float>>
{
    public static int Lanes => Vector128<float>.Count;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadFirst(float* source, int count) =>
        Vector128.Create(
            count > 0 ? source[0] : 0f,
            count > 1 ? source[1] : 0f,
            count > 2 ? source[2] : 0f,
            count > 3 ? source[3] : 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector128<float> value) => Vector128.Store(value, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* destination, Vector128<float> value, int count)
    {
        for (int i = 0; i < count; i++)
        {
            destination[i] = value.GetElement(i);
        }
    }

    // MultiplyAddEstimate fuses where the hardware has FMA and falls back to multiply + add (never to a
    // slow software FMA) where it does not.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
}

/// <summary>One float per "vector": the plain scalar reference path (multiply, then add; never fused).</summary>
internal readonly unsafe struct GemmScalar : IGemmVector<float>
{
    public static int Lanes => 1;

    public static float Zero => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* source) => *source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadFirst(float* source, int count) => count > 0 ? *source : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, float value) => *destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* destination, float value, int count)
    {
        if (count > 0)
        {
            *destination = value;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float a, float b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b) => a + b;
}
