using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The loops of <see cref="DirectConvolution"/> over one zero-padded image: vector versions over whole vectors of filters
/// (written once over <see cref="IVectorWidth{TU, TF}"/>, returning how many filters they did) and scalar versions for the
/// other filters (all of them on the scalar path). In the padded image every window lies inside, and for a fixed kernel
/// row the taps (kw, c) are contiguous both in the patch and in the image row: a window row is one run of
/// <c>KernelWidth·C</c> floats. The forward pass takes blocks of up to eight pixels along a row, the weight gradient
/// blocks of up to eight taps over every pixel; neither changes any element's sequence of operations.
/// </summary>
internal static unsafe class DirectConvolutionLanes
{
    /// <summary>
    /// Copies an image into the middle of a (H + 2p) × (W + 2p) × C buffer whose border the caller zeroed once
    /// (<see cref="ClearPadded"/>): only the middle is ever written, so the border stays zero image after image.
    /// </summary>
    public static void Pad(in ConvGeometry g, float* image, float* padded)
    {
        int c = g.Channels, paddedWidth = g.Width + (2 * g.Padding);
        for (int h = 0; h < g.Height; h++)
        {
            new Span<float>(image + (h * g.Width * c), g.Width * c).CopyTo(new Span<float>(padded + ((((h + g.Padding) * paddedWidth) + g.Padding) * c), g.Width * c));
        }
    }

    /// <summary>Zeroes a padded-image buffer before its first <see cref="Pad"/> (nothing to do without padding).</summary>
    public static void ClearPadded(in ConvGeometry g, float* padded)
    {
        if (g.Padding > 0)
        {
            new Span<float>(padded, PaddedSize(g)).Clear();
        }
    }

    /// <summary>Floats in a padded image.</summary>
    public static int PaddedSize(in ConvGeometry g) => (g.Height + (2 * g.Padding)) * (g.Width + (2 * g.Padding)) * g.Channels;

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
    /// The filters the pair kernels take (both vectors of a pair feed on each broadcast input): whole pairs of vectors on the
    /// 512-bit and 256-bit paths, none on narrower ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairFilters<TW, TU, TF>(int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged =>
        typeof(TW) == typeof(Width512) || typeof(TW) == typeof(Width256) ? filters - (filters % (2 * TW.Count)) : 0;

    /// <summary>
    /// Taps per block of the weight gradient: six where AVX2's pair kernels run (12 sums in its 16 registers), eight otherwise
    /// (AVX-512's pair kernels hold 16 sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairBlock<TW, TU, TF>(int pairFilters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => typeof(TW) == typeof(Width256) && pairFilters > 0 ? 6 : 8;

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
    /// otherwise be blocks of five, five and four, the last on a one-vector kernel): 196 pixels are 33 blocks of five or six,
    /// one slot in a hundred spare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairsOverRows<TW, TU, TF>(in ConvGeometry g, in PixelKernel k, int pairFilters, int step, nint rowStep, float* padded, float* transposedWeight, float* bias, float* output, int firstRow, int endRow)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        const int Block = 6;
        int outWidth = g.OutWidth, pixels = (endRow - firstRow) * outWidth, blocks = (pixels + Block - 1) / Block;
        for (int block = 0, done = 0, oh = firstRow, ow = 0; block < blocks; block++)
        {
            int n = (pixels - done) / (blocks - block), first = (firstRow * outWidth) + done;
            PixelSlots slots = PixelSlots.Of(ow, n, outWidth, step, rowStep);
            float* x = padded + (oh * rowStep) + (ow * step);
            float* y = output + ((long)first * k.Filters);
            for (ow += n; ow >= outWidth; ow -= outWidth)
            {
                oh++;
            }

            for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
            {
                k.Pixels6Pair<TW, TU, TF>(x, slots, n, transposedWeight + fv, bias + fv, y + fv);
            }

            done += n;
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

    /// <summary>
    /// The forward kernels over one block of pixels along an output row: windows <c>step</c> floats apart from <c>x</c>,
    /// weights (PatchSize × Filters, transposed) and outputs already offset to the first filter of the block's vectors.
    /// </summary>
    private struct PixelKernel
    {
        public int RowFloats, Run, Filters;

        /// <summary>The kernel rows of this pass: [FirstRow, FirstRow + Rows).</summary>
        public int FirstRow, Rows;

        /// <summary>Whether this pass starts the sums (else it continues the partial sums stored in the output).</summary>
        public bool Begins;

        /// <summary>Whether this pass ends the sums (adds the bias; else it stores the partial sums).</summary>
        public bool Ends;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels8<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step), s7 = Slot(7, n, step);
            nint filters = Filters;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            TF a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n), a7 = Start<TW, TU, TF>(y, filters, 7, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                // Pointers and native-sized offsets, so each tap is a load and eight FMAs with no index arithmetic.
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s4]), wv, a4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s5]), wv, a5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s6]), wv, a6);
                    a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s7]), wv, a7);
                }
            }

            TF b = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, b, y, filters, 0, n);
            Finish<TW, TU, TF>(a1, b, y, filters, 1, n);
            Finish<TW, TU, TF>(a2, b, y, filters, 2, n);
            Finish<TW, TU, TF>(a3, b, y, filters, 3, n);
            Finish<TW, TU, TF>(a4, b, y, filters, 4, n);
            Finish<TW, TU, TF>(a5, b, y, filters, 5, n);
            Finish<TW, TU, TF>(a6, b, y, filters, 6, n);
            Finish<TW, TU, TF>(a7, b, y, filters, 7, n);
        }

        /// <summary><see cref="Pixels8{TW, TU, TF}"/> on the same block of two output rows, <paramref name="rowStep"/> and <paramref name="yRowStep"/> apart.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels8TwoRows<TW, TU, TF>(float* origin, nint step, int n, nint rowStep, float* weight, float* bias, float* y, nint yRowStep)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step), s7 = Slot(7, n, step);
            nint filters = Filters;
            float* yb = y + yRowStep;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            TF a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n), a7 = Start<TW, TU, TF>(y, filters, 7, n);
            TF b0 = Start<TW, TU, TF>(yb, filters, 0, n), b1 = Start<TW, TU, TF>(yb, filters, 1, n), b2 = Start<TW, TU, TF>(yb, filters, 2, n), b3 = Start<TW, TU, TF>(yb, filters, 3, n);
            TF b4 = Start<TW, TU, TF>(yb, filters, 4, n), b5 = Start<TW, TU, TF>(yb, filters, 5, n), b6 = Start<TW, TU, TF>(yb, filters, 6, n), b7 = Start<TW, TU, TF>(yb, filters, 7, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    float* x2 = x + rowStep;
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    b0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x2), wv, b0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    b1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s1]), wv, b1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    b2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s2]), wv, b2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                    b3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s3]), wv, b3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s4]), wv, a4);
                    b4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s4]), wv, b4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s5]), wv, a5);
                    b5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s5]), wv, b5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s6]), wv, a6);
                    b6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s6]), wv, b6);
                    a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s7]), wv, a7);
                    b7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s7]), wv, b7);
                }
            }

            TF bv = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, bv, y, filters, 0, n);
            Finish<TW, TU, TF>(b0, bv, yb, filters, 0, n);
            Finish<TW, TU, TF>(a1, bv, y, filters, 1, n);
            Finish<TW, TU, TF>(b1, bv, yb, filters, 1, n);
            Finish<TW, TU, TF>(a2, bv, y, filters, 2, n);
            Finish<TW, TU, TF>(b2, bv, yb, filters, 2, n);
            Finish<TW, TU, TF>(a3, bv, y, filters, 3, n);
            Finish<TW, TU, TF>(b3, bv, yb, filters, 3, n);
            Finish<TW, TU, TF>(a4, bv, y, filters, 4, n);
            Finish<TW, TU, TF>(b4, bv, yb, filters, 4, n);
            Finish<TW, TU, TF>(a5, bv, y, filters, 5, n);
            Finish<TW, TU, TF>(b5, bv, yb, filters, 5, n);
            Finish<TW, TU, TF>(a6, bv, y, filters, 6, n);
            Finish<TW, TU, TF>(b6, bv, yb, filters, 6, n);
            Finish<TW, TU, TF>(a7, bv, y, filters, 7, n);
            Finish<TW, TU, TF>(b7, bv, yb, filters, 7, n);
        }

        /// <summary>
        /// Both filter vectors of a pair on a block of up to six pixels (12 sums): the 256-bit path's pair kernel, within its 16
        /// registers (12 sums, two weight vectors, a broadcast), so each broadcast input feeds two FMAs. The same sums, in the
        /// same order, as <see cref="Pixels8{TW, TU, TF}"/> on each vector. The pixels' windows start anywhere
        /// (<paramref name="slots"/>, relative to <paramref name="origin"/>), so a block may span two output rows; their
        /// outputs are consecutive.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels6Pair<TW, TU, TF>(float* origin, in PixelSlots slots, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = slots.S1, s2 = slots.S2, s3 = slots.S3, s4 = slots.S4, s5 = slots.S5;
            nint filters = Filters;
            float* yc = y + TW.Count;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n), a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n), c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wa = TW.LoadSingle(w), wc = TW.LoadSingle(w + TW.Count);
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, wa, a0);
                    c0 = TW.FusedMultiplyAdd(v, wc, c0);
                    v = TW.BroadcastSingle(x[s1]);
                    a1 = TW.FusedMultiplyAdd(v, wa, a1);
                    c1 = TW.FusedMultiplyAdd(v, wc, c1);
                    v = TW.BroadcastSingle(x[s2]);
                    a2 = TW.FusedMultiplyAdd(v, wa, a2);
                    c2 = TW.FusedMultiplyAdd(v, wc, c2);
                    v = TW.BroadcastSingle(x[s3]);
                    a3 = TW.FusedMultiplyAdd(v, wa, a3);
                    c3 = TW.FusedMultiplyAdd(v, wc, c3);
                    v = TW.BroadcastSingle(x[s4]);
                    a4 = TW.FusedMultiplyAdd(v, wa, a4);
                    c4 = TW.FusedMultiplyAdd(v, wc, c4);
                    v = TW.BroadcastSingle(x[s5]);
                    a5 = TW.FusedMultiplyAdd(v, wa, a5);
                    c5 = TW.FusedMultiplyAdd(v, wc, c5);
                }
            }

            TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
            Finish<TW, TU, TF>(a0, ba, y, filters, 0, n);
            Finish<TW, TU, TF>(c0, bc, yc, filters, 0, n);
            Finish<TW, TU, TF>(a1, ba, y, filters, 1, n);
            Finish<TW, TU, TF>(c1, bc, yc, filters, 1, n);
            Finish<TW, TU, TF>(a2, ba, y, filters, 2, n);
            Finish<TW, TU, TF>(c2, bc, yc, filters, 2, n);
            Finish<TW, TU, TF>(a3, ba, y, filters, 3, n);
            Finish<TW, TU, TF>(c3, bc, yc, filters, 3, n);
            Finish<TW, TU, TF>(a4, ba, y, filters, 4, n);
            Finish<TW, TU, TF>(c4, bc, yc, filters, 4, n);
            Finish<TW, TU, TF>(a5, ba, y, filters, 5, n);
            Finish<TW, TU, TF>(c5, bc, yc, filters, 5, n);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels8Pair<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step), s7 = Slot(7, n, step);
            nint filters = Filters;
            float* yc = y + TW.Count;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            TF a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n), a7 = Start<TW, TU, TF>(y, filters, 7, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n);
            TF c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n), c6 = Start<TW, TU, TF>(yc, filters, 6, n), c7 = Start<TW, TU, TF>(yc, filters, 7, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wa = TW.LoadSingle(w), wc = TW.LoadSingle(w + TW.Count);
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, wa, a0);
                    c0 = TW.FusedMultiplyAdd(v, wc, c0);
                    v = TW.BroadcastSingle(x[s1]);
                    a1 = TW.FusedMultiplyAdd(v, wa, a1);
                    c1 = TW.FusedMultiplyAdd(v, wc, c1);
                    v = TW.BroadcastSingle(x[s2]);
                    a2 = TW.FusedMultiplyAdd(v, wa, a2);
                    c2 = TW.FusedMultiplyAdd(v, wc, c2);
                    v = TW.BroadcastSingle(x[s3]);
                    a3 = TW.FusedMultiplyAdd(v, wa, a3);
                    c3 = TW.FusedMultiplyAdd(v, wc, c3);
                    v = TW.BroadcastSingle(x[s4]);
                    a4 = TW.FusedMultiplyAdd(v, wa, a4);
                    c4 = TW.FusedMultiplyAdd(v, wc, c4);
                    v = TW.BroadcastSingle(x[s5]);
                    a5 = TW.FusedMultiplyAdd(v, wa, a5);
                    c5 = TW.FusedMultiplyAdd(v, wc, c5);
                    v = TW.BroadcastSingle(x[s6]);
                    a6 = TW.FusedMultiplyAdd(v, wa, a6);
                    c6 = TW.FusedMultiplyAdd(v, wc, c6);
                    v = TW.BroadcastSingle(x[s7]);
                    a7 = TW.FusedMultiplyAdd(v, wa, a7);
                    c7 = TW.FusedMultiplyAdd(v, wc, c7);
                }
            }

            TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
            Finish<TW, TU, TF>(a0, ba, y, filters, 0, n);
            Finish<TW, TU, TF>(c0, bc, yc, filters, 0, n);
            Finish<TW, TU, TF>(a1, ba, y, filters, 1, n);
            Finish<TW, TU, TF>(c1, bc, yc, filters, 1, n);
            Finish<TW, TU, TF>(a2, ba, y, filters, 2, n);
            Finish<TW, TU, TF>(c2, bc, yc, filters, 2, n);
            Finish<TW, TU, TF>(a3, ba, y, filters, 3, n);
            Finish<TW, TU, TF>(c3, bc, yc, filters, 3, n);
            Finish<TW, TU, TF>(a4, ba, y, filters, 4, n);
            Finish<TW, TU, TF>(c4, bc, yc, filters, 4, n);
            Finish<TW, TU, TF>(a5, ba, y, filters, 5, n);
            Finish<TW, TU, TF>(c5, bc, yc, filters, 5, n);
            Finish<TW, TU, TF>(a6, ba, y, filters, 6, n);
            Finish<TW, TU, TF>(c6, bc, yc, filters, 6, n);
            Finish<TW, TU, TF>(a7, ba, y, filters, 7, n);
            Finish<TW, TU, TF>(c7, bc, yc, filters, 7, n);
        }

        /// <summary>
        /// <see cref="Pixels8Pair{TW, TU, TF}"/> for a block of at most seven pixels on two output rows at once (28 sums, the
        /// most AVX-512's 32 registers hold with the two weight vectors and a broadcast): each pair of weight loads feeds 28
        /// FMAs instead of 16, and a 14-pixel row (two blocks of seven) has no spare slot.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels7PairTwoRows<TW, TU, TF>(float* origin, nint step, int n, nint rowStep, float* weight, float* bias, float* y, nint yRowStep)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step);
            nint filters = Filters;
            float* yc = y + TW.Count, yb = y + yRowStep, yd = yb + TW.Count;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n), a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n), c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n), c6 = Start<TW, TU, TF>(yc, filters, 6, n);
            TF b0 = Start<TW, TU, TF>(yb, filters, 0, n), b1 = Start<TW, TU, TF>(yb, filters, 1, n), b2 = Start<TW, TU, TF>(yb, filters, 2, n), b3 = Start<TW, TU, TF>(yb, filters, 3, n), b4 = Start<TW, TU, TF>(yb, filters, 4, n), b5 = Start<TW, TU, TF>(yb, filters, 5, n), b6 = Start<TW, TU, TF>(yb, filters, 6, n);
            TF d0 = Start<TW, TU, TF>(yd, filters, 0, n), d1 = Start<TW, TU, TF>(yd, filters, 1, n), d2 = Start<TW, TU, TF>(yd, filters, 2, n), d3 = Start<TW, TU, TF>(yd, filters, 3, n), d4 = Start<TW, TU, TF>(yd, filters, 4, n), d5 = Start<TW, TU, TF>(yd, filters, 5, n), d6 = Start<TW, TU, TF>(yd, filters, 6, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wa = TW.LoadSingle(w), wc = TW.LoadSingle(w + TW.Count);
                    float* x2 = x + rowStep;
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, wa, a0);
                    c0 = TW.FusedMultiplyAdd(v, wc, c0);
                    v = TW.BroadcastSingle(*x2);
                    b0 = TW.FusedMultiplyAdd(v, wa, b0);
                    d0 = TW.FusedMultiplyAdd(v, wc, d0);
                    v = TW.BroadcastSingle(x[s1]);
                    a1 = TW.FusedMultiplyAdd(v, wa, a1);
                    c1 = TW.FusedMultiplyAdd(v, wc, c1);
                    v = TW.BroadcastSingle(x2[s1]);
                    b1 = TW.FusedMultiplyAdd(v, wa, b1);
                    d1 = TW.FusedMultiplyAdd(v, wc, d1);
                    v = TW.BroadcastSingle(x[s2]);
                    a2 = TW.FusedMultiplyAdd(v, wa, a2);
                    c2 = TW.FusedMultiplyAdd(v, wc, c2);
                    v = TW.BroadcastSingle(x2[s2]);
                    b2 = TW.FusedMultiplyAdd(v, wa, b2);
                    d2 = TW.FusedMultiplyAdd(v, wc, d2);
                    v = TW.BroadcastSingle(x[s3]);
                    a3 = TW.FusedMultiplyAdd(v, wa, a3);
                    c3 = TW.FusedMultiplyAdd(v, wc, c3);
                    v = TW.BroadcastSingle(x2[s3]);
                    b3 = TW.FusedMultiplyAdd(v, wa, b3);
                    d3 = TW.FusedMultiplyAdd(v, wc, d3);
                    v = TW.BroadcastSingle(x[s4]);
                    a4 = TW.FusedMultiplyAdd(v, wa, a4);
                    c4 = TW.FusedMultiplyAdd(v, wc, c4);
                    v = TW.BroadcastSingle(x2[s4]);
                    b4 = TW.FusedMultiplyAdd(v, wa, b4);
                    d4 = TW.FusedMultiplyAdd(v, wc, d4);
                    v = TW.BroadcastSingle(x[s5]);
                    a5 = TW.FusedMultiplyAdd(v, wa, a5);
                    c5 = TW.FusedMultiplyAdd(v, wc, c5);
                    v = TW.BroadcastSingle(x2[s5]);
                    b5 = TW.FusedMultiplyAdd(v, wa, b5);
                    d5 = TW.FusedMultiplyAdd(v, wc, d5);
                    v = TW.BroadcastSingle(x[s6]);
                    a6 = TW.FusedMultiplyAdd(v, wa, a6);
                    c6 = TW.FusedMultiplyAdd(v, wc, c6);
                    v = TW.BroadcastSingle(x2[s6]);
                    b6 = TW.FusedMultiplyAdd(v, wa, b6);
                    d6 = TW.FusedMultiplyAdd(v, wc, d6);
                }
            }

            TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
            Finish<TW, TU, TF>(a0, ba, y, filters, 0, n);
            Finish<TW, TU, TF>(c0, bc, yc, filters, 0, n);
            Finish<TW, TU, TF>(b0, ba, yb, filters, 0, n);
            Finish<TW, TU, TF>(d0, bc, yd, filters, 0, n);
            Finish<TW, TU, TF>(a1, ba, y, filters, 1, n);
            Finish<TW, TU, TF>(c1, bc, yc, filters, 1, n);
            Finish<TW, TU, TF>(b1, ba, yb, filters, 1, n);
            Finish<TW, TU, TF>(d1, bc, yd, filters, 1, n);
            Finish<TW, TU, TF>(a2, ba, y, filters, 2, n);
            Finish<TW, TU, TF>(c2, bc, yc, filters, 2, n);
            Finish<TW, TU, TF>(b2, ba, yb, filters, 2, n);
            Finish<TW, TU, TF>(d2, bc, yd, filters, 2, n);
            Finish<TW, TU, TF>(a3, ba, y, filters, 3, n);
            Finish<TW, TU, TF>(c3, bc, yc, filters, 3, n);
            Finish<TW, TU, TF>(b3, ba, yb, filters, 3, n);
            Finish<TW, TU, TF>(d3, bc, yd, filters, 3, n);
            Finish<TW, TU, TF>(a4, ba, y, filters, 4, n);
            Finish<TW, TU, TF>(c4, bc, yc, filters, 4, n);
            Finish<TW, TU, TF>(b4, ba, yb, filters, 4, n);
            Finish<TW, TU, TF>(d4, bc, yd, filters, 4, n);
            Finish<TW, TU, TF>(a5, ba, y, filters, 5, n);
            Finish<TW, TU, TF>(c5, bc, yc, filters, 5, n);
            Finish<TW, TU, TF>(b5, ba, yb, filters, 5, n);
            Finish<TW, TU, TF>(d5, bc, yd, filters, 5, n);
            Finish<TW, TU, TF>(a6, ba, y, filters, 6, n);
            Finish<TW, TU, TF>(c6, bc, yc, filters, 6, n);
            Finish<TW, TU, TF>(b6, ba, yb, filters, 6, n);
            Finish<TW, TU, TF>(d6, bc, yd, filters, 6, n);
        }

        /// <summary>
        /// <see cref="Pixels8{TW, TU, TF}"/> for a block of at most seven pixels on four output rows at once (28 sums), for a
        /// layer with a single vector of filters: each weight load feeds 28 FMAs, and a row of 14 or 28 pixels (blocks of
        /// seven) has no spare slot. The loads are one per FMA plus one, against 17 per 14 FMAs on two rows of eight-pixel slots.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels7FourRows<TW, TU, TF>(float* origin, nint step, int n, nint rowStep, float* weight, float* bias, float* y, nint yRowStep)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step);
            nint filters = Filters;
            float* yb = y + yRowStep, yc = yb + yRowStep, yd = yc + yRowStep;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n), a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n);
            TF b0 = Start<TW, TU, TF>(yb, filters, 0, n), b1 = Start<TW, TU, TF>(yb, filters, 1, n), b2 = Start<TW, TU, TF>(yb, filters, 2, n), b3 = Start<TW, TU, TF>(yb, filters, 3, n), b4 = Start<TW, TU, TF>(yb, filters, 4, n), b5 = Start<TW, TU, TF>(yb, filters, 5, n), b6 = Start<TW, TU, TF>(yb, filters, 6, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n), c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n), c6 = Start<TW, TU, TF>(yc, filters, 6, n);
            TF d0 = Start<TW, TU, TF>(yd, filters, 0, n), d1 = Start<TW, TU, TF>(yd, filters, 1, n), d2 = Start<TW, TU, TF>(yd, filters, 2, n), d3 = Start<TW, TU, TF>(yd, filters, 3, n), d4 = Start<TW, TU, TF>(yd, filters, 4, n), d5 = Start<TW, TU, TF>(yd, filters, 5, n), d6 = Start<TW, TU, TF>(yd, filters, 6, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    float* xb = x + rowStep, xc = xb + rowStep, xd = xc + rowStep;
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    b0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*xb), wv, b0);
                    c0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*xc), wv, c0);
                    d0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*xd), wv, d0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    b1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s1]), wv, b1);
                    c1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s1]), wv, c1);
                    d1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s1]), wv, d1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    b2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s2]), wv, b2);
                    c2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s2]), wv, c2);
                    d2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s2]), wv, d2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                    b3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s3]), wv, b3);
                    c3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s3]), wv, c3);
                    d3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s3]), wv, d3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s4]), wv, a4);
                    b4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s4]), wv, b4);
                    c4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s4]), wv, c4);
                    d4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s4]), wv, d4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s5]), wv, a5);
                    b5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s5]), wv, b5);
                    c5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s5]), wv, c5);
                    d5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s5]), wv, d5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s6]), wv, a6);
                    b6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s6]), wv, b6);
                    c6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s6]), wv, c6);
                    d6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s6]), wv, d6);
                }
            }

            TF bv = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, bv, y, filters, 0, n);
            Finish<TW, TU, TF>(b0, bv, yb, filters, 0, n);
            Finish<TW, TU, TF>(c0, bv, yc, filters, 0, n);
            Finish<TW, TU, TF>(d0, bv, yd, filters, 0, n);
            Finish<TW, TU, TF>(a1, bv, y, filters, 1, n);
            Finish<TW, TU, TF>(b1, bv, yb, filters, 1, n);
            Finish<TW, TU, TF>(c1, bv, yc, filters, 1, n);
            Finish<TW, TU, TF>(d1, bv, yd, filters, 1, n);
            Finish<TW, TU, TF>(a2, bv, y, filters, 2, n);
            Finish<TW, TU, TF>(b2, bv, yb, filters, 2, n);
            Finish<TW, TU, TF>(c2, bv, yc, filters, 2, n);
            Finish<TW, TU, TF>(d2, bv, yd, filters, 2, n);
            Finish<TW, TU, TF>(a3, bv, y, filters, 3, n);
            Finish<TW, TU, TF>(b3, bv, yb, filters, 3, n);
            Finish<TW, TU, TF>(c3, bv, yc, filters, 3, n);
            Finish<TW, TU, TF>(d3, bv, yd, filters, 3, n);
            Finish<TW, TU, TF>(a4, bv, y, filters, 4, n);
            Finish<TW, TU, TF>(b4, bv, yb, filters, 4, n);
            Finish<TW, TU, TF>(c4, bv, yc, filters, 4, n);
            Finish<TW, TU, TF>(d4, bv, yd, filters, 4, n);
            Finish<TW, TU, TF>(a5, bv, y, filters, 5, n);
            Finish<TW, TU, TF>(b5, bv, yb, filters, 5, n);
            Finish<TW, TU, TF>(c5, bv, yc, filters, 5, n);
            Finish<TW, TU, TF>(d5, bv, yd, filters, 5, n);
            Finish<TW, TU, TF>(a6, bv, y, filters, 6, n);
            Finish<TW, TU, TF>(b6, bv, yb, filters, 6, n);
            Finish<TW, TU, TF>(c6, bv, yc, filters, 6, n);
            Finish<TW, TU, TF>(d6, bv, yd, filters, 6, n);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels4<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step);
            nint filters = Filters;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                }
            }

            TF b = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, b, y, filters, 0, n);
            Finish<TW, TU, TF>(a1, b, y, filters, 1, n);
            Finish<TW, TU, TF>(a2, b, y, filters, 2, n);
            Finish<TW, TU, TF>(a3, b, y, filters, 3, n);
        }

        /// <summary>Offset of a block's slot: its pixel's window, or the last pixel's for a spare slot.</summary>
        private static nint Slot(int slot, int n, nint step) => Math.Min(slot, n - 1) * step;

        /// <summary>A slot's sum at the start of the pass: zero, or the partial sum stored by the pass before (a spare slot reads its pixel's).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly TF Start<TW, TU, TF>(float* y, nint filters, int slot, int n)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
            => Begins ? TW.BroadcastSingle(0f) : TW.LoadSingle(y + (Math.Min(slot, n - 1) * filters));

        /// <summary>Stores a slot's sum (plus the bias in the last pass); spare slots are dropped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Finish<TW, TU, TF>(TF sum, TF bias, float* y, nint filters, int slot, int n)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            if (slot < n)
            {
                TW.StoreSingle(Ends ? TW.AddSingle(sum, bias) : sum, y + (slot * filters));
            }
        }
    }

    /// <summary>Output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of one padded image, filters [<paramref name="firstFilter"/>, filters).</summary>
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

    /// <summary>
    /// Twelve taps' sums for filters [0, <paramref name="pairFilters"/>), two vectors at a time (24 sums in registers), for taps
    /// whose inputs lie side by side: tap i of a pixel reads <c>window[pixel + i]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps12Pair<TW, TU, TF>(in ConvGeometry g, int filters, int pairFilters, float* window, float* outputGradient, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
        {
            float* s = sums + fv;
            TF a0 = TW.LoadSingle(s + (0 * filters)), c0 = TW.LoadSingle(s + (0 * filters) + TW.Count);
            TF a1 = TW.LoadSingle(s + (1 * filters)), c1 = TW.LoadSingle(s + (1 * filters) + TW.Count);
            TF a2 = TW.LoadSingle(s + (2 * filters)), c2 = TW.LoadSingle(s + (2 * filters) + TW.Count);
            TF a3 = TW.LoadSingle(s + (3 * filters)), c3 = TW.LoadSingle(s + (3 * filters) + TW.Count);
            TF a4 = TW.LoadSingle(s + (4 * filters)), c4 = TW.LoadSingle(s + (4 * filters) + TW.Count);
            TF a5 = TW.LoadSingle(s + (5 * filters)), c5 = TW.LoadSingle(s + (5 * filters) + TW.Count);
            TF a6 = TW.LoadSingle(s + (6 * filters)), c6 = TW.LoadSingle(s + (6 * filters) + TW.Count);
            TF a7 = TW.LoadSingle(s + (7 * filters)), c7 = TW.LoadSingle(s + (7 * filters) + TW.Count);
            TF a8 = TW.LoadSingle(s + (8 * filters)), c8 = TW.LoadSingle(s + (8 * filters) + TW.Count);
            TF a9 = TW.LoadSingle(s + (9 * filters)), c9 = TW.LoadSingle(s + (9 * filters) + TW.Count);
            TF a10 = TW.LoadSingle(s + (10 * filters)), c10 = TW.LoadSingle(s + (10 * filters) + TW.Count);
            TF a11 = TW.LoadSingle(s + (11 * filters)), c11 = TW.LoadSingle(s + (11 * filters) + TW.Count);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = window + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF da = TW.LoadSingle(dy), dc = TW.LoadSingle(dy + TW.Count);
                    TF v;
                    v = TW.BroadcastSingle(x[0]);
                    a0 = TW.FusedMultiplyAdd(v, da, a0);
                    c0 = TW.FusedMultiplyAdd(v, dc, c0);
                    v = TW.BroadcastSingle(x[1]);
                    a1 = TW.FusedMultiplyAdd(v, da, a1);
                    c1 = TW.FusedMultiplyAdd(v, dc, c1);
                    v = TW.BroadcastSingle(x[2]);
                    a2 = TW.FusedMultiplyAdd(v, da, a2);
                    c2 = TW.FusedMultiplyAdd(v, dc, c2);
                    v = TW.BroadcastSingle(x[3]);
                    a3 = TW.FusedMultiplyAdd(v, da, a3);
                    c3 = TW.FusedMultiplyAdd(v, dc, c3);
                    v = TW.BroadcastSingle(x[4]);
                    a4 = TW.FusedMultiplyAdd(v, da, a4);
                    c4 = TW.FusedMultiplyAdd(v, dc, c4);
                    v = TW.BroadcastSingle(x[5]);
                    a5 = TW.FusedMultiplyAdd(v, da, a5);
                    c5 = TW.FusedMultiplyAdd(v, dc, c5);
                    v = TW.BroadcastSingle(x[6]);
                    a6 = TW.FusedMultiplyAdd(v, da, a6);
                    c6 = TW.FusedMultiplyAdd(v, dc, c6);
                    v = TW.BroadcastSingle(x[7]);
                    a7 = TW.FusedMultiplyAdd(v, da, a7);
                    c7 = TW.FusedMultiplyAdd(v, dc, c7);
                    v = TW.BroadcastSingle(x[8]);
                    a8 = TW.FusedMultiplyAdd(v, da, a8);
                    c8 = TW.FusedMultiplyAdd(v, dc, c8);
                    v = TW.BroadcastSingle(x[9]);
                    a9 = TW.FusedMultiplyAdd(v, da, a9);
                    c9 = TW.FusedMultiplyAdd(v, dc, c9);
                    v = TW.BroadcastSingle(x[10]);
                    a10 = TW.FusedMultiplyAdd(v, da, a10);
                    c10 = TW.FusedMultiplyAdd(v, dc, c10);
                    v = TW.BroadcastSingle(x[11]);
                    a11 = TW.FusedMultiplyAdd(v, da, a11);
                    c11 = TW.FusedMultiplyAdd(v, dc, c11);
                }
            }

            TW.StoreSingle(a0, s + (0 * filters));
            TW.StoreSingle(c0, s + (0 * filters) + TW.Count);
            TW.StoreSingle(a1, s + (1 * filters));
            TW.StoreSingle(c1, s + (1 * filters) + TW.Count);
            TW.StoreSingle(a2, s + (2 * filters));
            TW.StoreSingle(c2, s + (2 * filters) + TW.Count);
            TW.StoreSingle(a3, s + (3 * filters));
            TW.StoreSingle(c3, s + (3 * filters) + TW.Count);
            TW.StoreSingle(a4, s + (4 * filters));
            TW.StoreSingle(c4, s + (4 * filters) + TW.Count);
            TW.StoreSingle(a5, s + (5 * filters));
            TW.StoreSingle(c5, s + (5 * filters) + TW.Count);
            TW.StoreSingle(a6, s + (6 * filters));
            TW.StoreSingle(c6, s + (6 * filters) + TW.Count);
            TW.StoreSingle(a7, s + (7 * filters));
            TW.StoreSingle(c7, s + (7 * filters) + TW.Count);
            TW.StoreSingle(a8, s + (8 * filters));
            TW.StoreSingle(c8, s + (8 * filters) + TW.Count);
            TW.StoreSingle(a9, s + (9 * filters));
            TW.StoreSingle(c9, s + (9 * filters) + TW.Count);
            TW.StoreSingle(a10, s + (10 * filters));
            TW.StoreSingle(c10, s + (10 * filters) + TW.Count);
            TW.StoreSingle(a11, s + (11 * filters));
            TW.StoreSingle(c11, s + (11 * filters) + TW.Count);
        }
    }

    /// <summary>Eight taps' sums for filters [0, <paramref name="pairFilters"/>), two vectors at a time (sixteen sums in registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps8Pair<TW, TU, TF>(in ConvGeometry g, int filters, int pairFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7];
        for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
        {
            float* s = sums + fv;
            float* t = s + TW.Count;
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
            TF a4 = LoadTap<TW, TU, TF>(s, 4, taps, filters);
            TF a5 = LoadTap<TW, TU, TF>(s, 5, taps, filters);
            TF a6 = LoadTap<TW, TU, TF>(s, 6, taps, filters);
            TF a7 = LoadTap<TW, TU, TF>(s, 7, taps, filters);
            TF c0 = LoadTap<TW, TU, TF>(t, 0, taps, filters);
            TF c1 = LoadTap<TW, TU, TF>(t, 1, taps, filters);
            TF c2 = LoadTap<TW, TU, TF>(t, 2, taps, filters);
            TF c3 = LoadTap<TW, TU, TF>(t, 3, taps, filters);
            TF c4 = LoadTap<TW, TU, TF>(t, 4, taps, filters);
            TF c5 = LoadTap<TW, TU, TF>(t, 5, taps, filters);
            TF c6 = LoadTap<TW, TU, TF>(t, 6, taps, filters);
            TF c7 = LoadTap<TW, TU, TF>(t, 7, taps, filters);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF da = TW.LoadSingle(dy), dc = TW.LoadSingle(dy + TW.Count);
                    TF v = TW.BroadcastSingle(x[o0]);
                    a0 = TW.FusedMultiplyAdd(v, da, a0);
                    c0 = TW.FusedMultiplyAdd(v, dc, c0);
                    v = TW.BroadcastSingle(x[o1]);
                    a1 = TW.FusedMultiplyAdd(v, da, a1);
                    c1 = TW.FusedMultiplyAdd(v, dc, c1);
                    v = TW.BroadcastSingle(x[o2]);
                    a2 = TW.FusedMultiplyAdd(v, da, a2);
                    c2 = TW.FusedMultiplyAdd(v, dc, c2);
                    v = TW.BroadcastSingle(x[o3]);
                    a3 = TW.FusedMultiplyAdd(v, da, a3);
                    c3 = TW.FusedMultiplyAdd(v, dc, c3);
                    v = TW.BroadcastSingle(x[o4]);
                    a4 = TW.FusedMultiplyAdd(v, da, a4);
                    c4 = TW.FusedMultiplyAdd(v, dc, c4);
                    v = TW.BroadcastSingle(x[o5]);
                    a5 = TW.FusedMultiplyAdd(v, da, a5);
                    c5 = TW.FusedMultiplyAdd(v, dc, c5);
                    v = TW.BroadcastSingle(x[o6]);
                    a6 = TW.FusedMultiplyAdd(v, da, a6);
                    c6 = TW.FusedMultiplyAdd(v, dc, c6);
                    v = TW.BroadcastSingle(x[o7]);
                    a7 = TW.FusedMultiplyAdd(v, da, a7);
                    c7 = TW.FusedMultiplyAdd(v, dc, c7);
                }
            }

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
            StoreTap<TW, TU, TF>(a4, s, 4, taps, filters);
            StoreTap<TW, TU, TF>(a5, s, 5, taps, filters);
            StoreTap<TW, TU, TF>(a6, s, 6, taps, filters);
            StoreTap<TW, TU, TF>(a7, s, 7, taps, filters);
            StoreTap<TW, TU, TF>(c0, t, 0, taps, filters);
            StoreTap<TW, TU, TF>(c1, t, 1, taps, filters);
            StoreTap<TW, TU, TF>(c2, t, 2, taps, filters);
            StoreTap<TW, TU, TF>(c3, t, 3, taps, filters);
            StoreTap<TW, TU, TF>(c4, t, 4, taps, filters);
            StoreTap<TW, TU, TF>(c5, t, 5, taps, filters);
            StoreTap<TW, TU, TF>(c6, t, 6, taps, filters);
            StoreTap<TW, TU, TF>(c7, t, 7, taps, filters);
        }
    }

    /// <summary>
    /// <see cref="WeightGradientTaps8Pair{TW, TU, TF}"/> on six taps: the 256-bit path's pair kernel, 12 sums in AVX2's 16
    /// registers, so each broadcast input feeds two FMAs; the same sums in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps6Pair<TW, TU, TF, TLayout>(in ConvGeometry g, int filters, int pairFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
        where TLayout : struct, ITapLayout
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;

        // Windows relative to the first tap's, so the pixel loop holds five offsets, not six (AVX2 has 16 general registers);
        // none when the six taps lie side by side in one kernel row's run (constants, folded into the loads' addresses).
        bool side = TLayout.SideBySide;
        nint o0 = offsets[0], o1 = side ? 1 : offsets[1] - o0, o2 = side ? 2 : offsets[2] - o0, o3 = side ? 3 : offsets[3] - o0;
        nint o4 = side ? 4 : offsets[4] - o0, o5 = side ? 5 : offsets[5] - o0;
        for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
        {
            float* s = sums + fv;
            float* t = s + TW.Count;
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
            TF a4 = LoadTap<TW, TU, TF>(s, 4, taps, filters);
            TF a5 = LoadTap<TW, TU, TF>(s, 5, taps, filters);
            TF c0 = LoadTap<TW, TU, TF>(t, 0, taps, filters);
            TF c1 = LoadTap<TW, TU, TF>(t, 1, taps, filters);
            TF c2 = LoadTap<TW, TU, TF>(t, 2, taps, filters);
            TF c3 = LoadTap<TW, TU, TF>(t, 3, taps, filters);
            TF c4 = LoadTap<TW, TU, TF>(t, 4, taps, filters);
            TF c5 = LoadTap<TW, TU, TF>(t, 5, taps, filters);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + o0 + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF da = TW.LoadSingle(dy), dc = TW.LoadSingle(dy + TW.Count);
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, da, a0);
                    c0 = TW.FusedMultiplyAdd(v, dc, c0);
                    v = TW.BroadcastSingle(x[o1]);
                    a1 = TW.FusedMultiplyAdd(v, da, a1);
                    c1 = TW.FusedMultiplyAdd(v, dc, c1);
                    v = TW.BroadcastSingle(x[o2]);
                    a2 = TW.FusedMultiplyAdd(v, da, a2);
                    c2 = TW.FusedMultiplyAdd(v, dc, c2);
                    v = TW.BroadcastSingle(x[o3]);
                    a3 = TW.FusedMultiplyAdd(v, da, a3);
                    c3 = TW.FusedMultiplyAdd(v, dc, c3);
                    v = TW.BroadcastSingle(x[o4]);
                    a4 = TW.FusedMultiplyAdd(v, da, a4);
                    c4 = TW.FusedMultiplyAdd(v, dc, c4);
                    v = TW.BroadcastSingle(x[o5]);
                    a5 = TW.FusedMultiplyAdd(v, da, a5);
                    c5 = TW.FusedMultiplyAdd(v, dc, c5);
                }
            }

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
            StoreTap<TW, TU, TF>(a4, s, 4, taps, filters);
            StoreTap<TW, TU, TF>(a5, s, 5, taps, filters);
            StoreTap<TW, TU, TF>(c0, t, 0, taps, filters);
            StoreTap<TW, TU, TF>(c1, t, 1, taps, filters);
            StoreTap<TW, TU, TF>(c2, t, 2, taps, filters);
            StoreTap<TW, TU, TF>(c3, t, 3, taps, filters);
            StoreTap<TW, TU, TF>(c4, t, 4, taps, filters);
            StoreTap<TW, TU, TF>(c5, t, 5, taps, filters);
        }
    }

    /// <summary>How a block's taps lie in the padded image: side by side (offsets 0–5 from the first), or anywhere (listed).</summary>
    private interface ITapLayout
    {
        static abstract bool SideBySide { get; }
    }

    private readonly struct SideBySideTaps : ITapLayout
    {
        public static bool SideBySide
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => true;
        }
    }

    private readonly struct ListedTaps : ITapLayout
    {
        public static bool SideBySide
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps8<TW, TU, TF>(in ConvGeometry g, int filters, int firstFilter, int vectorFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7];
        for (int fv = firstFilter; fv < vectorFilters; fv += TW.Count)
        {
            float* s = sums + fv;
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
            TF a4 = LoadTap<TW, TU, TF>(s, 4, taps, filters);
            TF a5 = LoadTap<TW, TU, TF>(s, 5, taps, filters);
            TF a6 = LoadTap<TW, TU, TF>(s, 6, taps, filters);
            TF a7 = LoadTap<TW, TU, TF>(s, 7, taps, filters);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF d = TW.LoadSingle(dy);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o0]), d, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o1]), d, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o2]), d, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o3]), d, a3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o4]), d, a4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o5]), d, a5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o6]), d, a6);
                    a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o7]), d, a7);
                }
            }

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
            StoreTap<TW, TU, TF>(a4, s, 4, taps, filters);
            StoreTap<TW, TU, TF>(a5, s, 5, taps, filters);
            StoreTap<TW, TU, TF>(a6, s, 6, taps, filters);
            StoreTap<TW, TU, TF>(a7, s, 7, taps, filters);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps4<TW, TU, TF>(in ConvGeometry g, int filters, int vectorFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        for (int fv = 0; fv < vectorFilters; fv += TW.Count)
        {
            float* s = sums + fv;
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF d = TW.LoadSingle(dy);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o0]), d, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o1]), d, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o2]), d, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o3]), d, a3);
                }
            }

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
        }
    }

    /// <summary>Tap <paramref name="tap"/>'s sums at the start of an image: stored ones, or zero for a padded tap of a last block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF LoadTap<TW, TU, TF>(float* sums, int tap, int taps, int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
        => tap < taps ? TW.LoadSingle(sums + (tap * filters)) : TW.BroadcastSingle(0f);

    /// <summary>Stores tap <paramref name="tap"/>'s sums; a padded tap's are dropped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTap<TW, TU, TF>(TF sum, float* sums, int tap, int taps, int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        if (tap < taps)
        {
            TW.StoreSingle(sum, sums + (tap * filters));
        }
    }

    /// <summary>The scalar weight gradient for filters [<paramref name="firstFilter"/>, filters), same order as the vector one.</summary>
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

    /// <summary>
    /// Per tap of [<paramref name="firstTap"/>, + <paramref name="taps"/>), its offset from the window's corner in the padded
    /// image, then <see cref="TapPadding"/> copies of the last one: what <see cref="WeightGradient{TW, TU, TF}"/> (whose last
    /// block reads full-size) and <see cref="WeightGradientScalar"/> read, computed once per call.
    /// </summary>
    public static void TapOffsets(in ConvGeometry g, int firstTap, int taps, Span<int> offsets)
    {
        int run = g.KernelWidth * g.Channels, rowFloats = (g.Width + (2 * g.Padding)) * g.Channels;
        for (int t = 0; t < taps; t++)
        {
            int kh = (firstTap + t) / run;
            offsets[t] = (kh * rowFloats) + (firstTap + t - (kh * run));
        }

        if (taps > 0)
        {
            offsets.Slice(taps, TapPadding).Fill(offsets[taps - 1]);
        }
    }

    /// <summary>Entries <see cref="TapOffsets"/> writes past the taps.</summary>
    public const int TapPadding = 8;
}
