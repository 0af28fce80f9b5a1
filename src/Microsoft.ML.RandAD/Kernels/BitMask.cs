using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// One bit per element: what a ReLU keeps for its backward pass (x &gt; 0), 32× smaller than the float input.
/// Bit <c>i</c> lives in word <c>i / 64</c> at position <c>i % 64</c>.
/// </summary>
/// <remarks>
/// Vector paths compare whole vectors and collect the sign bits (ExtractMostSignificantBits) into mask words;
/// <see cref="Apply"/> broadcasts each half-word and tests one bit per lane. Every path gives the same bits and
/// the same floats as the scalar one (selects, not Max, so NaN and −0 behave identically). Inputs of more than
/// 2^16 elements (a 16-image chunk of the CNN's first ReLU has 200K) are split over <see cref="WorkerPool"/> in whole mask words; element-wise work cannot depend on the split.
/// Outputs may alias inputs exactly (<c>y</c> = <c>x</c>, <c>destination</c> = <c>gradient</c>), not partially.
/// </remarks>
public static unsafe class BitMask
{
    private const int PartElements = 1 << 16;

    /// <summary>Number of 64-bit words that hold <paramref name="length"/> bits.</summary>
    /// <param name="length">Number of elements.</param>
    /// <returns>The word count.</returns>
    public static int WordCount(int length) => (length + 63) >> 6;

    /// <summary>Sets bit i to <c>x[i] &gt; 0</c> (NaN gives 0).</summary>
    /// <param name="x">The values.</param>
    /// <param name="mask">At least <see cref="WordCount"/>(x.Length) words; bits past the end are cleared.</param>
    /// <exception cref="ArgumentException">The mask is too short.</exception>
    public static void PackGreaterThanZero(ReadOnlySpan<float> x, Span<ulong> mask)
    {
        ThrowIfMaskTooShort(mask, x.Length);
        fixed (float* px = x)
        fixed (ulong* pm = mask)
        {
            var job = new MaskJob(MaskKind.Pack, px, null, pm, x.Length, 0f);
            job.Run();
        }
    }

    /// <summary>ReLU forward fused with the mask: <c>y = max(x, 0)</c>, bit i = <c>x[i] &gt; 0</c>.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output (may alias <paramref name="x"/>).</param>
    /// <param name="mask">The mask words.</param>
    /// <exception cref="ArgumentException">The output or the mask is too short.</exception>
    public static void ReluForward(ReadOnlySpan<float> x, Span<float> y, Span<ulong> mask)
    {
        ThrowIfMaskTooShort(mask, x.Length);
        ThrowIfTooShort(y.Length, x.Length, nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (ulong* pm = mask)
        {
            var job = new MaskJob(MaskKind.Relu, px, py, pm, x.Length, 0f);
            job.Run();
        }
    }

    /// <summary>LeakyReLU forward fused with the mask: <c>y = x &gt; 0 ? x : negativeSlope·x</c>, bit i = <c>x[i] &gt; 0</c>.</summary>
    /// <param name="x">Input.</param>
    /// <param name="negativeSlope">Factor applied where x is not positive (the backward pass passes it to <see cref="Apply"/>).</param>
    /// <param name="y">Output (may alias <paramref name="x"/>).</param>
    /// <param name="mask">The mask words.</param>
    /// <exception cref="ArgumentException">The output or the mask is too short.</exception>
    public static void LeakyReluForward(ReadOnlySpan<float> x, float negativeSlope, Span<float> y, Span<ulong> mask)
    {
        ThrowIfMaskTooShort(mask, x.Length);
        ThrowIfTooShort(y.Length, x.Length, nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (ulong* pm = mask)
        {
            var job = new MaskJob(MaskKind.LeakyRelu, px, py, pm, x.Length, negativeSlope);
            job.Run();
        }
    }

    /// <summary><c>destination[i] = bit i ? gradient[i] : negativeScale·gradient[i]</c> (0 for ReLU, the slope for LeakyReLU).</summary>
    /// <param name="mask">The mask words.</param>
    /// <param name="gradient">Incoming gradient.</param>
    /// <param name="negativeScale">Factor where the bit is clear.</param>
    /// <param name="destination">Output (may alias <paramref name="gradient"/>).</param>
    /// <exception cref="ArgumentException">The destination or the mask is too short.</exception>
    public static void Apply(ReadOnlySpan<ulong> mask, ReadOnlySpan<float> gradient, float negativeScale, Span<float> destination)
    {
        if (mask.Length < WordCount(gradient.Length))
        {
            throw new ArgumentException($"The mask has {mask.Length} words; {gradient.Length} elements need {WordCount(gradient.Length)}.", nameof(mask));
        }

        ThrowIfTooShort(destination.Length, gradient.Length, nameof(destination));
        fixed (ulong* pm = mask)
        fixed (float* pg = gradient)
        fixed (float* pd = destination)
        {
            var job = new MaskJob(MaskKind.Apply, pg, pd, pm, gradient.Length, negativeScale);
            job.Run();
        }
    }

    /// <summary>
    /// <see cref="PackGreaterThanZero"/> of <paramref name="length"/> values (a multiple of 8) into the bits from byte
    /// <paramref name="mask"/> on, on the calling thread: exactly <c>length / 8</c> bytes are written, so parts of a mask
    /// that start and end on byte boundaries (a pooled image whose pixels have a multiple of 8 channels) can be written by
    /// different threads. The same bits as the word-wise pack.
    /// </summary>
    internal static void PackGreaterThanZeroBytes(float* x, int length, byte* mask, KernelPath path)
    {
        int whole = length & ~63;
        switch (path)
        {
            case KernelPath.Vector512:
                BitMaskLanes.Forward<Width512, Vector512<uint>, Vector512<float>, MaskOnly>(x, null, (ulong*)mask, whole, 0f);
                break;
            case KernelPath.Vector256:
                BitMaskLanes.Forward<Width256, Vector256<uint>, Vector256<float>, MaskOnly>(x, null, (ulong*)mask, whole, 0f);
                break;
            case KernelPath.Vector128:
                BitMaskLanes.Forward<Width128, Vector128<uint>, Vector128<float>, MaskOnly>(x, null, (ulong*)mask, whole, 0f);
                break;
            default:
                PackBytesScalar(x, 0, whole, mask);
                break;
        }

        PackBytesScalar(x, whole, length, mask);
    }

    /// <summary>
    /// <see cref="Apply"/> with a factor of 0 (ReLU) for <paramref name="length"/> elements (a multiple of 8) whose bits start
    /// at byte <paramref name="mask"/>, on the calling thread, reading no byte past <c>length / 8</c>: the same floats.
    /// </summary>
    internal static void ApplyBytes(byte* mask, float* gradient, float* destination, int length, KernelPath path)
    {
        int whole = length & ~63;
        switch (path)
        {
            case KernelPath.Vector512:
                BitMaskLanes.Apply<Width512, Vector512<uint>, Vector512<float>>((ulong*)mask, gradient, 0f, destination, whole);
                break;
            case KernelPath.Vector256:
                BitMaskLanes.Apply<Width256, Vector256<uint>, Vector256<float>>((ulong*)mask, gradient, 0f, destination, whole);
                break;
            case KernelPath.Vector128:
                BitMaskLanes.Apply<Width128, Vector128<uint>, Vector128<float>>((ulong*)mask, gradient, 0f, destination, whole);
                break;
            default:
                ApplyBytesScalar(mask, gradient, destination, 0, whole);
                break;
        }

        ApplyBytesScalar(mask, gradient, destination, whole, length);
    }

    /// <summary>
    /// <see cref="ReluForward"/> in place on <paramref name="length"/> values whose bits start at bit <paramref name="firstBit"/>
    /// of <paramref name="mask"/>, on the calling thread: bytes the range covers only in part are read and rewritten, whole ones
    /// written; no other byte is touched. For a product's epilogue, a block of a row at a time; the same output and bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void ReluForwardBits(float* x, int length, byte* mask, long firstBit, KernelPath path)
    {
        int whole = 0;
        if ((firstBit & 7) == 0)
        {
            whole = length & ~63;
            ulong* words = (ulong*)(mask + (firstBit >> 3));
            switch (path)
            {
                case KernelPath.Vector512:
                    BitMaskLanes.Forward<Width512, Vector512<uint>, Vector512<float>, ReluPart>(x, x, words, whole, 0f);
                    break;
                case KernelPath.Vector256:
                    BitMaskLanes.Forward<Width256, Vector256<uint>, Vector256<float>, ReluPart>(x, x, words, whole, 0f);
                    break;
                case KernelPath.Vector128:
                    BitMaskLanes.Forward<Width128, Vector128<uint>, Vector128<float>, ReluPart>(x, x, words, whole, 0f);
                    break;
                default:
                    whole = 0;
                    break;
            }
        }

        ReluBitsScalar(x, whole, length, mask, firstBit);
    }

    /// <summary>
    /// <see cref="Apply"/> with a factor of 0 (ReLU) for <paramref name="length"/> elements whose bits start at bit
    /// <paramref name="firstBit"/> of <paramref name="mask"/>, on the calling thread: the same floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void ApplyBits(byte* mask, long firstBit, float* gradient, float* destination, int length, KernelPath path)
    {
        byte* first = mask + (firstBit >> 3);
        int offset = (int)(firstBit & 7);
        if (offset == 0)
        {
            ApplyBytes(first, gradient, destination, length, path);
            return;
        }

        // Elements counted from the start of the first byte: [offset, offset + length) of the shifted arrays.
        ApplyBytesScalar(first, gradient - offset, destination - offset, offset, offset + length);
    }

    /// <summary>Elements [first, end) of <see cref="ReluForwardBits"/>: <c>x &gt; 0 ? x : 0</c> and each bit set or cleared alone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void ReluBitsScalar(float* x, int first, int end, byte* mask, long firstBit)
    {
        for (int i = first; i < end; i++)
        {
            long bit = firstBit + i;
            float v = x[i];
            byte flag = (byte)(1 << (int)(bit & 7));
            mask[bit >> 3] = v > 0 ? (byte)(mask[bit >> 3] | flag) : (byte)(mask[bit >> 3] & ~flag);
            x[i] = v > 0 ? v : 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void PackBytesScalar(float* x, int first, int end, byte* mask)
    {
        for (int i = first; i < end; i += 8)
        {
            int bits = 0;
            for (int b = 0; b < 8; b++)
            {
                bits |= (x[i + b] > 0 ? 1 : 0) << b;
            }

            mask[i >> 3] = (byte)bits;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void ApplyBytesScalar(byte* mask, float* gradient, float* destination, int first, int end)
    {
        for (int i = first; i < end; i++)
        {
            bool set = ((mask[i >> 3] >> (i & 7)) & 1) != 0;
            destination[i] = set ? gradient[i] : 0f * gradient[i];
        }
    }

    private static void ThrowIfMaskTooShort(Span<ulong> mask, int length)
    {
        if (mask.Length < WordCount(length))
        {
            throw new ArgumentException($"The mask has {mask.Length} words; {length} elements need {WordCount(length)}.", nameof(mask));
        }
    }

    private static void ThrowIfTooShort(int actual, int needed, string name)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"{name} has {actual} elements; the input has {needed}.", name);
        }
    }

    /// <summary>The scalar path: the reference every vector path is tested against.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void RunScalar(MaskKind kind, float* x, float* y, ulong* mask, int length, float slope)
    {
        if (kind == MaskKind.Apply)
        {
            for (int i = 0; i < length; i++)
            {
                bool set = ((mask[i >> 6] >> (i & 63)) & 1) != 0;
                y[i] = set ? x[i] : slope * x[i];
            }

            return;
        }

        int words = WordCount(length);
        for (int w = 0; w < words; w++)
        {
            ulong bits = 0;
            int end = Math.Min(64, length - w * 64);
            for (int b = 0; b < end; b++)
            {
                float v = x[w * 64 + b];
                bits |= (v > 0 ? 1UL : 0UL) << b; // a set instruction, not a branch: signs of activations are unpredictable

                if (kind != MaskKind.Pack)
                {
                    y[w * 64 + b] = v > 0 ? v : kind == MaskKind.Relu ? 0 : slope * v;
                }
            }

            mask[w] = bits;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunVector<TW, TU, TF>(MaskKind kind, float* x, float* y, ulong* mask, int length, float slope)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        switch (kind)
        {
            case MaskKind.Pack:
                BitMaskLanes.Forward<TW, TU, TF, MaskOnly>(x, y, mask, length, slope);
                break;
            case MaskKind.Relu:
                BitMaskLanes.Forward<TW, TU, TF, ReluPart>(x, y, mask, length, slope);
                break;
            case MaskKind.LeakyRelu:
                BitMaskLanes.Forward<TW, TU, TF, LeakyReluPart>(x, y, mask, length, slope);
                break;
            default:
                BitMaskLanes.Apply<TW, TU, TF>(mask, x, slope, y, length);
                break;
        }
    }

    private enum MaskKind
    {
        Pack,
        Relu,
        LeakyRelu,
        Apply,
    }

    /// <summary>One call; for Apply, X is the gradient and Y the destination.</summary>
    private struct MaskJob(MaskKind kind, float* x, float* y, ulong* mask, int length, float slope) : IRangeJob
    {
        private readonly MaskKind _kind = kind;
        private readonly float* _x = x, _y = y;
        private readonly ulong* _mask = mask;
        private readonly int _length = length;
        private readonly float _slope = slope;
        private KernelPath _path;

        public void Run()
        {
            _path = KernelSettings.Path;
            WorkerPool.RunRanges(ref this, _length, PartElements);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public readonly void RunRange(int start, int length)
        {
            float* x = _x + start;
            float* y = _y == null ? null : _y + start;
            ulong* mask = _mask + start / 64;
            switch (_path)
            {
                case KernelPath.Vector512:
                    RunVector<Width512, Vector512<uint>, Vector512<float>>(_kind, x, y, mask, length, _slope);
                    break;
                case KernelPath.Vector256:
                    RunVector<Width256, Vector256<uint>, Vector256<float>>(_kind, x, y, mask, length, _slope);
                    break;
                case KernelPath.Vector128:
                    RunVector<Width128, Vector128<uint>, Vector128<float>>(_kind, x, y, mask, length, _slope);
                    break;
                default:
                    RunScalar(_kind, x, y, mask, length, _slope);
                    break;
            }
        }
    }
}
