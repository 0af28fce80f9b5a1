using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// 8×8 in-register transposition with AVX, the 256-bit path's counterpart of <see cref="GemmTranspose512"/>:
/// 8 loads, 24 shuffles and 8 stores per 64 floats instead of 64 scalar moves.
/// </summary>
internal static unsafe class GemmTranspose256
{
    /// <summary>
    /// Writes <c>destination[p·destinationStride + r] = source[r·rowStride + p]</c> for p &lt; <paramref name="columns"/>
    /// and r &lt; <paramref name="storeLanes"/>; rows at or past <paramref name="rows"/> are written as zero.
    /// </summary>
    /// <param name="source">First source row.</param>
    /// <param name="rowStride">Distance between source rows.</param>
    /// <param name="rows">Source rows to read (0..8); only their first <paramref name="columns"/> floats are read.</param>
    /// <param name="columns">Source columns to read (1..8) = destination rows written.</param>
    /// <param name="destination">First destination row.</param>
    /// <param name="destinationStride">Distance between destination rows.</param>
    /// <param name="storeLanes">Floats written per destination row (1..8).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block8(float* source, nint rowStride, int rows, int columns, float* destination, nint destinationStride, int storeLanes)
    {
        Vector256<float> mask = FirstLanes(columns);
        Vector256<float> storeMask = FirstLanes(storeLanes);
        bool wholeStores = storeLanes == 8;
        // Whole rows and whole destination rows take plain loads and stores: AVX2's masked store is slow on AMD cores (the
        // B transposition of a one-thread NT 128×256×256 took a quarter of the product's time on Zen 3).
        bool wholeRows = columns == 8;
        Vector256<float> r0 = Row(source, 0 < rows, wholeRows, mask);
        Vector256<float> r1 = Row(source + rowStride, 1 < rows, wholeRows, mask);
        Vector256<float> r2 = Row(source + (2 * rowStride), 2 < rows, wholeRows, mask);
        Vector256<float> r3 = Row(source + (3 * rowStride), 3 < rows, wholeRows, mask);
        Vector256<float> r4 = Row(source + (4 * rowStride), 4 < rows, wholeRows, mask);
        Vector256<float> r5 = Row(source + (5 * rowStride), 5 < rows, wholeRows, mask);
        Vector256<float> r6 = Row(source + (6 * rowStride), 6 < rows, wholeRows, mask);
        Vector256<float> r7 = Row(source + (7 * rowStride), 7 < rows, wholeRows, mask);

        // Pairs of rows interleaved, then 4-float groups: u[c] (rows 0-3) and u[4 + c] (rows 4-7) hold column c
        // in their low 128 bits and column 4 + c in their high 128 bits.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Store(destination, Avx.Permute2x128(u0, u4, 0x20), wholeStores, storeMask);
        if (columns > 1)
        {
            Store(destination + destinationStride, Avx.Permute2x128(u1, u5, 0x20), wholeStores, storeMask);
        }

        if (columns > 2)
        {
            Store(destination + (2 * destinationStride), Avx.Permute2x128(u2, u6, 0x20), wholeStores, storeMask);
        }

        if (columns > 3)
        {
            Store(destination + (3 * destinationStride), Avx.Permute2x128(u3, u7, 0x20), wholeStores, storeMask);
        }

        if (columns > 4)
        {
            Store(destination + (4 * destinationStride), Avx.Permute2x128(u0, u4, 0x31), wholeStores, storeMask);
        }

        if (columns > 5)
        {
            Store(destination + (5 * destinationStride), Avx.Permute2x128(u1, u5, 0x31), wholeStores, storeMask);
        }

        if (columns > 6)
        {
            Store(destination + (6 * destinationStride), Avx.Permute2x128(u2, u6, 0x31), wholeStores, storeMask);
        }

        if (columns > 7)
        {
            Store(destination + (7 * destinationStride), Avx.Permute2x128(u3, u7, 0x31), wholeStores, storeMask);
        }
    }

    /// <summary>A source row: all eight floats, the first few (masked), or zero past the rows read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(float* source, bool present, bool whole, Vector256<float> mask) =>
        !present ? Vector256<float>.Zero : whole ? Vector256.Load(source) : Avx.MaskLoad(source, mask);

    /// <summary>A destination row: all eight floats, or the first few (masked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* destination, Vector256<float> value, bool whole, Vector256<float> mask)
    {
        if (whole)
        {
            Vector256.Store(value, destination);
        }
        else
        {
            Avx.MaskStore(destination, mask, value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FirstLanes(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
}
