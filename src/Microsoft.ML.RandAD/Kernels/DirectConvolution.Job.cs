using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

// The job that runs the direct convolutions over the pool's threads: images (or bands of rows) a part, or halves of the images.
internal static unsafe partial class DirectConvolution
{
    /// <summary>
    /// One call. Forward: <c>_weight</c> is the transposed weight (PatchSize × filters), <c>_output</c> the output; parts are
    /// ranges of lines, a line being an image or, with fewer images than threads, a band of its rows. Weight gradient: <c>_weight</c> is the gradient (filters × PatchSize), <c>_output</c> the
    /// output gradient; parts are ranges of taps.
    /// </summary>
    private struct ConvolutionJob(ConvGeometry g, int filters, float* images, float* weight, float* bias, float* output, int count, bool accumulate) : IRangeJob
    {
        private readonly ConvGeometry _g = g;
        private readonly int _filters = filters, _count = count;
        private readonly float* _images = images, _weight = weight, _bias = bias, _output = output;
        private readonly bool _accumulate = accumulate;
        private KernelPath _path;
        private int _perPart;
        private bool _forward;
        private float* _halves;
        private bool _halvesBias;
        private PoolGeometry _pool;
        private float* _pooled; // the pooled output (forward) or its gradient (weight gradient)
        private byte* _winners;
        private bool _relu; // forward through pooling: max(·, 0) on the pooled output too
        private int _bands; // forward: bands of output rows per image (a line is an image's band)
        private float* _reluOutput; // forward without pooling: each output element kept where this (same layout) is positive, else 0·it

        /// <summary>
        /// The forward pass with each band of the output, once written, masked by the output of a ReLU of the same layout
        /// (<see cref="ReluFromOutput.BackwardRange"/>, slope 0), while it is in the cache: an input gradient that comes out as
        /// the ReLU's input gradient.
        /// </summary>
        public void RunMaskedByRelu(float* reluOutput)
        {
            _reluOutput = reluOutput;
            Run(lines: _count, forward: true);
        }

        /// <summary>
        /// Weight gradient over two fixed halves of the images, every tap each: sums of half h at <paramref name="halves"/> +
        /// h·(PatchSize + 1)·filters (tap-major), then the half's bias sums when <paramref name="withBias"/>.
        /// </summary>
        public void RunHalves(float* halves, bool withBias)
        {
            _path = KernelSettings.Path;
            _forward = false;
            _halves = halves;
            _halvesBias = withBias;
            WorkerPool.RunRanges(ref this, 2, 1);
        }

        /// <summary><see cref="RunHalves"/> (bias included) with each image's output gradient formed from its pooled gradient and winners.</summary>
        public void RunHalvesThroughPooling(float* halves, in PoolGeometry pool, float* pooledGradient, byte* winners)
        {
            _pool = pool;
            _pooled = pooledGradient;
            _winners = winners;
            RunHalves(halves, withBias: true);
        }

        /// <summary>The forward pass (parts are ranges of images, or of bands of rows) with each image's output max-pooled into <paramref name="pooled"/> and <paramref name="winners"/> (may be null).</summary>
        public void RunForwardThroughPooling(in PoolGeometry pool, float* pooled, byte* winners, bool relu)
        {
            _pool = pool;
            _pooled = pooled;
            _winners = winners;
            _relu = relu;
            Run(lines: _count, forward: true);
        }

        public void Run(int lines, bool forward)
        {
            _path = KernelSettings.Path;
            _forward = forward;
            long work = (long)_count * _g.OutPositions * _g.PatchSize * _filters;
            _bands = forward ? Bands(work) : 1;
            lines *= _bands;
            int parts = (int)Math.Clamp(work / PartWork, 1, Math.Max(1, lines));
            if (!forward)
            {
                // Every tap part walks all pixels, so split no finer than the threads (any split gives the same sums).
                parts = Math.Min(parts, KernelSettings.ThreadCount);
            }

            _perPart = (lines + parts - 1) / parts;
            WorkerPool.RunRanges(ref this, lines, _perPart);
        }

        /// <summary>
        /// Bands of output rows per image in the forward pass: one, unless there are fewer images than threads (scoring a
        /// single row) and at least a part's work per band; then one a thread. Under pooling the bands end on the pooling's
        /// rows, which needs windows that tile the output. Every output element takes the same operations either way.
        /// </summary>
        private readonly int Bands(long work)
        {
            int threads = KernelSettings.ThreadCount, unit = _pooled == null ? 1 : _pool.Tiles ? _pool.Size : 0;
            if (!SplitsRows || _count == 0 || _count >= threads || unit == 0)
            {
                return 1;
            }

            long perImage = work / _count;
            return (int)Math.Clamp(Math.Min(threads / _count, perImage / PartWork), 1, _g.OutHeight / unit);
        }

        /// <summary>Output rows [first, end) of band <paramref name="band"/> of <see cref="_bands"/>: whole pooling windows under pooling.</summary>
        private readonly (int First, int End) BandRows(int band)
        {
            int unit = _pooled == null ? 1 : _pool.Size, units = _g.OutHeight / unit;
            return _bands == 1 ? (0, _g.OutHeight) : (band * units / _bands * unit, band + 1 == _bands ? _g.OutHeight : (band + 1) * units / _bands * unit);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // stackalloc and loops: optimized at once anyway
        public readonly void RunRange(int first, int count)
        {
            float* paddedBuffer = stackalloc float[DirectConvolutionLanes.PaddedSize(_g) + 16];
            float* padded = AlignTo64(paddedBuffer);
            DirectConvolutionLanes.ClearPadded(_g, padded);
            if (_forward)
            {
                int outputSize = _g.OutPositions * _filters;
                float* image = _pooled != null ? ExpandedBuffer(outputSize) : null;
                for (int line = first, paddedImage = -1; line < first + count; line++)
                {
                    int n = line / _bands;
                    (int firstRow, int endRow) = BandRows(line % _bands);
                    if (n != paddedImage)
                    {
                        DirectConvolutionLanes.Pad(_g, _images + ((long)n * _g.ImageSize), padded);
                        paddedImage = n;
                    }

                    float* output = image != null ? image : _output + ((long)n * outputSize);
                    int vectorFilters = _path switch
                    {
                        KernelPath.Vector512 => DirectConvolutionLanes.Forward<Width512, Vector512<uint>, Vector512<float>>(_g, _filters, padded, _weight, _bias, output, firstRow, endRow),
                        KernelPath.Vector256 => DirectConvolutionLanes.Forward<Width256, Vector256<uint>, Vector256<float>>(_g, _filters, padded, _weight, _bias, output, firstRow, endRow),
                        KernelPath.Vector128 => DirectConvolutionLanes.Forward<Width128, Vector128<uint>, Vector128<float>>(_g, _filters, padded, _weight, _bias, output, firstRow, endRow),
                        _ => 0,
                    };
                    DirectConvolutionLanes.ForwardScalar(_g, _filters, vectorFilters, padded, _weight, _bias, output, firstRow, endRow);
                    if (_reluOutput != null)
                    {
                        long bandStart = (long)firstRow * _g.OutWidth * _filters;
                        ReluFromOutput.BackwardRange(
                            _reluOutput + ((long)n * outputSize) + bandStart, output + bandStart, 0f, output + bandStart, (endRow - firstRow) * _g.OutWidth * _filters, _path);
                    }

                    if (image != null)
                    {
                        // The band pooled while its output is still in the cache (on this thread): its rows are whole windows, so
                        // they pool as an image of their own into the band's pooled rows.
                        int rowFloats = _g.OutWidth * _filters;
                        var band = _pool with { Height = endRow - firstRow };
                        long at = ((long)n * _pool.OutImageSize) + ((long)firstRow / _pool.Stride * _pool.OutWidth * _pool.Channels);
                        var pooledBand = new Span<float>(_pooled + at, band.OutImageSize);
                        Pooling.MaxForward(
                            band, new ReadOnlySpan<float>(image + ((long)firstRow * rowFloats), band.ImageSize), 1, pooledBand,
                            _winners == null ? default : new Span<byte>(_winners + at, band.OutImageSize),
                            relu: _relu); // the ReLU after the pooling, as each maximum is stored (the ReLU's own max(x, 0))
                    }
                }

                return;
            }

            // Accumulators for taps [first, first + count): count × filters floats, tap-major (up to 128 KB: a per-thread
            // buffer rather than more stack beside the padded image). Split by halves of the images instead, a part takes
            // every tap over its half and leaves its sums in the call's buffer.
            int firstImage = 0, endImage = _count;
            float* sums, bias = null;
            if (_halves != null)
            {
                (firstImage, endImage) = (first * _count / 2, (first + 1) * _count / 2);
                sums = _halves + ((long)first * (_g.PatchSize + 1) * _filters);
                (first, count) = (0, _g.PatchSize);
                bias = _halvesBias ? sums + (count * _filters) : null;
            }
            else
            {
                sums = SumsBuffer(count * _filters);
            }

            new Span<float>(sums, (count + (bias != null ? 1 : 0)) * _filters).Clear();
            Span<int> offsets = stackalloc int[count + DirectConvolutionLanes.TapPadding];
            DirectConvolutionLanes.TapOffsets(_g, first, count, offsets);
            for (int n = firstImage; n < endImage; n++)
            {
                DirectConvolutionLanes.Pad(_g, _images + ((long)n * _g.ImageSize), padded);
                float* dy = _output + ((long)n * _g.OutPositions * _filters);
                if (_pooled != null)
                {
                    float* pooled = _pooled + ((long)n * _pool.OutImageSize);
                    byte* won = _winners + ((long)n * _pool.OutImageSize);
                    if (_path == KernelPath.Vector512 &&
                        DirectConvolutionLanes.WeightGradientThroughPooling<Width512, Vector512<uint>, Vector512<float>>(_g, _filters, padded, pooled, won, sums, bias))
                    {
                        continue;
                    }

                    // Elsewhere the image's output gradient is written out first, by the pooling's own backward pass.
                    dy = ExpandedBuffer(_g.OutPositions * _filters);
                    Pooling.MaxBackward(
                        _pool, new ReadOnlySpan<float>(pooled, _pool.OutImageSize), new ReadOnlySpan<byte>(won, _pool.OutImageSize), 1,
                        new Span<float>(dy, _g.OutPositions * _filters));
                }

                int vectorFilters = _path switch
                {
                    KernelPath.Vector512 => DirectConvolutionLanes.WeightGradient<Width512, Vector512<uint>, Vector512<float>>(_g, _filters, padded, dy, first, count, offsets, sums, bias),
                    KernelPath.Vector256 => DirectConvolutionLanes.WeightGradient<Width256, Vector256<uint>, Vector256<float>>(_g, _filters, padded, dy, first, count, offsets, sums, bias),
                    KernelPath.Vector128 => DirectConvolutionLanes.WeightGradient<Width128, Vector128<uint>, Vector128<float>>(_g, _filters, padded, dy, first, count, offsets, sums, bias),
                    _ => 0,
                };
                DirectConvolutionLanes.WeightGradientScalar(_g, _filters, vectorFilters, padded, dy, offsets.Slice(0, count), sums, bias);
            }

            if (_halves != null)
            {
                return;
            }

            for (int t = 0; t < count; t++)
            {
                for (int f = 0; f < _filters; f++)
                {
                    float* target = _weight + ((long)f * _g.PatchSize) + first + t;
                    *target = _accumulate ? *target + sums[(t * _filters) + f] : sums[(t * _filters) + f];
                }
            }
        }
    }
}
