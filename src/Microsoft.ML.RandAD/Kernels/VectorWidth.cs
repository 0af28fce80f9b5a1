using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The operations our kernels need on one vector width, so each kernel is written once as a generic method
/// and the JIT specializes it per width (<see cref="Width128"/>, <see cref="Width256"/>, <see cref="Width512"/>).
/// </summary>
/// <remarks>
/// Every operation is exact (integer arithmetic, IEEE single add/multiply, compares, selects, moves), so a
/// kernel written over this interface gives bit-identical results on every width as long as it performs
/// the same operations per element as its scalar reference.
/// </remarks>
/// <typeparam name="TU">The vector of unsigned 32-bit lanes.</typeparam>
/// <typeparam name="TF">The vector of single-precision lanes, same width.</typeparam>
internal unsafe interface IVectorWidth<TU, TF>
    where TU : unmanaged
    where TF : unmanaged
{
    /// <summary>Number of 32-bit lanes.</summary>
    static abstract int Count { get; }

    /// <summary>Vector from the first <see cref="Count"/> values.</summary>
    static abstract TU Create(ReadOnlySpan<uint> values);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TU Broadcast(uint value);

    /// <summary>Unaligned load.</summary>
    static abstract TU Load(uint* source);

    /// <summary>Unaligned store.</summary>
    static abstract void Store(TU value, uint* destination);

    /// <summary>Lane-wise wrapping add.</summary>
    static abstract TU Add(TU left, TU right);

    /// <summary>Lane-wise wrapping subtract.</summary>
    static abstract TU Subtract(TU left, TU right);

    /// <summary>Lane-wise exclusive or.</summary>
    static abstract TU Xor(TU left, TU right);

    /// <summary>Lane-wise and.</summary>
    static abstract TU And(TU left, TU right);

    /// <summary>Lane-wise logical right shift.</summary>
    static abstract TU ShiftRightLogical(TU value, int count);

    /// <summary>All ones where <c>left &lt; right</c> (unsigned), zero elsewhere.</summary>
    static abstract TU LessThan(TU left, TU right);

    /// <summary>All ones where the lane is zero.</summary>
    static abstract TU EqualsZero(TU value);

    /// <summary>Bit j = most significant bit of lane j.</summary>
    static abstract ulong MostSignificantBits(TU value);

    /// <summary>The 64-bit product <c>value·multiplier</c> of every lane, split into its high and low words.</summary>
    static abstract void MultiplyHighLow(TU value, uint multiplier, out TU high, out TU low);

    /// <summary>
    /// Per lane, <c>(w · bound) &gt;&gt; 64</c> with <c>w = high·2^32 + low</c>, computed as
    /// <c>(high·bound + ((low·bound) &gt;&gt; 32)) &gt;&gt; 32</c>, which is exact and cannot overflow for bound &lt; 2^31.
    /// </summary>
    static abstract TU MultiplyHigh64ByBound(TU low, TU high, uint bound);

    /// <summary>Within each 128-bit lane: <c>[l0, r0, l1, r1]</c>.</summary>
    static abstract TU InterleaveLow32(TU left, TU right);

    /// <summary>Within each 128-bit lane: <c>[l2, r2, l3, r3]</c>.</summary>
    static abstract TU InterleaveHigh32(TU left, TU right);

    /// <summary>Within each 128-bit lane: <c>[l01, r01]</c> (64-bit halves).</summary>
    static abstract TU InterleaveLow64(TU left, TU right);

    /// <summary>Within each 128-bit lane: <c>[l23, r23]</c> (64-bit halves).</summary>
    static abstract TU InterleaveHigh64(TU left, TU right);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TF BroadcastSingle(float value);

    /// <summary>Unaligned load.</summary>
    static abstract TF LoadSingle(float* source);

    /// <summary>Unaligned store.</summary>
    static abstract void StoreSingle(TF value, float* destination);

    /// <summary>A lane mask selecting the first <paramref name="count"/> (0 ≤ count ≤ <see cref="Count"/>) lanes, for the masked loads and stores.</summary>
    static abstract TF TailMask(int count);

    /// <summary>Loads the lanes selected by <paramref name="mask"/> (a <see cref="TailMask"/>), zero elsewhere; never touches memory of other lanes.</summary>
    static abstract TF LoadSingleMasked(float* source, TF mask);

    /// <summary>Stores the lanes selected by <paramref name="mask"/> (a <see cref="TailMask"/>); never touches memory of other lanes.</summary>
    static abstract void StoreSingleMasked(TF value, float* destination, TF mask);

    /// <summary>Lane-wise IEEE add.</summary>
    static abstract TF AddSingle(TF left, TF right);

    /// <summary>Lane-wise IEEE multiply.</summary>
    static abstract TF MultiplySingle(TF left, TF right);

    /// <summary>All ones where <c>value &gt; 0</c> (false for NaN).</summary>
    static abstract TU GreaterThanZero(TF value);

    /// <summary><paramref name="ifTrue"/> where the mask lane is all ones, <paramref name="ifFalse"/> where it is zero.</summary>
    static abstract TF Select(TU mask, TF ifTrue, TF ifFalse);

    /// <summary>Lane-wise or.</summary>
    static abstract TU Or(TU left, TU right);

    /// <summary>Lane-wise left shift.</summary>
    static abstract TU ShiftLeft(TU value, int count);

    /// <summary>The lanes' bits as floats.</summary>
    static abstract TF AsSingle(TU bits);

    /// <summary>The lanes' float bits.</summary>
    static abstract TU AsUInt32(TF value);

    /// <summary>Each lane read as a signed 32-bit integer, converted to the nearest float.</summary>
    static abstract TF ConvertToSingle(TU signedIntegers);

    /// <summary>Lane-wise IEEE subtract.</summary>
    static abstract TF SubtractSingle(TF left, TF right);

    /// <summary>Lane-wise maximum as <see cref="MathF.Max"/> (and <c>TensorPrimitives.Max</c>): NaN if either is NaN, +0 above −0.</summary>
    static abstract TF MaxSingle(TF left, TF right);

    /// <summary>Lane-wise round toward +∞ (exact, as <see cref="MathF.Ceiling"/>).</summary>
    static abstract TF Ceiling(TF value);

    /// <summary>Lane-wise <c>a·b + c</c> rounded once (as <see cref="MathF.FusedMultiplyAdd"/>).</summary>
    static abstract TF FusedMultiplyAdd(TF a, TF b, TF c);

    /// <summary>Lane-wise IEEE square root (correctly rounded, as <see cref="MathF.Sqrt"/>).</summary>
    static abstract TF Sqrt(TF value);

    /// <summary>All ones where <c>left &lt; right</c> (false when either is NaN).</summary>
    static abstract TU LessThanSingle(TF left, TF right);

    /// <summary>Lane-wise IEEE divide (correctly rounded).</summary>
    static abstract TF DivideSingle(TF left, TF right);

    /// <summary>
    /// Lane-wise <c>e^x</c>: the runtime's vector exponential (what <c>TensorPrimitives.Exp</c> computes on each vector), the
    /// one operation here that is not exact; the same algorithm on every width, lane by lane.
    /// </summary>
    static abstract TF Exp(TF value);

    /// <summary>Stores the low byte of each lane: <see cref="Count"/> bytes (lanes must hold values below 256).</summary>
    static abstract void StoreLowBytes(TU value, byte* destination);

    /// <summary>Loads <see cref="Count"/> bytes, each zero-extended into its lane.</summary>
    static abstract TU LoadBytes(byte* source);

    /// <summary><c>(words &gt;&gt; 8) · 2^-24</c>: a float in [0, 1) from the top 24 bits of each word (exact).</summary>
    static abstract TF ToUnitInterval(TU words);
}

/// <summary>Helpers shared by all widths.</summary>
internal static class VectorWidth
{
    /// <summary>2^-24: one step of a 24-bit mantissa in [0, 1).</summary>
    public const float UnitStep = 1f / 16777216f;

    /// <summary>Mask of the low 32 bits of a 64-bit lane.</summary>
    public const ulong LowHalf = 0x0000_0000_FFFF_FFFFUL;

    /// <summary>Mask of the high 32 bits of a 64-bit lane.</summary>
    public const ulong HighHalf = 0xFFFF_FFFF_0000_0000UL;

    /// <summary>Bit j set in lane j: lane masks for expanding a 32-bit word into 32 lanes.</summary>
    public static ReadOnlySpan<uint> LaneBits =>
    [
        1u << 0, 1u << 1, 1u << 2, 1u << 3, 1u << 4, 1u << 5, 1u << 6, 1u << 7,
        1u << 8, 1u << 9, 1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
        1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
        1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31,
    ];

    /// <summary>The scalar twin of <see cref="IVectorWidth{TU, TF}.ToUnitInterval"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUnitInterval(uint word) => (int)(word >> 8) * UnitStep;
}
