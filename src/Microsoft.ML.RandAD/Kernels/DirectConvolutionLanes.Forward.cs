using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The forward pass over one padded image: blocks of output pixels, all filters of a block at once (see PixelKernel).
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>Output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of one padded image, filters [0, returned) by vectors.</summary>
    /// <remarks>
    /// A row of output pixels is cut into the fewest blocks of at most eight, as even as possible (a 14-pixel row is two
    /// blocks of seven); a block of up to four pixels takes the four-pixel kernel. A block shorter than its kernel repeats its
    /// last pixel in the spare slots, computed and never stored, so every slot is an independent chain at no extra memory
    /// traffic. On the 512-bit and 256-bit paths filters go two vectors at a time where there are two, so each broadcast
    /// input feeds two FMAs; AVX2's pair kernel takes blocks of six that run on across rows (<see cref="PairsOverRows"/>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int Forward<TW, TU, TF>(in ConvGeometry g, int filters, float* padded, float* transposedWeight, float* bias, float* output, int firstRow, int endRow)
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
        var k = new PixelKernel
        {
            RowFloats = (g.Width + (2 * g.Padding)) * g.Channels,
            Run = g.KernelWidth * g.Channels,
            Filters = filters,
        };
        const int blockPixels = 8;
        int outWidth = g.OutWidth, step = g.Stride * g.Channels, blocks = (outWidth + blockPixels - 1) / blockPixels;

        // Passes over groups of kernel rows whose weights fit in L1 with the image (a 5×5×16 kernel of 32 filters is 51 KB):
        // a pass stores its partial sums in the output and the next continues them, so each sum's operations are unchanged.
        int rowsPerPass = Math.Clamp(PassWeightFloats<TW, TU, TF>() / (k.Run * filters), 1, g.KernelHeight);
        for (k.FirstRow = 0; k.FirstRow < g.KernelHeight; k.FirstRow += rowsPerPass)
        {
            k.Rows = Math.Min(rowsPerPass, g.KernelHeight - k.FirstRow);
            k.Begins = k.FirstRow == 0;
            k.Ends = k.FirstRow + k.Rows == g.KernelHeight;
            ForwardPass<TW, TU, TF>(g, k, filters, vectorFilters, pairFilters, blocks, step, padded, transposedWeight, bias, output, firstRow, endRow);
        }

        return vectorFilters;
    }

    /// <summary>
    /// Weights of the kernel rows in one forward pass, at most (unless a single row is more): 16 KB, or 64 KB on the 256-bit
    /// path. There one pass of a 5×5×16 kernel with 32 filters (51 KB, streamed from L2 block by block) took 0.81–0.87× the
    /// time of im2col + GEMM against 0.96× in five passes of one kernel row (<c>conv-paired</c>, two threads, alternated).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PassWeightFloats<TW, TU, TF>()
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => typeof(TW) == typeof(Width256) ? 16384 : 4096;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPass<TW, TU, TF>(in ConvGeometry g, in PixelKernel k, int filters, int vectorFilters, int pairFilters, int blocks, int step, float* padded, float* transposedWeight, float* bias, float* output, int firstRow, int endRow)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int outWidth = g.OutWidth;

        // On AVX-512 the kernels take two output rows at once where they have the registers, so each weight load feeds twice
        // the FMAs: a pair of filter vectors on blocks of up to seven pixels (28 sums), and a single vector (16 on AVX-512: a
        // layer's last odd vector, or the 16-channel input gradient) on blocks of up to eight (16 sums).
        bool twoRows = typeof(TW) == typeof(Width512);

        // A single vector of filters on blocks of five to seven pixels (rows of 14 or 28): four output rows at once.
        bool fourRows = twoRows && vectorFilters == TW.Count && (outWidth + blocks - 1) / blocks <= 7 && outWidth / blocks > 4;
        nint rowStep = g.Stride * k.RowFloats, yRowStep = outWidth * filters;
        int firstFilter = 0;
        if (pairFilters > 0 && !twoRows)
        {
            PairsOverRows<TW, TU, TF>(g, k, pairFilters, step, rowStep, padded, transposedWeight, bias, output, firstRow, endRow);
            firstFilter = pairFilters;
            if (firstFilter == vectorFilters)
            {
                return;
            }
        }

        for (int oh = firstRow; oh < endRow; oh++)
        {
            float* windowRow = padded + (oh * rowStep);
            float* y = output + (oh * yRowStep);
            if (fourRows && oh + 3 < endRow)
            {
                for (int block = 0, ow = 0; block < blocks; block++)
                {
                    int n = (outWidth - ow) / (blocks - block);
                    k.Pixels7FourRows<TW, TU, TF>(windowRow + (ow * step), step, n, rowStep, transposedWeight, bias, y + (ow * filters), yRowStep);
                    ow += n;
                }

                oh += 3;
                continue;
            }

            bool pairOfRows = twoRows && oh + 1 < endRow;
            for (int block = 0, ow = 0; block < blocks; block++)
            {
                int n = (outWidth - ow) / (blocks - block);
                float* x = windowRow + (ow * step);
                float* pixel = y + (ow * filters);
                int fv = firstFilter;
                if (n > 4)
                {
                    for (; fv < pairFilters; fv += 2 * TW.Count)
                    {
                        if (pairOfRows && n <= 7)
                        {
                            k.Pixels7PairTwoRows<TW, TU, TF>(x, step, n, rowStep, transposedWeight + fv, bias + fv, pixel + fv, yRowStep);
                            continue;
                        }

                        k.Pixels8Pair<TW, TU, TF>(x, step, n, transposedWeight + fv, bias + fv, pixel + fv);
                        if (pairOfRows)
                        {
                            k.Pixels8Pair<TW, TU, TF>(x + rowStep, step, n, transposedWeight + fv, bias + fv, pixel + yRowStep + fv);
                        }
                    }

                    for (; fv < vectorFilters; fv += TW.Count)
                    {
                        if (pairOfRows)
                        {
                            k.Pixels8TwoRows<TW, TU, TF>(x, step, n, rowStep, transposedWeight + fv, bias + fv, pixel + fv, yRowStep);
                        }
                        else
                        {
                            k.Pixels8<TW, TU, TF>(x, step, n, transposedWeight + fv, bias + fv, pixel + fv);
                        }
                    }
                }
                else
                {
                    for (; fv < vectorFilters; fv += TW.Count)
                    {
                        k.Pixels4<TW, TU, TF>(x, step, n, transposedWeight + fv, bias + fv, pixel + fv);
                        if (pairOfRows)
                        {
                            k.Pixels4<TW, TU, TF>(x + rowStep, step, n, transposedWeight + fv, bias + fv, pixel + yRowStep + fv);
                        }
                    }
                }

                ow += n;
            }

            if (pairOfRows)
            {
                oh++;
            }
        }
    }

    /// <summary>
    /// AVX2's pairs of filter vectors over output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) in blocks of
    /// six pixels taken in row-major order, a block running on into the next output row where a row ends (a row of 14 would
    /// otherwise be blocks of five, five and four, the last on a one-vector kernel): 196 pixels are 32 blocks of six and one of
    /// four, one slot in a hundred spare. No division a block: for the 131 blocks of a 28×28 image the division-based
    /// even split cost 0.2–7 % of the first layer's forward pass (in one process, Zen 3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairsOverRows<TW, TU, TF>(in ConvGeometry g, in PixelKernel k, int pairFilters, int step, nint rowStep, float* padded, float* transposedWeight, float* bias, float* output, int firstRow, int endRow)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        const int Block = 6;
        int outWidth = g.OutWidth, pixels = (endRow - firstRow) * outWidth;
        float* y = output + ((long)firstRow * outWidth * k.Filters);
        for (int done = 0, oh = firstRow, ow = 0; done < pixels;)
        {
            int n = Math.Min(Block, pixels - done);
            PixelSlots slots = PixelSlots.Of(ow, n, outWidth, step, rowStep);
            float* x = padded + (oh * rowStep) + (ow * step);
            for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
            {
                k.Pixels6Pair<TW, TU, TF>(x, slots, n, transposedWeight + fv, bias + fv, y + fv);
            }

            y += n * k.Filters;
            done += n;
            for (ow += n; ow >= outWidth; ow -= outWidth)
            {
                oh++;
            }
        }
    }

    /// <summary>Where the windows of a block's slots 1–5 start, relative to slot 0's (floats).</summary>
    private readonly record struct PixelSlots(nint S1, nint S2, nint S3, nint S4, nint S5)
    {
        /// <summary>
        /// The slots of a block of <paramref name="n"/> pixels from column <paramref name="column"/> of an output row, running on
        /// into the next rows past its end; spare slots repeat the last pixel's window.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static PixelSlots Of(int column, int n, int outWidth, nint step, nint rowStep)
        {
            if (column + n <= outWidth)
            {
                return new PixelSlots(Math.Min(1, n - 1) * step, Math.Min(2, n - 1) * step, Math.Min(3, n - 1) * step, Math.Min(4, n - 1) * step, Math.Min(5, n - 1) * step);
            }

            return new PixelSlots(Across(1), Across(2), Across(3), Across(4), Across(5));

            nint Across(int slot)
            {
                int row = 0, at = column + Math.Min(slot, n - 1);
                for (; at >= outWidth; at -= outWidth)
                {
                    row++;
                }

                return (row * rowStep) + ((at - column) * step);
            }
        }
    }

    /// <summary>Output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of one padded image, filters [<paramref name="firstFilter"/>, filters).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void ForwardScalar(in ConvGeometry g, int filters, int firstFilter, float* padded, float* transposedWeight, float* bias, float* output, int firstRow, int endRow)
    {
        int c = g.Channels, rowFloats = (g.Width + (2 * g.Padding)) * c, run = g.KernelWidth * c, step = g.Stride * c;
        for (int oh = firstRow; oh < endRow && firstFilter < filters; oh++)
        {
            for (int ow = 0; ow < g.OutWidth; ow++)
            {
                for (int f = firstFilter; f < filters; f++)
                {
                    float a = 0f;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        float* x = padded + (((oh * g.Stride) + kh) * rowFloats) + (ow * step);
                        float* w = transposedWeight + (kh * run * filters) + f;
                        for (int t = 0; t < run; t++)
                        {
                            a = MathF.FusedMultiplyAdd(x[t], w[t * filters], a);
                        }
                    }

                    output[(((oh * g.OutWidth) + ow) * filters) + f] = a + bias[f];
                }
            }
        }
    }
}
