using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The weight gradient over one padded image: blocks of taps over every output pixel, and the whole 5×5 single-channel patch.
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>
    /// Adds <c>dY[pixel, f]·x[pixel + tap]</c> over every pixel of one padded image, in pixel order, into <paramref name="sums"/>
    /// (taps [firstTap, firstTap + taps) × filters); filters [0, returned) by vectors.
    /// </summary>
    /// <remarks>
    /// Taps go eight at a time (a last block of one to four, four) with their sums in registers for the whole image: each pixel's output
    /// gradient is loaded once for all of them, and the eight sums are independent chains, so the loop runs at the FMA
    /// units' rate rather than one FMA's latency. Each sum still takes its pixels in order. With <paramref name="bias"/>, also
    /// adds the image's output gradient, pixel by pixel in order, into it (filters [0, returned); inside the 5×5 kernel's
    /// loop, else a pass of its own).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int WeightGradient<TW, TU, TF>(in ConvGeometry g, int filters, float* padded, float* outputGradient, int firstTap, int taps, Span<int> offsets, float* sums, float* bias = null)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int vectorFilters = filters - (filters % TW.Count);
        if (vectorFilters == 0)
        {
            return 0;
        }

        int pairFilters = PairFilters<TW, TU, TF>(filters);
        int tapBlock = PairBlock<TW, TU, TF>(pairFilters);
        if (WholePatch<TW>(g, filters, firstTap, taps))
        {
            WeightGradient5x5<TW, TU, TF, WrittenGradient>(g, padded, outputGradient, null, sums, bias);
            return vectorFilters;
        }

        if (bias != null)
        {
            AddPixels<TW, TU, TF>(outputGradient, g.OutPositions, filters, vectorFilters, bias);
        }

        // The caller's offsets (TapOffsets) are padded with copies of the last tap, so a last block reads full-size (the
        // padded taps are computed, never stored); blocks of six read eight offsets, the next block's two included.
        for (int t = 0; t < taps;)
        {
            // Filters all in pairs (32, 64 on AVX-512, whose 32 registers hold 24 sums): twelve taps side by side in the image
            // (within one kernel row's run) go together, so each pixel's output gradient is loaded once per twelve taps, not eight.
            if (tapBlock == 8 && pairFilters == vectorFilters && t + 12 <= taps && offsets[t + 11] - offsets[t] == 11)
            {
                WeightGradientTaps12Pair<TW, TU, TF>(g, filters, pairFilters, padded + offsets[t], outputGradient, sums + (t * filters));
                t += 12;
                continue;
            }

            int block = Math.Min(tapBlock, taps - t);
            if (block > 4)
            {
                if (tapBlock == 6 && offsets[t + 5] - offsets[t] == 5)
                {
                    WeightGradientTaps6Pair<TW, TU, TF, SideBySideTaps>(g, filters, pairFilters, padded, outputGradient, offsets.Slice(t, 6), block, sums + (t * filters));
                }
                else if (tapBlock == 6)
                {
                    WeightGradientTaps6Pair<TW, TU, TF, ListedTaps>(g, filters, pairFilters, padded, outputGradient, offsets.Slice(t, 6), block, sums + (t * filters));
                }
                else
                {
                    WeightGradientTaps8Pair<TW, TU, TF>(g, filters, pairFilters, padded, outputGradient, offsets.Slice(t, 8), block, sums + (t * filters));
                }

                WeightGradientTaps8<TW, TU, TF>(g, filters, pairFilters, vectorFilters, padded, outputGradient, offsets.Slice(t, 8), block, sums + (t * filters));
            }
            else
            {
                WeightGradientTaps4<TW, TU, TF>(g, filters, vectorFilters, padded, outputGradient, offsets.Slice(t, 4), block, sums + (t * filters));
            }

            t += tapBlock;
        }

        return vectorFilters;
    }

    /// <summary><c>bias[f] += dY[pixel, f]</c> over <paramref name="pixels"/> pixels in order, filters [0, <paramref name="vectorFilters"/>) by vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddPixels<TW, TU, TF>(float* outputGradient, int pixels, int filters, int vectorFilters, float* bias)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        for (int fv = 0; fv < vectorFilters; fv += TW.Count)
        {
            TF sum = TW.LoadSingle(bias + fv);
            float* dy = outputGradient + fv;
            for (int p = 0; p < pixels; p++, dy += filters)
            {
                sum = TW.AddSingle(sum, TW.LoadSingle(dy));
            }

            TW.StoreSingle(sum, bias + fv);
        }
    }

    /// <summary>
    /// <see cref="WeightGradient{TW, TU, TF}"/> with the bias for a layer whose output goes through 2×2 stride-2 max pooling,
    /// each pixel's output gradient formed from the pooled gradient and the winners (see <see cref="PooledGradient"/>) inside
    /// the 5×5 kernel; false, doing nothing, for shapes that kernel does not take (the caller then writes the image's gradient
    /// out first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool WeightGradientThroughPooling<TW, TU, TF>(in ConvGeometry g, int filters, float* padded, float* pooledGradient, byte* winners, float* sums, float* bias)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        if (!WholePatch<TW>(g, filters, 0, g.PatchSize))
        {
            return false;
        }

        WeightGradient5x5<TW, TU, TF, PooledGradient>(g, padded, pooledGradient, winners, sums, bias);
        return true;
    }

    /// <summary>Whether the taps are a whole 5×5 single-channel patch of one 512-bit vector of filters: <see cref="WeightGradient5x5{TW, TU, TF, TGradient}"/>.</summary>
    private static bool WholePatch<TW>(in ConvGeometry g, int filters, int firstTap, int taps) =>
        typeof(TW) == typeof(Width512) && filters == Width512.Count && firstTap == 0 && taps == 25 && g.Channels == 1 && g.KernelHeight == 5;

    /// <summary>
    /// The whole 5×5 patch of a single-channel image for one vector of filters: 25 sums in registers, each pixel's output
    /// gradient (from <typeparamref name="TGradient"/>) loaded once for all of them, the five input rows read at constant
    /// offsets (the same sums in the same order as the eight- and four-tap kernels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void WeightGradient5x5<TW, TU, TF, TGradient>(in ConvGeometry g, float* padded, float* outputGradient, byte* winners, float* sums, float* bias)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
        where TGradient : IPixelGradient
    {
        int rowFloats = g.Width + (2 * g.Padding), outWidth = g.OutWidth, filters = TW.Count;
        nint step = g.Stride;

        // The bias gradient rides along as a 26th sum (into a scratch vector when it is not wanted: no branch in the loop).
        TF* unused = stackalloc TF[1];
        float* biasSum = bias != null ? bias : (float*)unused;
        TF ab = bias != null ? TW.LoadSingle(bias) : TW.BroadcastSingle(0f);
        TF a0 = TW.LoadSingle(sums + (0 * filters));
        TF a1 = TW.LoadSingle(sums + (1 * filters));
        TF a2 = TW.LoadSingle(sums + (2 * filters));
        TF a3 = TW.LoadSingle(sums + (3 * filters));
        TF a4 = TW.LoadSingle(sums + (4 * filters));
        TF a5 = TW.LoadSingle(sums + (5 * filters));
        TF a6 = TW.LoadSingle(sums + (6 * filters));
        TF a7 = TW.LoadSingle(sums + (7 * filters));
        TF a8 = TW.LoadSingle(sums + (8 * filters));
        TF a9 = TW.LoadSingle(sums + (9 * filters));
        TF a10 = TW.LoadSingle(sums + (10 * filters));
        TF a11 = TW.LoadSingle(sums + (11 * filters));
        TF a12 = TW.LoadSingle(sums + (12 * filters));
        TF a13 = TW.LoadSingle(sums + (13 * filters));
        TF a14 = TW.LoadSingle(sums + (14 * filters));
        TF a15 = TW.LoadSingle(sums + (15 * filters));
        TF a16 = TW.LoadSingle(sums + (16 * filters));
        TF a17 = TW.LoadSingle(sums + (17 * filters));
        TF a18 = TW.LoadSingle(sums + (18 * filters));
        TF a19 = TW.LoadSingle(sums + (19 * filters));
        TF a20 = TW.LoadSingle(sums + (20 * filters));
        TF a21 = TW.LoadSingle(sums + (21 * filters));
        TF a22 = TW.LoadSingle(sums + (22 * filters));
        TF a23 = TW.LoadSingle(sums + (23 * filters));
        TF a24 = TW.LoadSingle(sums + (24 * filters));
        for (int oh = 0; oh < g.OutHeight; oh++)
        {
            float* x0 = padded + (oh * g.Stride * rowFloats);
            float* x1 = x0 + rowFloats, x2 = x1 + rowFloats, x3 = x2 + rowFloats, x4 = x3 + rowFloats;
            nint row = TGradient.RowOffset(oh, outWidth, filters);
            float* gradientRow = outputGradient + row;
            byte* winnersRow = winners + row;
            uint rowPosition = TGradient.RowPosition(oh);
            for (int ow = 0; ow < outWidth; ow++, x0 += step, x1 += step, x2 += step, x3 += step, x4 += step)
            {
                TF d = TGradient.At<TW, TU, TF>(gradientRow, winnersRow, rowPosition, ow);
                ab = TW.AddSingle(ab, d);
                a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x0[0]), d, a0);
                a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x0[1]), d, a1);
                a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x0[2]), d, a2);
                a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x0[3]), d, a3);
                a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x0[4]), d, a4);
                a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x1[0]), d, a5);
                a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x1[1]), d, a6);
                a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x1[2]), d, a7);
                a8 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x1[3]), d, a8);
                a9 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x1[4]), d, a9);
                a10 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[0]), d, a10);
                a11 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[1]), d, a11);
                a12 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[2]), d, a12);
                a13 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[3]), d, a13);
                a14 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[4]), d, a14);
                a15 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x3[0]), d, a15);
                a16 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x3[1]), d, a16);
                a17 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x3[2]), d, a17);
                a18 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x3[3]), d, a18);
                a19 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x3[4]), d, a19);
                a20 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x4[0]), d, a20);
                a21 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x4[1]), d, a21);
                a22 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x4[2]), d, a22);
                a23 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x4[3]), d, a23);
                a24 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x4[4]), d, a24);
            }
        }

        TW.StoreSingle(a0, sums + (0 * filters));
        TW.StoreSingle(a1, sums + (1 * filters));
        TW.StoreSingle(a2, sums + (2 * filters));
        TW.StoreSingle(a3, sums + (3 * filters));
        TW.StoreSingle(a4, sums + (4 * filters));
        TW.StoreSingle(a5, sums + (5 * filters));
        TW.StoreSingle(a6, sums + (6 * filters));
        TW.StoreSingle(a7, sums + (7 * filters));
        TW.StoreSingle(a8, sums + (8 * filters));
        TW.StoreSingle(a9, sums + (9 * filters));
        TW.StoreSingle(a10, sums + (10 * filters));
        TW.StoreSingle(a11, sums + (11 * filters));
        TW.StoreSingle(a12, sums + (12 * filters));
        TW.StoreSingle(a13, sums + (13 * filters));
        TW.StoreSingle(a14, sums + (14 * filters));
        TW.StoreSingle(a15, sums + (15 * filters));
        TW.StoreSingle(a16, sums + (16 * filters));
        TW.StoreSingle(a17, sums + (17 * filters));
        TW.StoreSingle(a18, sums + (18 * filters));
        TW.StoreSingle(a19, sums + (19 * filters));
        TW.StoreSingle(a20, sums + (20 * filters));
        TW.StoreSingle(a21, sums + (21 * filters));
        TW.StoreSingle(a22, sums + (22 * filters));
        TW.StoreSingle(a23, sums + (23 * filters));
        TW.StoreSingle(a24, sums + (24 * filters));
        TW.StoreSingle(ab, biasSum);
    }

    /// <summary>Where <see cref="WeightGradient5x5{TW, TU, TF, TGradient}"/> takes each pixel's output gradient from (a type argument, so each source compiles to its own loop).</summary>
    private interface IPixelGradient
    {
        /// <summary>Where output row <paramref name="oh"/>'s gradients (and winners) start, from the image's.</summary>
        static abstract nint RowOffset(int oh, int outWidth, int filters);

        /// <summary>What a source needs to know of row <paramref name="oh"/> beyond its offset (the pooled one: which row of its windows it is).</summary>
        static abstract uint RowPosition(int oh);

        /// <summary>The output gradient of pixel <paramref name="ow"/> of a row, one vector of filters, from the row's pointers.</summary>
        static abstract TF At<TW, TU, TF>(float* row, byte* winnersRow, uint rowPosition, int ow)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged;
    }

    /// <summary>The output gradient as written: a vector of filters per pixel, pixel-major.</summary>
    private readonly struct WrittenGradient : IPixelGradient
    {
        public static nint RowOffset(int oh, int outWidth, int filters) => (nint)oh * outWidth * filters;

        public static uint RowPosition(int oh) => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TF At<TW, TU, TF>(float* row, byte* winnersRow, uint rowPosition, int ow)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged =>
            TW.LoadSingle(row + ((nint)ow * TW.Count));
    }

    /// <summary>
    /// Through 2×2 stride-2 max pooling: the window's pooled gradient where the pixel won the window (winners a byte each:
    /// 0 top left, 1 top right, 2 bottom left, 3 bottom right), else zero, formed as <see cref="PoolingLanes"/>' backward pass
    /// forms it (<c>0 + select</c>), so the sums are the same bits as from the written-out gradient.
    /// </summary>
    private readonly struct PooledGradient : IPixelGradient
    {
        public static nint RowOffset(int oh, int outWidth, int filters) => (nint)(oh >> 1) * (outWidth >> 1) * filters;

        /// <summary>0 on a window's top row, 2 on its bottom row.</summary>
        public static uint RowPosition(int oh) => (uint)(oh & 1) << 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TF At<TW, TU, TF>(float* row, byte* winnersRow, uint rowPosition, int ow)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint at = (nint)(ow >> 1) * TW.Count;
            TU position = TW.Broadcast(rowPosition | (uint)(ow & 1));
            TF zero = TW.BroadcastSingle(0f);
            return TW.AddSingle(zero, TW.Select(TW.EqualsZero(TW.Subtract(TW.LoadBytes(winnersRow + at), position)), TW.LoadSingle(row + at), zero));
        }
    }

    /// <summary>The scalar weight gradient for filters [<paramref name="firstFilter"/>, filters), same order as the vector one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void WeightGradientScalar(in ConvGeometry g, int filters, int firstFilter, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, float* sums, float* bias = null)
    {
        if (firstFilter >= filters)
        {
            return; // the vector kernels took every filter
        }

        for (int p = 0; bias != null && p < g.OutPositions; p++)
        {
            for (int f = firstFilter; f < filters; f++)
            {
                bias[f] += outputGradient[(p * filters) + f];
            }
        }

        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, step = g.Stride * g.Channels, taps = offsets.Length;
        for (int oh = 0; oh < g.OutHeight; oh++)
        {
            for (int ow = 0; ow < g.OutWidth; ow++)
            {
                float* origin = padded + (oh * g.Stride * rowFloats) + (ow * step);
                float* dy = outputGradient + (((oh * g.OutWidth) + ow) * filters);
                for (int t = 0; t < taps; t++)
                {
                    float x = origin[offsets[t]];
                    for (int f = firstFilter; f < filters; f++)
                    {
                        sums[(t * filters) + f] = MathF.FusedMultiplyAdd(x, dy[f], sums[(t * filters) + f]);
                    }
                }
            }
        }
    }
}
