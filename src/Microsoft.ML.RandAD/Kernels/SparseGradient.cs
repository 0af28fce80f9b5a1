using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Where the k sampled values of a convolution input and their positions are stored.</summary>
/// <param name="Samples">Samples k per image (shared) or per (image, channel) plane.</param>
/// <param name="PerPlane">
/// False: one position set for every image and channel, values <c>[(n·k + j)·C + c]</c>, positions <c>[j]</c>.
/// True: a set per plane, values and positions <c>[(n·C + c)·k + j]</c>.
/// </param>
internal readonly record struct SampleLayout(int Samples, bool PerPlane);

/// <summary>
/// Weight gradients of sampled (sparse) inputs straight from the samples, without rebuilding the dense x̂ and taking the
/// dense product: a RAD sketch keeps f of its input, so these cost about f of the exact gradient.
/// </summary>
/// <remarks>
/// Every sum is a chain of fused multiply-adds in a fixed order (stated per method), the same on every path; vectors run
/// over the gradient's output columns or filters, the scalar code does the rest. Parts split the output columns (rows
/// kernel) or the kernel offsets (convolution kernel), never a sum, so results do not depend on the thread count.
/// </remarks>
internal static unsafe class SparseGradient
{
    private const int MaxStackFloats = 16384;
    private const long PartWork = 1 << 17;

    /// <summary>Bucket starts and sample order of <see cref="AddRowProducts"/>, kept per thread so steady state allocates nothing.</summary>
    [ThreadStatic]
    private static int[]? t_buckets;

    [ThreadStatic]
    private static float[]? t_bucketValues;

    /// <summary>A block of dY copied side by side for <see cref="SparseGradientLanes.RowProductsBlock{TW, TU, TF}"/>, per thread.</summary>
    [ThreadStatic]
    private static float[]? t_slab;

    /// <summary>
    /// <c>dW[indices[r·k + j], :] += values[r·k + j]·dY[r, :]</c> for rows r and samples j in ascending order (duplicates add
    /// up), starting from 0 for the first <paramref name="weightRows"/> rows of dW unless <paramref name="accumulate"/> is set.
    /// </summary>
    public static void AddRowProducts(ReadOnlySpan<float> values, ReadOnlySpan<int> indices, int rows, int k, ReadOnlySpan<float> outputGradient, int width, Span<float> weightGradient, int weightRows, bool accumulate)
    {
        if (values.Length < (long)rows * k || indices.Length < (long)rows * k || outputGradient.Length < (long)rows * width || weightGradient.Length < (long)weightRows * width)
        {
            throw new ArgumentException($"{rows} rows of {k} samples into {weightRows}×{width}: a span is too short.");
        }

        for (int i = 0; i < rows * k; i++)
        {
            if ((uint)indices[i] >= (uint)weightRows)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"indices[{i}] lies outside [0, {weightRows}).");
            }
        }

        // Bucket the samples by destination row, keeping (r, j) order inside a bucket, so each row of dW is summed in
        // registers and written once instead of read and written per sample; a bucket lists each sample's row and value.
        int samples = rows * k;
        if (t_buckets is null || t_buckets.Length < weightRows + 1 + samples)
        {
            t_buckets = new int[weightRows + 1 + samples];
        }

        if (t_bucketValues is null || t_bucketValues.Length < samples)
        {
            t_bucketValues = new float[samples];
        }

        Span<int> starts = t_buckets.AsSpan(0, weightRows + 1);
        Span<int> sampleRows = t_buckets.AsSpan(weightRows + 1, samples);
        Span<float> sampleValues = t_bucketValues.AsSpan(0, samples);
        starts.Clear();
        for (int i = 0; i < samples; i++)
        {
            starts[indices[i] + 1]++;
        }

        for (int c = 0; c < weightRows; c++)
        {
            starts[c + 1] += starts[c];
        }

        for (int r = 0, i = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++, i++)
            {
                int at = starts[indices[i]]++;
                sampleRows[at] = r;
                sampleValues[at] = values[i];
            }
        }

        for (int c = weightRows; c > 0; c--)
        {
            starts[c] = starts[c - 1]; // the fill advanced each start to the next bucket's: shift back
        }

        starts[0] = 0;
        Sgemm.Trace?.Add(new GemmCall(true, false, k, width, rows)); // the work of the dense product it replaces at f of its size
        fixed (float* pv = sampleValues, pg = outputGradient, pw = weightGradient)
        fixed (int* ps = starts, pr = sampleRows)
        {
            var job = new RowJob { Values = pv, Starts = ps, Rows = pr, Gradient = pg, Weight = pw, WeightRows = weightRows, Width = width, OutputRows = rows, Accumulate = accumulate };
            job.Run(samples);
        }
    }

    /// <summary>Whether <see cref="AddConvolutionProducts"/> takes this shape (its accumulators and position table live on the stack).</summary>
    public static bool CanAddConvolutionProducts(in ConvGeometry g, int filters) =>
        (long)g.PatchSize * filters <= MaxStackFloats && g.Height * g.Width <= MaxStackFloats;

    /// <summary>
    /// <c>dW[f, (a, b, c)] = Σ_(n, j) x̂(n, c, j)·dY[n, o, f]</c> over the samples whose position p is reached from output
    /// position o by kernel offset (a, b), summed in (image, sample) order; stored, or added to dW when accumulating.
    /// </summary>
    public static void AddConvolutionProducts(in ConvGeometry g, int filters, ReadOnlySpan<float> values, ReadOnlySpan<int> positions, SampleLayout layout, int count, ReadOnlySpan<float> outputGradient, Span<float> weightGradient, bool accumulate)
    {
        g.Validate();
        int k = layout.Samples, plane = g.Height * g.Width;
        long samples = (long)count * g.Channels * k;
        if (!CanAddConvolutionProducts(g, filters) || values.Length < samples || positions.Length < (layout.PerPlane ? samples : k)
            || outputGradient.Length < (long)count * g.OutPositions * filters || weightGradient.Length < (long)filters * g.PatchSize)
        {
            throw new ArgumentException($"Sampled-position gradient of {count} {g.Height}×{g.Width}×{g.Channels} images, {k} samples, {filters} filters: unsupported shape or a span too short.");
        }

        for (int i = 0; i < (layout.PerPlane ? samples : k); i++)
        {
            if ((uint)positions[i] >= (uint)plane)
            {
                throw new ArgumentOutOfRangeException(nameof(positions), positions[i], $"positions[{i}] lies outside [0, {plane}).");
            }
        }

        Sgemm.Trace?.Add(new GemmCall(true, false, filters, g.PatchSize, count * k)); // the dense product it stands for, at f of its depth
        fixed (float* pv = values, pg = outputGradient, pw = weightGradient)
        fixed (int* pp = positions)
        {
            var job = new ConvolutionJob { G = g, Filters = filters, Values = pv, Positions = pp, Layout = layout, Count = count, Gradient = pg, Weight = pw, Accumulate = accumulate };
            job.Run();
        }
    }

    /// <summary>One row-products call over bucketed samples; parts are ranges of destination rows.</summary>
    /// <summary>
    /// One <see cref="AddRowProducts"/> call. On the vector paths the parts are blocks of dW's columns
    /// (<see cref="SparseGradientLanes.RowProductsBlock{TW, TU, TF}"/>, each reading its block of dY copied side by side),
    /// then one part for the columns after the last whole block; on the scalar path, or with no whole block, ranges of dW's
    /// rows. Either way each sum is the same chain, whatever the parts.
    /// </summary>
    private struct RowJob : IRangeJob
    {
        public float* Values, Gradient, Weight;
        public int* Starts, Rows;
        public int WeightRows, Width, OutputRows;
        public bool Accumulate;
        private KernelPath _path;
        private int _perPart, _blocks, _blockColumns;

        public void Run(int samples)
        {
            _path = KernelSettings.Path;
            _blockColumns = _path switch
            {
                KernelPath.Vector512 => SparseGradientLanes.BlockColumns<Width512, Vector512<uint>, Vector512<float>>(),
                KernelPath.Vector256 => SparseGradientLanes.BlockColumns<Width256, Vector256<uint>, Vector256<float>>(),
                KernelPath.Vector128 => SparseGradientLanes.BlockColumns<Width128, Vector128<uint>, Vector128<float>>(),
                _ => 0,
            };
            _blocks = _blockColumns == 0 ? 0 : Width / _blockColumns;
            if (_blocks > 0)
            {
                WorkerPool.RunRanges(ref this, _blocks + (Width % _blockColumns == 0 ? 0 : 1), 1);
                return;
            }

            long work = (long)samples * Width;
            int parts = (int)Math.Clamp(work / PartWork, 1, Math.Max(1, WeightRows));
            _perPart = (WeightRows + parts - 1) / parts;
            WorkerPool.RunRanges(ref this, WeightRows, _perPart);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public readonly void RunRange(int first, int count)
        {
            if (_blocks == 0)
            {
                RowRange(first, count, 0);
                return;
            }

            for (int part = first; part < first + count; part++)
            {
                if (part == _blocks)
                {
                    RowRange(0, WeightRows, _blocks * _blockColumns); // the columns after the last whole block
                    continue;
                }

                float* slab = Slab((long)OutputRows * _blockColumns);
                int c = part * _blockColumns;
                switch (_path)
                {
                    case KernelPath.Vector512:
                        SparseGradientLanes.RowProductsBlock<Width512, Vector512<uint>, Vector512<float>>(Values, Rows, Starts, WeightRows, Gradient, OutputRows, Width, c, slab, Weight, Accumulate);
                        break;
                    case KernelPath.Vector256:
                        SparseGradientLanes.RowProductsBlock<Width256, Vector256<uint>, Vector256<float>>(Values, Rows, Starts, WeightRows, Gradient, OutputRows, Width, c, slab, Weight, Accumulate);
                        break;
                    default:
                        SparseGradientLanes.RowProductsBlock<Width128, Vector128<uint>, Vector128<float>>(Values, Rows, Starts, WeightRows, Gradient, OutputRows, Width, c, slab, Weight, Accumulate);
                        break;
                }
            }
        }

        /// <summary>dW rows [firstRow, firstRow + count), columns from <paramref name="firstColumn"/>: vectors, then one at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private readonly void RowRange(int firstRow, int count, int firstColumn)
        {
            int done = _path switch
            {
                KernelPath.Vector512 => SparseGradientLanes.RowProducts<Width512, Vector512<uint>, Vector512<float>>(Values, Rows, Starts, firstRow, count, Gradient, Width, Weight, Accumulate, firstColumn),
                KernelPath.Vector256 => SparseGradientLanes.RowProducts<Width256, Vector256<uint>, Vector256<float>>(Values, Rows, Starts, firstRow, count, Gradient, Width, Weight, Accumulate, firstColumn),
                KernelPath.Vector128 => SparseGradientLanes.RowProducts<Width128, Vector128<uint>, Vector128<float>>(Values, Rows, Starts, firstRow, count, Gradient, Width, Weight, Accumulate, firstColumn),
                _ => firstColumn,
            };
            SparseGradientLanes.RowProductsScalar(Values, Rows, Starts, firstRow, count, Gradient, Width, Weight, Math.Max(done, firstColumn), Accumulate);
        }
    }

    /// <summary>This thread's copy of a block of dY for <see cref="SparseGradientLanes.RowProductsBlock{TW, TU, TF}"/>, 64-byte aligned.</summary>
    private static float* Slab(long floats)
    {
        if (t_slab is null || t_slab.Length < floats + 16)
        {
            t_slab = PinnedMemory.Allocate<float>((int)floats + 16);
        }

        return (float*)(((nint)PinnedMemory.Pointer(t_slab) + 63) & ~(nint)63);
    }

    /// <summary>One convolution call; parts are ranges of kernel rows a (every offset (a, b) of those rows).</summary>
    private struct ConvolutionJob : IRangeJob
    {
        public ConvGeometry G;
        public SampleLayout Layout;
        public float* Values, Gradient, Weight;
        public int* Positions;
        public int Filters, Count;
        public bool Accumulate;
        private KernelPath _path;
        private int _perPart;

        public void Run()
        {
            _path = KernelSettings.Path;
            long work = (long)Count * G.Channels * Layout.Samples * G.KernelHeight * G.KernelWidth * Filters;
            // Every part walks all samples, so split no finer than the threads (any split gives the same sums).
            int parts = (int)Math.Clamp(work / PartWork, 1, Math.Min(G.KernelHeight, KernelSettings.ThreadCount));
            _perPart = (G.KernelHeight + parts - 1) / parts;
            WorkerPool.RunRanges(ref this, G.KernelHeight, _perPart);
        }

        public readonly void RunRange(int firstRow, int kernelRows)
        {
            int taps = kernelRows * G.KernelWidth * G.Channels;
            float* sumsBuffer = stackalloc float[(taps * Filters) + 16];
            float* sums = (float*)(((nuint)sumsBuffer + 63) & ~(nuint)63); // whole vectors on whole cache lines
            new Span<float>(sums, taps * Filters).Clear();
            int* outRow = stackalloc int[kernelRows * G.Height];
            int* outColumn = stackalloc int[G.KernelWidth * G.Width];
            SparseGradientLanes.OutputRowsAndColumns(G, firstRow, kernelRows, outRow, outColumn);
            var plan = new OffsetPlan(firstRow, kernelRows, outRow, outColumn);
            int done = _path switch
            {
                KernelPath.Vector512 => SparseGradientLanes.ConvolutionProducts<Width512, Vector512<uint>, Vector512<float>>(G, Filters, Values, Positions, Layout, Count, Gradient, plan, sums),
                KernelPath.Vector256 => SparseGradientLanes.ConvolutionProducts<Width256, Vector256<uint>, Vector256<float>>(G, Filters, Values, Positions, Layout, Count, Gradient, plan, sums),
                KernelPath.Vector128 => SparseGradientLanes.ConvolutionProducts<Width128, Vector128<uint>, Vector128<float>>(G, Filters, Values, Positions, Layout, Count, Gradient, plan, sums),
                _ => 0,
            };
            SparseGradientLanes.ConvolutionProductsScalar(G, Filters, done, Values, Positions, Layout, Count, Gradient, plan, sums);
            int firstTap = firstRow * G.KernelWidth * G.Channels;
            for (int t = 0; t < taps; t++)
            {
                for (int f = 0; f < Filters; f++)
                {
                    float* target = Weight + ((long)f * G.PatchSize) + firstTap + t;
                    *target = Accumulate ? *target + sums[(t * Filters) + f] : sums[(t * Filters) + f];
                }
            }
        }
    }
}
