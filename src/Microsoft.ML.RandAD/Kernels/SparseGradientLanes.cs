using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Which kernel rows a convolution part handles, and where each input row and column lands for each offset.</summary>
/// <param name="firstRow">First kernel row a of the part.</param>
/// <param name="rows">Kernel rows in the part.</param>
/// <param name="outRow">Per part row and input row ih: the output row whose window puts kernel row a on ih, or −1 (rows × H).</param>
/// <param name="outColumn">Per kernel column b and input column iw: the output column, or −1 (KW × W).</param>
internal readonly unsafe struct OffsetPlan(int firstRow, int rows, int* outRow, int* outColumn)
{
    public readonly int FirstRow = firstRow, Rows = rows;
    public readonly int* OutRow = outRow, OutColumn = outColumn;
}

/// <summary>
/// The loops of <see cref="SparseGradient"/>: vector versions (written once over <see cref="IVectorWidth{TU, TF}"/>,
/// returning how many columns or filters they did) and scalar versions for the rest, with the same fused multiply-adds in
/// the same order.
/// </summary>
internal static unsafe class SparseGradientLanes
{
    /// <summary>
    /// Rows [firstRow, firstRow + count) of dW, columns [<paramref name="firstColumn"/>, returned) a vector at a time: row d is
    /// <c>Σ values[i]·dY[rows[i], :]</c> over its bucket [starts[d], starts[d + 1]) in order, started from its value when
    /// accumulating, else from 0. For the columns short of a whole block of <see cref="RowProductsBlock{TW, TU, TF}"/>
    /// (after the last block, or all of a narrow dW); the same chains, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int RowProducts<TW, TU, TF>(float* values, int* rows, int* starts, int firstRow, int count, float* outputGradient, int width, float* weight, bool accumulate, int firstColumn)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count, vectorColumns = width - (width % n);
        TF zero = TW.BroadcastSingle(0f);
        int c = firstColumn;
        for (; c < vectorColumns; c += n)
        {
            for (int d = firstRow; d < firstRow + count; d++)
            {
                float* t = weight + ((long)d * width) + c;
                TF a = accumulate ? TW.LoadSingle(t) : zero;
                for (int i = starts[d]; i < starts[d + 1]; i++)
                {
                    a = TW.FusedMultiplyAdd(TW.BroadcastSingle(values[i]), TW.LoadSingle(outputGradient + ((long)rows[i] * width) + c), a);
                }

                TW.StoreSingle(a, t);
            }
        }

        return vectorColumns;
    }

    /// <summary>Columns in one block of <see cref="RowProductsBlock{TW, TU, TF}"/>: four vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BlockColumns<TW, TU, TF>()
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => 4 * TW.Count;

    /// <summary>
    /// Columns [c, c + <see cref="BlockColumns{TW, TU, TF}"/>) of every row of dW (<paramref name="weightRows"/>), as
    /// <see cref="RowProducts{TW, TU, TF}"/> computes them (the same chains, so the same bits), reading dY's block from
    /// <paramref name="slab"/>, where its <paramref name="outputRows"/> rows are first copied side by side. Read in place, a
    /// block's rows lie a width apart (1 KB for 256 outputs) and the loads ran slower: in one process on one thread,
    /// <see cref="SparseGradient.AddRowProducts"/> at 784→256 and 256→256 (128 rows, f = 0.1) took 0.71× and 0.77× the time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void RowProductsBlock<TW, TU, TF>(float* values, int* rows, int* starts, int weightRows, float* outputGradient, int outputRows, int width, int c, float* slab, float* weight, bool accumulate)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count, block = 4 * n;
        for (int r = 0; r < outputRows; r++)
        {
            float* source = outputGradient + ((long)r * width) + c, destination = slab + ((long)r * block);
            TW.StoreSingle(TW.LoadSingle(source), destination);
            TW.StoreSingle(TW.LoadSingle(source + n), destination + n);
            TW.StoreSingle(TW.LoadSingle(source + (2 * n)), destination + (2 * n));
            TW.StoreSingle(TW.LoadSingle(source + (3 * n)), destination + (3 * n));
        }

        TF zero = TW.BroadcastSingle(0f);
        for (int d = 0; d < weightRows; d++)
        {
            float* t = weight + ((long)d * width) + c;
            TF a0 = accumulate ? TW.LoadSingle(t) : zero, a1 = accumulate ? TW.LoadSingle(t + n) : zero;
            TF a2 = accumulate ? TW.LoadSingle(t + (2 * n)) : zero, a3 = accumulate ? TW.LoadSingle(t + (3 * n)) : zero;
            for (int i = starts[d]; i < starts[d + 1]; i++)
            {
                TF v = TW.BroadcastSingle(values[i]);
                float* dy = slab + ((long)rows[i] * block);
                a0 = TW.FusedMultiplyAdd(v, TW.LoadSingle(dy), a0);
                a1 = TW.FusedMultiplyAdd(v, TW.LoadSingle(dy + n), a1);
                a2 = TW.FusedMultiplyAdd(v, TW.LoadSingle(dy + (2 * n)), a2);
                a3 = TW.FusedMultiplyAdd(v, TW.LoadSingle(dy + (3 * n)), a3);
            }

            TW.StoreSingle(a0, t);
            TW.StoreSingle(a1, t + n);
            TW.StoreSingle(a2, t + (2 * n));
            TW.StoreSingle(a3, t + (3 * n));
        }
    }

    /// <summary>Columns [<paramref name="firstColumn"/>, width) of <see cref="RowProducts{TW, TU, TF}"/>, one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void RowProductsScalar(float* values, int* rows, int* starts, int firstRow, int count, float* outputGradient, int width, float* weight, int firstColumn, bool accumulate)
    {
        for (int d = firstRow; d < firstRow + count; d++)
        {
            float* t = weight + ((long)d * width);
            for (int c = firstColumn; c < width; c++)
            {
                float a = accumulate ? t[c] : 0f;
                for (int i = starts[d]; i < starts[d + 1]; i++)
                {
                    a = MathF.FusedMultiplyAdd(values[i], outputGradient[((long)rows[i] * width) + c], a);
                }

                t[c] = a;
            }
        }
    }

    /// <summary>Fills the plan's tables: rows and columns are resolved separately (H + W divisions per offset, not H·W).</summary>
    public static void OutputRowsAndColumns(in ConvGeometry g, int firstRow, int rows, int* outRow, int* outColumn)
    {
        for (int a = 0; a < rows; a++)
        {
            for (int ih = 0; ih < g.Height; ih++)
            {
                int rh = ih + g.Padding - (firstRow + a), oh = rh / g.Stride;
                outRow[(a * g.Height) + ih] = rh >= 0 && rh % g.Stride == 0 && oh < g.OutHeight ? oh : -1;
            }
        }

        for (int b = 0; b < g.KernelWidth; b++)
        {
            for (int iw = 0; iw < g.Width; iw++)
            {
                int rw = iw + g.Padding - b, ow = rw / g.Stride;
                outColumn[(b * g.Width) + iw] = rw >= 0 && rw % g.Stride == 0 && ow < g.OutWidth ? ow : -1;
            }
        }
    }

    /// <summary>
    /// <c>sums[(a, b, c), f] += x̂(n, c, j)·dY[n, o, f]</c> for every sample, every offset (a, b) of the plan that reaches an
    /// output position o from it, and filters [0, returned). Each accumulator takes its samples in (image, sample) order:
    /// the loops run images, channels, samples, offsets; with shared positions and 4+ channels images, samples, offsets,
    /// channels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int ConvolutionProducts<TW, TU, TF>(in ConvGeometry g, int filters, float* values, int* positions, SampleLayout layout, int count, float* outputGradient, OffsetPlan plan, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int vectorFilters = filters - (filters % TW.Count);
        int channels = g.Channels, k = layout.Samples, width = g.Width, height = g.Height, kernelWidth = g.KernelWidth, outWidth = g.OutWidth;
        if (!layout.PerPlane && channels >= 4)
        {
            // One position for all channels: each (sample, offset) pair loads its dY row once for all C channels (with
            // fewer channels the plane order below is faster; both give every accumulator its samples in the same order).
            for (int n = 0; n < count && vectorFilters > 0; n++)
            {
                float* dyImage = outputGradient + ((long)n * g.OutPositions * filters);
                for (int j = 0; j < k; j++)
                {
                    int p = positions[j], ih = p / width, iw = p - (ih * width);
                    float* sample = values + ((((long)n * k) + j) * channels);
                    for (int a = 0; a < plan.Rows; a++)
                    {
                        int oh = plan.OutRow[(a * height) + ih];
                        for (int b = 0; b < kernelWidth && oh >= 0; b++)
                        {
                            int ow = plan.OutColumn[(b * width) + iw];
                            if (ow < 0)
                            {
                                continue;
                            }

                            float* dy = dyImage + ((long)((oh * outWidth) + ow) * filters);
                            float* sum = sums + (((a * kernelWidth) + b) * channels * filters);
                            for (int f = 0; f < vectorFilters; f += TW.Count)
                            {
                                TF d = TW.LoadSingle(dy + f);
                                for (int c = 0; c < channels; c++)
                                {
                                    float* target = sum + (c * filters) + f;
                                    TW.StoreSingle(TW.FusedMultiplyAdd(TW.BroadcastSingle(sample[c]), d, TW.LoadSingle(target)), target);
                                }
                            }
                        }
                    }
                }
            }

            return vectorFilters;
        }

        for (int n = 0; n < count && vectorFilters > 0; n++)
        {
            float* dyImage = outputGradient + ((long)n * g.OutPositions * filters);
            for (int c = 0; c < channels; c++)
            {
                int* planePositions = Plane(layout, n, c, channels, positions, out long at, out long step);
                for (int j = 0; j < k; j++)
                {
                    int p = planePositions[j], ih = p / width, iw = p - (ih * width);
                    TF value = TW.BroadcastSingle(values[at + (j * step)]);
                    for (int a = 0; a < plan.Rows; a++)
                    {
                        int oh = plan.OutRow[(a * height) + ih];
                        if (oh < 0)
                        {
                            continue;
                        }

                        for (int b = 0; b < kernelWidth; b++)
                        {
                            int ow = plan.OutColumn[(b * width) + iw];
                            if (ow < 0)
                            {
                                continue;
                            }

                            float* dy = dyImage + ((long)((oh * outWidth) + ow) * filters);
                            float* sum = sums + ((((((a * kernelWidth) + b) * channels) + c) * filters));
                            for (int f = 0; f < vectorFilters; f += TW.Count)
                            {
                                TW.StoreSingle(TW.FusedMultiplyAdd(value, TW.LoadSingle(dy + f), TW.LoadSingle(sum + f)), sum + f);
                            }
                        }
                    }
                }
            }
        }

        return vectorFilters;
    }

    /// <summary>The scalar version for filters [<paramref name="firstFilter"/>, filters).</summary>
    public static void ConvolutionProductsScalar(in ConvGeometry g, int filters, int firstFilter, float* values, int* positions, SampleLayout layout, int count, float* outputGradient, OffsetPlan plan, float* sums)
    {
        int channels = g.Channels, k = layout.Samples;
        for (int n = 0; n < count && firstFilter < filters; n++)
        {
            float* dyImage = outputGradient + ((long)n * g.OutPositions * filters);
            for (int c = 0; c < channels; c++)
            {
                int* planePositions = Plane(layout, n, c, channels, positions, out long at, out long step);
                for (int j = 0; j < k; j++)
                {
                    int p = planePositions[j], ih = p / g.Width, iw = p - (ih * g.Width);
                    float value = values[at + (j * step)];
                    for (int a = 0; a < plan.Rows; a++)
                    {
                        int oh = plan.OutRow[(a * g.Height) + ih];
                        for (int b = 0; b < g.KernelWidth && oh >= 0; b++)
                        {
                            int ow = plan.OutColumn[(b * g.Width) + iw];
                            if (ow < 0)
                            {
                                continue;
                            }

                            float* dy = dyImage + ((long)((oh * g.OutWidth) + ow) * filters);
                            float* sum = sums + ((((((a * g.KernelWidth) + b) * channels) + c) * filters));
                            for (int f = firstFilter; f < filters; f++)
                            {
                                sum[f] = MathF.FusedMultiplyAdd(value, dy[f], sum[f]);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Plane (n, c)'s k positions; where its values start and their stride.</summary>
    private static int* Plane(SampleLayout layout, int n, int c, int channels, int* positions, out long at, out long step)
    {
        if (layout.PerPlane)
        {
            at = (((long)n * channels) + c) * layout.Samples;
            step = 1;
            return positions + at;
        }

        at = ((long)n * layout.Samples * channels) + c;
        step = channels;
        return positions;
    }
}
