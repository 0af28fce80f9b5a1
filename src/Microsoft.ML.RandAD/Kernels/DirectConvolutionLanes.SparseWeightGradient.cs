using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The weight gradient over the nonzero elements of the output gradient only: filter by filter, window by window.
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>
    /// Vectors in each run of a window row that <see cref="SparseWeightGradient{TW, TU, TF}"/> takes at once: the longest of
    /// <see cref="RunLengths"/> (6, 5, 4, 3) that divides the row's vectors (a 5×5×16 window row is 80 floats: two runs of
    /// five on AVX2, one on AVX-512; 3×3×16 is one run of six on AVX2, of three on AVX-512), or 0 where a window row is not
    /// whole vectors or no length divides it (the dense kernels then take the layer).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SparseRun<TW, TU, TF>(in ConvGeometry g)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int row = g.KernelWidth * g.Channels;
        if (row % TW.Count != 0)
        {
            return 0;
        }

        int vectors = row / TW.Count;
        foreach (int run in RunLengths)
        {
            if (vectors % run == 0)
            {
                return run;
            }
        }

        return 0;
    }

    /// <summary>Elements of <paramref name="data"/> that are neither +0 nor −0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static long CountNonzeros<TW, TU, TF>(float* data, long length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        long zeros = 0, i = 0;
        TU magnitude = TW.Broadcast(0x7FFF_FFFFu);
        for (; i + TW.Count <= length; i += TW.Count)
        {
            zeros += BitOperations.PopCount(TW.MostSignificantBits(TW.EqualsZero(TW.And(TW.AsUInt32(TW.LoadSingle(data + i)), magnitude))));
        }

        for (; i < length; i++)
        {
            zeros += data[i] == 0 ? 1 : 0;
        }

        return length - zeros;
    }

    /// <summary>
    /// Lists one image's nonzero output-gradient elements filter by filter, in pixel order: filter f's
    /// <c>counts[f]</c> entries start at <c>f·OutPositions</c> in <paramref name="windows"/> (the offset of the pixel's window
    /// in the padded image) and <paramref name="values"/> (dY). Zeros of either sign are left out; NaN is kept. Returns the
    /// number of entries.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int ListNonzeros<TW, TU, TF>(in ConvGeometry g, int filters, float* outputGradient, int* counts, int* windows, float* values)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int pixels = g.OutPositions, outWidth = g.OutWidth, rowFloats = (g.Width + (2 * g.Padding)) * g.Channels;
        int vectorFilters = filters - (filters % TW.Count), total = 0;
        ulong lanes = TW.Count == 64 ? ulong.MaxValue : (1UL << TW.Count) - 1;
        TU magnitude = TW.Broadcast(0x7FFF_FFFFu);
        new Span<int>(counts, filters).Clear();
        for (int p = 0, oh = 0, ow = 0; p < pixels; p++)
        {
            int window = (oh * g.Stride * rowFloats) + (ow * g.Stride * g.Channels);
            float* dy = outputGradient + ((long)p * filters);

            // The pixel's nonzero filters as bits, 64 at a time, then one entry per bit: a loop of a few iterations per
            // pixel rather than per vector of filters, whose exits the branch predictor cannot guess.
            for (int f64 = 0; f64 < filters; f64 += 64)
            {
                int end = Math.Min(filters, f64 + 64), vectorEnd = Math.Min(end, vectorFilters);
                ulong nonzero = 0;
                int f0 = f64;
                for (; f0 < vectorEnd; f0 += TW.Count)
                {
                    nonzero |= (~TW.MostSignificantBits(TW.EqualsZero(TW.And(TW.AsUInt32(TW.LoadSingle(dy + f0)), magnitude))) & lanes) << (f0 - f64);
                }

                for (; f0 < end; f0++)
                {
                    nonzero |= (dy[f0] != 0 ? 1UL : 0UL) << (f0 - f64); // NaN is not 0
                }

                while (nonzero != 0)
                {
                    int f = f64 + BitOperations.TrailingZeroCount(nonzero);
                    nonzero &= nonzero - 1;
                    int at = (f * pixels) + counts[f]++;
                    windows[at] = window;
                    values[at] = dy[f];
                }
            }

            if (++ow == outWidth)
            {
                ow = 0;
                oh++;
            }
        }

        for (int f = 0; f < filters; f++)
        {
            total += counts[f];
        }

        return total;
    }

    /// <summary>
    /// <see cref="ListNonzeros{TW, TU, TF}"/> of the output gradient of a layer under 2×2 stride-2 max pooling that tiles its
    /// output, read from the image's <paramref name="pooledGradient"/> and <paramref name="winners"/> (a byte per pooled
    /// element, <c>2·row + column</c> of the window) instead of the full-size gradient <see cref="Pooling.MaxBackward"/> would
    /// write: a pixel's gradient is its window's where it won, else zero. The same lists: each window row of pooled elements
    /// is read twice, once for the winners in the pixels' upper row and once for the lower, so each filter's entries still
    /// come in pixel order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int ListNonzerosThroughPooling<TW, TU, TF>(in ConvGeometry g, int filters, float* pooledGradient, byte* winners, int* counts, int* windows, float* values)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int pixels = g.OutPositions, outWidth = g.OutWidth, rowFloats = (g.Width + (2 * g.Padding)) * g.Channels;
        int pooledHeight = g.OutHeight / 2, pooledWidth = outWidth / 2;
        int vectorFilters = filters - (filters % TW.Count), total = 0;
        ulong lanes = TW.Count == 64 ? ulong.MaxValue : (1UL << TW.Count) - 1;
        TU magnitude = TW.Broadcast(0x7FFF_FFFFu), rowBit = TW.Broadcast(2u);
        new Span<int>(counts, filters).Clear();
        for (int py = 0; py < pooledHeight; py++)
        {
            for (int dy = 0; dy < 2; dy++)
            {
                int oh = (2 * py) + dy;
                TU row = TW.Broadcast((uint)(2 * dy));
                for (int px = 0; px < pooledWidth; px++)
                {
                    int at = ((py * pooledWidth) + px) * filters;
                    float* gradient = pooledGradient + at;
                    byte* won = winners + at;
                    for (int f64 = 0; f64 < filters; f64 += 64)
                    {
                        // Bits of the filters whose gradient is nonzero and whose winner lies in this pixel row.
                        int end = Math.Min(filters, f64 + 64), vectorEnd = Math.Min(end, vectorFilters);
                        ulong nonzero = 0;
                        int f0 = f64;
                        for (; f0 < vectorEnd; f0 += TW.Count)
                        {
                            ulong zero = TW.MostSignificantBits(TW.EqualsZero(TW.And(TW.AsUInt32(TW.LoadSingle(gradient + f0)), magnitude)));
                            ulong inRow = TW.MostSignificantBits(TW.EqualsZero(TW.Xor(TW.And(TW.LoadBytes(won + f0), rowBit), row)));
                            nonzero |= (inRow & ~zero & lanes) << (f0 - f64);
                        }

                        for (; f0 < end; f0++)
                        {
                            nonzero |= (gradient[f0] != 0 && (won[f0] & 2) == 2 * dy ? 1UL : 0UL) << (f0 - f64); // NaN is not 0
                        }

                        while (nonzero != 0)
                        {
                            int f = f64 + BitOperations.TrailingZeroCount(nonzero);
                            nonzero &= nonzero - 1;
                            int ow = (2 * px) + (won[f] & 1);
                            int entry = (f * pixels) + counts[f]++;
                            windows[entry] = (oh * g.Stride * rowFloats) + (ow * g.Stride * g.Channels);
                            values[entry] = 0f + gradient[f]; // the value the pooling's backward pass writes
                        }
                    }
                }
            }
        }

        for (int f = 0; f < filters; f++)
        {
            total += counts[f];
        }

        return total;
    }

    /// <summary>
    /// Adds <c>dY[pixel, f]·x[pixel + tap]</c> over one image's listed (nonzero) elements, filter by filter in pixel order,
    /// into <paramref name="sums"/> (filters × PatchSize, filter-major): each sum takes the same fused multiply-adds in the
    /// same order as <see cref="WeightGradient{TW, TU, TF}"/> but for the zero terms, which leave a sum that started at +0
    /// unchanged (a product of 0 with a finite input is ±0, and s + ±0 = s for s ≠ 0 or s = +0). Window rows go in runs of
    /// <paramref name="run"/> vectors (<see cref="SparseRun{TW, TU, TF}"/>), two runs at a time where there are two (<see cref="SumRuns{TW, TU, TF}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void SparseWeightGradient<TW, TU, TF>(in ConvGeometry g, int filters, int run, float* padded, int* counts, int* windows, float* values, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int pixels = g.OutPositions, rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, rowTaps = g.KernelWidth * g.Channels;
        int runFloats = run * TW.Count, runs = g.KernelHeight * (rowTaps / runFloats), patch = g.PatchSize;
        for (int f = 0; f < filters; f++)
        {
            int count = counts[f];
            if (count == 0)
            {
                continue;
            }

            int* w = windows + (f * pixels);
            float* v = values + (f * pixels);
            float* s = sums + ((long)f * patch);
            for (int r = 0; r < runs; r += 2)
            {
                // Run r's taps start at r·runFloats in the patch; in the window, at its kernel row's start plus its place in that row.
                int tapA = r * runFloats, xA = ((tapA / rowTaps) * rowFloats) + (tapA % rowTaps);
                if (r + 1 == runs)
                {
                    SumRuns<TW, TU, TF>(run, padded + xA, null, w, v, count, s + tapA, null);
                    continue;
                }

                int tapB = tapA + runFloats, xB = ((tapB / rowTaps) * rowFloats) + (tapB % rowTaps);
                SumRuns<TW, TU, TF>(run, padded + xA, padded + xB, w, v, count, s + tapA, s + tapB);
            }
        }
    }
}
