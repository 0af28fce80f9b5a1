using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

// The job that runs the direct convolutions over the pool's threads: images (or bands of rows) a part, or fixed parts of the images.
internal static unsafe partial class DirectConvolution
{
    /// <summary>
    /// One call. Forward: <c>_weight</c> is the transposed weight (PatchSize × filters), <c>_output</c> the output; parts are
    /// ranges of lines, a line being an image or, with fewer images than threads, a band of its rows. Weight gradient: <c>_output</c>
    /// is the output gradient; parts are fixed ranges of images, each summed over every tap into its own sums.
    /// </summary>
    private struct ConvolutionJob(ConvGeometry g, int filters, float* images, float* weight, float* bias, float* output, int count) : IRangeJob
    {
        private readonly ConvGeometry _g = g;
        private readonly int _filters = filters, _count = count;
        private readonly float* _images = images, _weight = weight, _bias = bias, _output = output;
        private KernelPath _path;
        private int _perPart;
        private bool _forward;
        private float* _partSums;
        private int _parts;
        private bool _partsBias;
        private PoolGeometry _pool;
        private float* _pooled; // the pooled output (forward) or its gradient (weight gradient)
        private byte* _winners;
        private bool _relu; // forward through pooling: max(·, 0) on the pooled output too
        private int _bands; // forward: bands of output rows per image (a line is an image's band)
        private float* _reluOutput; // forward without pooling: each output element kept where this (same layout) is positive, else 0·it
        private bool _sparseInput; // forward of an input gradient: images with few nonzeros go over those only (SparseForward)
        private bool* _filterMajor; // weight gradient: per part, whether it summed sparsely, filter-major (null: never sparse)
        private PooledInput _pooledInput; // forward of an input gradient: its images formed from a max pooling's gradient and winners
        private byte* _reluBits; // forward through pooling: the ReLU's mask of the pooled output; input gradient: the mask it is masked by

        /// <summary>
        /// The forward pass of an input gradient (zero bias): each image with few enough nonzero
        /// elements runs over those only, the same bits. Given <paramref name="reluOutput"/> (same layout as the output), each
        /// band of the output, once written, is masked by it while it is in the cache (<see cref="ReluFromOutput.BackwardRange"/>,
        /// slope 0): an input gradient that comes out as the ReLU's input gradient.
        /// </summary>
        public void RunInputGradient(float* reluOutput, byte* reluBits, PooledInput pooled)
        {
            _reluOutput = reluOutput;
            _reluBits = reluBits;
            _pooledInput = pooled;
            _sparseInput = SparseInputGradients;
            Run(lines: _count);
        }

        /// <summary>
        /// Weight gradient over <paramref name="parts"/> fixed ranges of the images, every tap each: sums of part p at
        /// <paramref name="sums"/> + p·(PatchSize + 1)·filters (tap-major), then the part's bias sums when <paramref name="withBias"/>.
        /// Given <paramref name="filterMajor"/> (a flag per part), a part may sum over its nonzero output-gradient elements only,
        /// its sums then filter-major (PatchSize a filter, as the gradient is laid out) and its flag set.
        /// </summary>
        public void RunImageParts(float* sums, int parts, bool withBias, bool* filterMajor = null)
        {
            _path = KernelSettings.Path;
            _forward = false;
            _partSums = sums;
            _parts = parts;
            _partsBias = withBias;
            _filterMajor = filterMajor;
            WorkerPool.RunRanges(ref this, parts, 1);
        }

        /// <summary><see cref="RunImageParts"/> with each image's output gradient read from its pooled gradient and winners.</summary>
        public void RunImagePartsThroughPooling(float* sums, int parts, in PoolGeometry pool, float* pooledGradient, byte* winners, bool withBias, bool* filterMajor)
        {
            _pool = pool;
            _pooled = pooledGradient;
            _winners = winners;
            RunImageParts(sums, parts, withBias, filterMajor);
        }

        /// <summary>The forward pass (parts are ranges of images, or of bands of rows) with each image's output max-pooled into <paramref name="pooled"/> and <paramref name="winners"/> (may be null).</summary>
        public void RunForwardThroughPooling(in PoolGeometry pool, float* pooled, byte* winners, bool relu, byte* reluBits)
        {
            _pool = pool;
            _pooled = pooled;
            _winners = winners;
            _relu = relu;
            _reluBits = reluBits;
            Run(lines: _count);
        }

        /// <summary>The forward pass: parts are ranges of lines (images, or bands of their rows).</summary>
        public void Run(int lines)
        {
            _path = KernelSettings.Path;
            _forward = true;
            long work = (long)_count * _g.OutPositions * _g.PatchSize * _filters;
            _bands = Bands(work);
            lines *= _bands;
            int parts = (int)Math.Clamp(work / PartWork, 1, Math.Max(1, lines));
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
            // Zeroed whole, alignment slack included (the module skips the JIT's zeroing): the border stays zero, and every
            // image written into the interior finds the buffer as the JIT's zeroing left it.
            int paddedFloats = DirectConvolutionLanes.PaddedSize(_g) + 16;
            float* paddedBuffer = stackalloc float[paddedFloats];
            new Span<float>(paddedBuffer, paddedFloats).Clear();
            float* padded = AlignTo64(paddedBuffer);
            if (_forward)
            {
                int outputSize = _g.OutPositions * _filters;
                float* image = _pooled != null ? ExpandedBuffer(outputSize) : null;
                ulong* masks = _sparseInput ? (ulong*)MaskBuffer(2 * DirectConvolutionLanes.PaddedSize(_g) / _g.Channels) : null;
                bool sparseImage = false;
                for (int line = first, paddedImage = -1; line < first + count; line++)
                {
                    int n = line / _bands;
                    (int firstRow, int endRow) = BandRows(line % _bands);
                    if (n != paddedImage)
                    {
                        if (_pooledInput.Gradient != null)
                        {
                            // The image (an output gradient) formed from the pooling's gradient in the padded buffer's interior.
                            long at = (long)n * _pooledInput.Pool.OutImageSize;
                            nint rowFloats = (nint)(_g.Width + (2 * _g.Padding)) * _g.Channels;
                            Pooling.MaxBackwardImage(
                                _pooledInput.Pool, _pooledInput.Gradient + at, _pooledInput.Winners + at, padded + (_g.Padding * rowFloats) + (_g.Padding * _g.Channels), rowFloats, _path);
                        }
                        else
                        {
                            DirectConvolutionLanes.Pad(_g, _images + ((long)n * _g.ImageSize), padded);
                        }

                        paddedImage = n;
                        sparseImage = _sparseInput && MasksSparseImage(padded, masks);
                    }

                    float* output = image != null ? image : _output + ((long)n * outputSize);
                    int vectorFilters = sparseImage ? ForwardSparsely(padded, masks, output, firstRow, endRow) : _path switch
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
                    else if (_reluBits != null && image == null)
                    {
                        // The ReLU's own mask (a bit an element, whole bytes a pixel): its backward pass on the band.
                        long bandStart = (long)firstRow * _g.OutWidth * _filters;
                        BitMask.ApplyBytes(
                            _reluBits + ((((long)n * outputSize) + bandStart) >> 3), output + bandStart, output + bandStart, (endRow - firstRow) * _g.OutWidth * _filters, _path);
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
                        if (_reluBits != null)
                        {
                            // That ReLU's mask too, from the band's pooled output still in the cache (whole bytes a pixel).
                            BitMask.PackGreaterThanZeroBytes(_pooled + at, band.OutImageSize, _reluBits + (at >> 3), _path);
                        }
                    }
                }

                return;
            }

            Span<int> offsets = stackalloc int[_g.PatchSize + DirectConvolutionLanes.TapPadding];
            DirectConvolutionLanes.TapOffsets(_g, 0, _g.PatchSize, offsets);
            for (int part = first; part < first + count; part++)
            {
                SumPart(part, padded, offsets);
            }
        }

        /// <summary>Part <paramref name="part"/> of <see cref="RunImageParts"/>: every tap (and the bias) over its images, in order, into its own sums.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private readonly void SumPart(int part, float* padded, Span<int> offsets)
        {
            int firstImage = (int)((long)part * _count / _parts), endImage = (int)((long)(part + 1) * _count / _parts);
            int taps = _g.PatchSize;
            float* sums = _partSums + ((long)part * (taps + 1) * _filters);
            float* bias = _partsBias ? sums + (taps * _filters) : null;
            new Span<float>(sums, (taps + 1) * _filters).Clear();
            if (_filterMajor != null)
            {
                _filterMajor[part] = bias == null && SparseWeightGradients && SumPartSparsely(firstImage, endImage, padded, sums);
                if (_filterMajor[part])
                {
                    return;
                }
            }

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
                    KernelPath.Vector512 => DirectConvolutionLanes.WeightGradient<Width512, Vector512<uint>, Vector512<float>>(_g, _filters, padded, dy, 0, taps, offsets, sums, bias),
                    KernelPath.Vector256 => DirectConvolutionLanes.WeightGradient<Width256, Vector256<uint>, Vector256<float>>(_g, _filters, padded, dy, 0, taps, offsets, sums, bias),
                    KernelPath.Vector128 => DirectConvolutionLanes.WeightGradient<Width128, Vector128<uint>, Vector128<float>>(_g, _filters, padded, dy, 0, taps, offsets, sums, bias),
                    _ => 0,
                };
                DirectConvolutionLanes.WeightGradientScalar(_g, _filters, vectorFilters, padded, dy, offsets.Slice(0, taps), sums, bias);
            }
        }

        /// <summary>
        /// Whether the padded image (an output gradient) has few enough nonzero elements for <see cref="ForwardSparsely"/>
        /// (<see cref="DirectConvolutionLanes.SparsePercent{TW, TU, TF}"/>); its nonzero masks are then in <paramref name="masks"/>.
        /// </summary>
        private readonly bool MasksSparseImage(float* padded, ulong* masks) => _path switch
        {
            KernelPath.Vector512 => MasksSparseImage<Width512, Vector512<uint>, Vector512<float>>(padded, masks),
            KernelPath.Vector256 => MasksSparseImage<Width256, Vector256<uint>, Vector256<float>>(padded, masks),
            KernelPath.Vector128 => MasksSparseImage<Width128, Vector128<uint>, Vector128<float>>(padded, masks),
            _ => false,
        };

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private readonly bool MasksSparseImage<TW, TU, TF>(float* padded, ulong* masks)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            int percent = DirectConvolutionLanes.SparsePercent<TW, TU, TF>(_g, _filters);
            if (percent == 0 || DirectConvolutionLanes.NonzeroMasks<TW, TU, TF>(_g, padded, masks) * 100L > (long)_g.ImageSize * percent)
            {
                return false;
            }

            Interlocked.Increment(ref s_sparseImages);
            return true;
        }

        /// <summary>Output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) by <see cref="DirectConvolutionLanes.SparseForward{TW, TU, TF}"/>; returns the filters done (all).</summary>
        private readonly int ForwardSparsely(float* padded, ulong* masks, float* output, int firstRow, int endRow)
        {
            switch (_path)
            {
                case KernelPath.Vector512:
                    DirectConvolutionLanes.SparseForward<Width512, Vector512<uint>, Vector512<float>>(_g, _filters, padded, masks, _weight, output, firstRow, endRow);
                    break;
                case KernelPath.Vector256:
                    DirectConvolutionLanes.SparseForward<Width256, Vector256<uint>, Vector256<float>>(_g, _filters, padded, masks, _weight, output, firstRow, endRow);
                    break;
                default:
                    DirectConvolutionLanes.SparseForward<Width128, Vector128<uint>, Vector128<float>>(_g, _filters, padded, masks, _weight, output, firstRow, endRow);
                    break;
            }

            return _filters;
        }

        /// <summary>
        /// Part [<paramref name="firstImage"/>, <paramref name="endImage"/>) of the weight gradient over only the nonzero elements
        /// of its output gradient, when they are few enough (<see cref="SparseWeightGradientPercent"/>) and the path has run kernels for the
        /// window: the same sums as the dense kernels (<see cref="DirectConvolutionLanes.SparseWeightGradient{TW, TU, TF}"/>),
        /// written filter-major into the part's <paramref name="sums"/>. False, doing nothing, otherwise.
        /// </summary>
        private readonly bool SumPartSparsely(int firstImage, int endImage, float* padded, float* sums) => _path switch
        {
            KernelPath.Vector512 => SumPartSparsely<Width512, Vector512<uint>, Vector512<float>>(firstImage, endImage, padded, sums),
            KernelPath.Vector256 => SumPartSparsely<Width256, Vector256<uint>, Vector256<float>>(firstImage, endImage, padded, sums),
            KernelPath.Vector128 => SumPartSparsely<Width128, Vector128<uint>, Vector128<float>>(firstImage, endImage, padded, sums),
            _ => false,
        };

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private readonly bool SumPartSparsely<TW, TU, TF>(int firstImage, int endImage, float* padded, float* sums)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            int run = DirectConvolutionLanes.SparseRun<TW, TU, TF>(_g);
            long perImage = (long)_g.OutPositions * _filters, elements = perImage * (endImage - firstImage);
            if (run == 0 || elements == 0)
            {
                return false;
            }

            // Through a pooling, the full-size gradient has a nonzero element where its pooled gradient has one (at the winner).
            float* dy = _output + (firstImage * perImage);
            long pooledPerImage = _pooled != null ? _pool.OutImageSize : 0;
            long nonzeros = _pooled != null
                ? DirectConvolutionLanes.CountNonzeros<TW, TU, TF>(_pooled + (firstImage * pooledPerImage), pooledPerImage * (endImage - firstImage))
                : DirectConvolutionLanes.CountNonzeros<TW, TU, TF>(dy, elements);
            if (nonzeros * 100 > elements * SparseWeightGradientPercent(run))
            {
                return false;
            }

            // The part's sums stay filter-major (cleared by the caller): AddParts adds them as they are.
            int listFloats = _filters * _g.OutPositions, countFloats = Round16(_filters);
            int* counts = (int*)SparseBuffer(countFloats + (2 * listFloats)), windows = counts + countFloats;
            float* values = (float*)(windows + listFloats);
            for (int n = firstImage; n < endImage; n++, dy += perImage)
            {
                DirectConvolutionLanes.Pad(_g, _images + ((long)n * _g.ImageSize), padded);
                if (_pooled != null)
                {
                    DirectConvolutionLanes.ListNonzerosThroughPooling<TW, TU, TF>(_g, _filters, _pooled + (n * pooledPerImage), _winners + (n * pooledPerImage), counts, windows, values);
                }
                else
                {
                    DirectConvolutionLanes.ListNonzeros<TW, TU, TF>(_g, _filters, dy, counts, windows, values);
                }

                DirectConvolutionLanes.SparseWeightGradient<TW, TU, TF>(_g, _filters, run, padded, counts, windows, values, sums);
            }

            Interlocked.Increment(ref s_sparseParts);
            return true;
        }
    }
}
