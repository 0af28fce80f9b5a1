using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The input gradient (a forward convolution of the padded output gradient) over the taps whose output gradient is nonzero.
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>
    /// Pixels a block of <see cref="SparseForward{TW, TU, TF}"/> takes for this many output channels: four pixels of two
    /// vectors or eight of one, eight sums in registers either way; 0 for other channel counts, for input images of more than
    /// 64 channels (one mask word a pixel), and on the 512-bit path for all but one vector of channels and kernels three, five or seven wide.
    /// </summary>
    /// <remarks>
    /// On AVX-512 only the walk of the receptive field (<see cref="WalkReceptiveField{TW, TU, TF}"/>, the CNN's second layer:
    /// 16 channels) is taken: it computes only the nonzero terms, and its AVX2 twin (eight pixels of one vector, 5×5 with 8
    /// channels) took 0.42× the dense kernels' time at 14 % nonzeros and 0.69× at 50 %; it was not measured on AVX-512. The
    /// kernels over channel unions waste more on AVX-512's eight-pixel blocks, against dense kernels nearer the FMA peak, and
    /// stay off there.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SparseBlock<TW, TU, TF>(in ConvGeometry g, int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged =>
        g.Channels > 64 ? 0 :
        typeof(TW) == typeof(Width512) ? (filters == TW.Count && WalksReceptiveField(g.KernelWidth) ? 8 : 0) :
        filters == 2 * TW.Count ? 4 : filters == TW.Count ? 8 : 0;

    /// <summary>
    /// Most nonzero elements of an image, in per cent, at which <see cref="SparseForward{TW, TU, TF}"/> takes it (0 where it
    /// has no kernel for the shape). For kernels whose blocks walk their receptive field and compute only nonzero terms: 30
    /// three wide (3×3, 16 channels from 32, 2 threads, AVX2: 0.69 / 0.79 / 0.97 / 1.10× the dense kernels' time at 14 / 30
    /// / 40 / 50 % nonzeros), 40 five wide (5×5: 0.41 / 0.53 / 0.70 / 0.84 / 0.97× at 14 / 20 / 30 / 40 / 50 %), 50 seven wide
    /// (7×7: 0.44 / 0.61 / 0.71 / 0.81× at 14 / 30 / 40 / 50 %). 20 for the others, whose blocks take every channel nonzero at
    /// any of their pixels (5×5 0.75× and 3×3 level at 20 %; a walk of 1×1 kernels, too little work a loop, measured 0.95×
    /// at 14 % and was left out).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SparsePercent<TW, TU, TF>(in ConvGeometry g, int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int block = SparseBlock<TW, TU, TF>(g, filters);
        return block == 0 || g.Stride != 1 ? 0 : g.KernelWidth switch { 3 => 30, 5 => 40, 7 => 50, _ => 20 };
    }

    /// <summary>
    /// Per pixel of a padded image, a bit per nonzero channel (neither +0 nor −0; NaN is nonzero); returns how many bits are
    /// set. The image has at most 64 channels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int NonzeroMasks<TW, TU, TF>(in ConvGeometry g, float* padded, ulong* masks)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int channels = g.Channels, pixels = (g.Height + (2 * g.Padding)) * (g.Width + (2 * g.Padding));
        int vectorChannels = channels - (channels % TW.Count), total = 0;
        ulong lanes = (1UL << TW.Count) - 1;
        TU magnitude = TW.Broadcast(0x7FFF_FFFFu);
        for (int p = 0; p < pixels; p++)
        {
            float* x = padded + ((long)p * channels);
            ulong nonzero = 0;
            int c = 0;
            for (; c < vectorChannels; c += TW.Count)
            {
                nonzero |= (~TW.MostSignificantBits(TW.EqualsZero(TW.And(TW.AsUInt32(TW.LoadSingle(x + c)), magnitude))) & lanes) << c;
            }

            for (; c < channels; c++)
            {
                nonzero |= (x[c] != 0 ? 1UL : 0UL) << c; // NaN is not 0
            }

            masks[p] = nonzero;
            total += BitOperations.PopCount(nonzero);
        }

        return total;
    }

    /// <summary>
    /// The forward convolution of output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) (stride 1, zero bias)
    /// over the input elements that are not zero: blocks of <see cref="SparseBlock{TW, TU, TF}"/> pixels along a row. Kernels
    /// three, five or seven wide walk the block's receptive field, each input's nonzero channels into the pixels whose windows hold it
    /// (<see cref="WalkReceptiveField{TW, TU, TF}"/>); others take tap by tap the channels nonzero at any of the block's
    /// pixels (the union of their <paramref name="masks"/>). Each output element takes the dense kernels' fused multiply-adds
    /// in their order (tap by tap, channels ascending) but for zero terms, which leave a sum that started at +0 unchanged; the
    /// block's other pixels' zeros the second kind does take change nothing either.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void SparseForward<TW, TU, TF>(in ConvGeometry g, int filters, float* padded, ulong* masks, float* weight, float* output, int firstRow, int endRow)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int block = SparseBlock<TW, TU, TF>(g, filters), outWidth = g.OutWidth, paddedWidth = g.Width + (2 * g.Padding);
        for (int oh = firstRow; oh < endRow; oh++)
        {
            for (int ow = 0; ow < outWidth; ow += block)
            {
                int pixels = Math.Min(block, outWidth - ow);
                float* y = output + ((((long)oh * outWidth) + ow) * filters);
                long corner = ((long)oh * paddedWidth) + ow;
                if (WalkReceptiveField<TW, TU, TF>(g, block, padded + (corner * g.Channels), masks + corner, paddedWidth, pixels, weight, y))
                {
                    continue;
                }

                if (block == 4)
                {
                    SparsePixels4x2<TW, TU, TF>(g, filters, padded + (corner * g.Channels), masks + corner, paddedWidth, pixels, weight, y);
                }
                else
                {
                    SparsePixels8<TW, TU, TF>(g, filters, padded + (corner * g.Channels), masks + corner, paddedWidth, pixels, weight, y);
                }
            }
        }
    }

    /// <summary>
    /// Up to four pixels along a row (<paramref name="pixels"/>; the others repeat the last and are not stored) of two vectors
    /// of output channels; <paramref name="x"/> and <paramref name="masks"/> are the first pixel's window corner.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SparsePixels4x2<TW, TU, TF>(in ConvGeometry g, int filters, float* x, ulong* masks, int paddedWidth, int pixels, float* weight, float* y)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count, channels = g.Channels, kernelWidth = g.KernelWidth;
        nint o1 = Math.Min(1, pixels - 1), o2 = Math.Min(2, pixels - 1), o3 = Math.Min(3, pixels - 1);
        nint x1 = o1 * channels, x2 = o2 * channels, x3 = o3 * channels;
        TF a0 = TW.BroadcastSingle(0f), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (int kh = 0; kh < g.KernelHeight; kh++)
        {
            for (int kw = 0; kw < kernelWidth; kw++)
            {
                ulong* m = masks + (kh * paddedWidth) + kw;
                ulong union = m[0] | m[o1] | m[o2] | m[o3]; // a repeated last pixel adds nothing
                float* w = weight + ((long)((kh * kernelWidth) + kw) * channels * filters);
                float* xt = x + ((long)((kh * paddedWidth) + kw) * channels);
                while (union != 0)
                {
                    int c = BitOperations.TrailingZeroCount(union);
                    union &= union - 1;
                    TF w0 = TW.LoadSingle(w + (c * filters)), w1 = TW.LoadSingle(w + (c * filters) + n);
                    TF d = TW.BroadcastSingle(xt[c]);
                    a0 = TW.FusedMultiplyAdd(d, w0, a0);
                    b0 = TW.FusedMultiplyAdd(d, w1, b0);
                    d = TW.BroadcastSingle(xt[x1 + c]);
                    a1 = TW.FusedMultiplyAdd(d, w0, a1);
                    b1 = TW.FusedMultiplyAdd(d, w1, b1);
                    d = TW.BroadcastSingle(xt[x2 + c]);
                    a2 = TW.FusedMultiplyAdd(d, w0, a2);
                    b2 = TW.FusedMultiplyAdd(d, w1, b2);
                    d = TW.BroadcastSingle(xt[x3 + c]);
                    a3 = TW.FusedMultiplyAdd(d, w0, a3);
                    b3 = TW.FusedMultiplyAdd(d, w1, b3);
                }
            }
        }

        StorePixelPair<TW, TU, TF>(a0, b0, y, 0, pixels);
        StorePixelPair<TW, TU, TF>(a1, b1, y + filters, 1, pixels);
        StorePixelPair<TW, TU, TF>(a2, b2, y + (2 * filters), 2, pixels);
        StorePixelPair<TW, TU, TF>(a3, b3, y + (3 * filters), 3, pixels);
    }

    /// <summary>
    /// Up to eight pixels along a row (<paramref name="pixels"/>; the others repeat the last and are not stored) of one vector
    /// of output channels; <paramref name="x"/> and <paramref name="masks"/> are the first pixel's window corner.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SparsePixels8<TW, TU, TF>(in ConvGeometry g, int filters, float* x, ulong* masks, int paddedWidth, int pixels, float* weight, float* y)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int channels = g.Channels, kernelWidth = g.KernelWidth;
        nint o1 = Math.Min(1, pixels - 1), o2 = Math.Min(2, pixels - 1), o3 = Math.Min(3, pixels - 1), o4 = Math.Min(4, pixels - 1);
        nint o5 = Math.Min(5, pixels - 1), o6 = Math.Min(6, pixels - 1), o7 = Math.Min(7, pixels - 1);
        TF a0 = TW.BroadcastSingle(0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int kh = 0; kh < g.KernelHeight; kh++)
        {
            for (int kw = 0; kw < kernelWidth; kw++)
            {
                ulong* m = masks + (kh * paddedWidth) + kw;
                ulong union = m[0] | m[o1] | m[o2] | m[o3] | m[o4] | m[o5] | m[o6] | m[o7]; // a repeated last pixel adds nothing

                float* w = weight + ((long)((kh * kernelWidth) + kw) * channels * filters);
                float* xt = x + ((long)((kh * paddedWidth) + kw) * channels);
                while (union != 0)
                {
                    int c = BitOperations.TrailingZeroCount(union);
                    union &= union - 1;
                    TF w0 = TW.LoadSingle(w + (c * filters));
                    float* xc = xt + c;
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[0]), w0, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[o1 * channels]), w0, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[o2 * channels]), w0, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[o3 * channels]), w0, a3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[o4 * channels]), w0, a4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[o5 * channels]), w0, a5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[o6 * channels]), w0, a6);
                    a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[o7 * channels]), w0, a7);
                }
            }
        }

        StorePixel<TW, TU, TF>(a0, y, 0, pixels);
        StorePixel<TW, TU, TF>(a1, y + filters, 1, pixels);
        StorePixel<TW, TU, TF>(a2, y + (2 * filters), 2, pixels);
        StorePixel<TW, TU, TF>(a3, y + (3 * filters), 3, pixels);
        StorePixel<TW, TU, TF>(a4, y + (4 * filters), 4, pixels);
        StorePixel<TW, TU, TF>(a5, y + (5 * filters), 5, pixels);
        StorePixel<TW, TU, TF>(a6, y + (6 * filters), 6, pixels);
        StorePixel<TW, TU, TF>(a7, y + (7 * filters), 7, pixels);
    }
}
