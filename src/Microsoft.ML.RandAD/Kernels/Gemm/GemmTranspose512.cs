using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// 16×16 in-register transposition with AVX-512, used to pack panels whose source runs along k
/// (A in NN/NT, B in NT/TT). Four shuffle stages move 256 floats with 16 loads, 64 shuffles and 16 stores,
/// several times faster than an element-by-element transposition, which would cost as much as the
/// multiplication itself for the narrow products of a training step.
/// </summary>
internal static unsafe class GemmTranspose512
{
    // vshuff32x4 selectors: 128-bit lanes 0 and 2 (Even) or 1 and 3 (Odd) of each source.
    private const byte Even = 0b10_00_10_00;
    private const byte Odd = 0b11_01_11_01;

    /// <summary>
    /// Writes <c>destination[p·destinationStride + r] = source[r·rowStride + p]</c> for p &lt; <paramref name="columns"/>
    /// and r &lt; <paramref name="storeLanes"/>; rows at or past <paramref name="rows"/> are written as zero.
    /// </summary>
    /// <param name="source">First source row.</param>
    /// <param name="rowStride">Distance between source rows.</param>
    /// <param name="rows">Source rows to read (0..16); only their first <paramref name="columns"/> floats are read.</param>
    /// <param name="columns">Source columns to read (1..16) = destination rows written.</param>
    /// <param name="destination">First destination row.</param>
    /// <param name="destinationStride">Distance between destination rows.</param>
    /// <param name="storeLanes">Floats written per destination row (1..16).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block16(float* source, nint rowStride, int rows, int columns, float* destination, nint destinationStride, int storeLanes)
    {
        Vector512<float> zero = Vector512<float>.Zero;
        Vector512<float> mask = FirstLanes(columns);
        Vector512<float> storeMask = FirstLanes(storeLanes);
        Vector512<float> r0 = rows > 0 ? Avx512Ops.MaskLoad(source, mask) : zero;
        Vector512<float> r1 = rows > 1 ? Avx512Ops.MaskLoad(source + (1 * rowStride), mask) : zero;
        Vector512<float> r2 = rows > 2 ? Avx512Ops.MaskLoad(source + (2 * rowStride), mask) : zero;
        Vector512<float> r3 = rows > 3 ? Avx512Ops.MaskLoad(source + (3 * rowStride), mask) : zero;
        Vector512<float> r4 = rows > 4 ? Avx512Ops.MaskLoad(source + (4 * rowStride), mask) : zero;
        Vector512<float> r5 = rows > 5 ? Avx512Ops.MaskLoad(source + (5 * rowStride), mask) : zero;
        Vector512<float> r6 = rows > 6 ? Avx512Ops.MaskLoad(source + (6 * rowStride), mask) : zero;
        Vector512<float> r7 = rows > 7 ? Avx512Ops.MaskLoad(source + (7 * rowStride), mask) : zero;
        Vector512<float> r8 = rows > 8 ? Avx512Ops.MaskLoad(source + (8 * rowStride), mask) : zero;
        Vector512<float> r9 = rows > 9 ? Avx512Ops.MaskLoad(source + (9 * rowStride), mask) : zero;
        Vector512<float> r10 = rows > 10 ? Avx512Ops.MaskLoad(source + (10 * rowStride), mask) : zero;
        Vector512<float> r11 = rows > 11 ? Avx512Ops.MaskLoad(source + (11 * rowStride), mask) : zero;
        Vector512<float> r12 = rows > 12 ? Avx512Ops.MaskLoad(source + (12 * rowStride), mask) : zero;
        Vector512<float> r13 = rows > 13 ? Avx512Ops.MaskLoad(source + (13 * rowStride), mask) : zero;
        Vector512<float> r14 = rows > 14 ? Avx512Ops.MaskLoad(source + (14 * rowStride), mask) : zero;
        Vector512<float> r15 = rows > 15 ? Avx512Ops.MaskLoad(source + (15 * rowStride), mask) : zero;

        // Interleave pairs of rows, then pairs of pairs: u[4g + c] holds, in 128-bit lane L, rows 4g..4g+3 of column 4L + c.
        Vector512<float> t0 = Avx512Ops.UnpackLow(r0, r1), t1 = Avx512Ops.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512Ops.UnpackLow(r2, r3), t3 = Avx512Ops.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512Ops.UnpackLow(r4, r5), t5 = Avx512Ops.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512Ops.UnpackLow(r6, r7), t7 = Avx512Ops.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512Ops.UnpackLow(r8, r9), t9 = Avx512Ops.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512Ops.UnpackLow(r10, r11), t11 = Avx512Ops.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512Ops.UnpackLow(r12, r13), t13 = Avx512Ops.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512Ops.UnpackLow(r14, r15), t15 = Avx512Ops.UnpackHigh(r14, r15);
        Vector512<float> u0 = LowPairs(t0, t2), u1 = HighPairs(t0, t2), u2 = LowPairs(t1, t3), u3 = HighPairs(t1, t3);
        Vector512<float> u4 = LowPairs(t4, t6), u5 = HighPairs(t4, t6), u6 = LowPairs(t5, t7), u7 = HighPairs(t5, t7);
        Vector512<float> u8 = LowPairs(t8, t10), u9 = HighPairs(t8, t10), u10 = LowPairs(t9, t11), u11 = HighPairs(t9, t11);
        Vector512<float> u12 = LowPairs(t12, t14), u13 = HighPairs(t12, t14), u14 = LowPairs(t13, t15), u15 = HighPairs(t13, t15);

        // Gather the 128-bit lanes: column c comes from u[c], u[4 + c], u[8 + c], u[12 + c].
        Vector512<float> v0 = Avx512Ops.Shuffle4x128(u0, u4, Even), w0 = Avx512Ops.Shuffle4x128(u8, u12, Even);
        Vector512<float> x0 = Avx512Ops.Shuffle4x128(u0, u4, Odd), y0 = Avx512Ops.Shuffle4x128(u8, u12, Odd);
        Vector512<float> v1 = Avx512Ops.Shuffle4x128(u1, u5, Even), w1 = Avx512Ops.Shuffle4x128(u9, u13, Even);
        Vector512<float> x1 = Avx512Ops.Shuffle4x128(u1, u5, Odd), y1 = Avx512Ops.Shuffle4x128(u9, u13, Odd);
        Vector512<float> v2 = Avx512Ops.Shuffle4x128(u2, u6, Even), w2 = Avx512Ops.Shuffle4x128(u10, u14, Even);
        Vector512<float> x2 = Avx512Ops.Shuffle4x128(u2, u6, Odd), y2 = Avx512Ops.Shuffle4x128(u10, u14, Odd);
        Vector512<float> v3 = Avx512Ops.Shuffle4x128(u3, u7, Even), w3 = Avx512Ops.Shuffle4x128(u11, u15, Even);
        Vector512<float> x3 = Avx512Ops.Shuffle4x128(u3, u7, Odd), y3 = Avx512Ops.Shuffle4x128(u11, u15, Odd);

        Avx512Ops.MaskStore(destination, storeMask, Avx512Ops.Shuffle4x128(v0, w0, Even));
        if (columns <= 1)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (1 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(v1, w1, Even));
        if (columns <= 2)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (2 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(v2, w2, Even));
        if (columns <= 3)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (3 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(v3, w3, Even));
        if (columns <= 4)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (4 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x0, y0, Even));
        if (columns <= 5)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (5 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x1, y1, Even));
        if (columns <= 6)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (6 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x2, y2, Even));
        if (columns <= 7)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (7 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x3, y3, Even));
        if (columns <= 8)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (8 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(v0, w0, Odd));
        if (columns <= 9)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (9 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(v1, w1, Odd));
        if (columns <= 10)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (10 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(v2, w2, Odd));
        if (columns <= 11)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (11 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(v3, w3, Odd));
        if (columns <= 12)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (12 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x0, y0, Odd));
        if (columns <= 13)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (13 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x1, y1, Odd));
        if (columns <= 14)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (14 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x2, y2, Odd));
        if (columns <= 15)
        {
            return;
        }

        Avx512Ops.MaskStore(destination + (15 * destinationStride), storeMask, Avx512Ops.Shuffle4x128(x3, y3, Odd));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LowPairs(Vector512<float> a, Vector512<float> b) =>
        Avx512Ops.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> HighPairs(Vector512<float> a, Vector512<float> b) =>
        Avx512Ops.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FirstLanes(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
}
