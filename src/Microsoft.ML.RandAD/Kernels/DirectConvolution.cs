using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Direct convolution of channels-last images for small patches (the first layer of an image network: 5×5×1, 3×3×3), where
/// im2col + GEMM is a poor product (k = 25 is too short for the GEMM's tiles, and the column matrix is 25× the image):
/// forward <c>y = Σ_taps x·w + b</c> and the weight gradient <c>dW = Σ_pixels dY ⊗ x</c>, vectorized over filters.
/// </summary>
/// <remarks>
/// <para>Each image is first copied into a zero-padded buffer on the stack, so every window lies inside and the loops have
/// no bounds checks; taps in the padding multiply zeros, as with im2col + GEMM.</para>
/// <para>Arithmetic, identical on every path: an output element starts at 0, takes one fused multiply-add per tap in patch
/// order (kh, kw, c), then adds its bias. A weight-gradient element starts at 0 and takes one fused multiply-add per output
/// pixel in (image, row, column) order; the result is stored, or added to the gradient when accumulating. The vector paths
/// process four pixels of a row at once and filters a vector at a time, which changes no element's sequence of operations.</para>
/// <para>Threads: the forward pass splits by images, the weight gradient by taps (one part per thread: each part walks every
/// pixel); neither split changes any element's operations, so results do not depend on the thread count.</para>
/// <para>Each call appends the im2col product it replaces to <see cref="Sgemm.Trace"/>, so <c>step-flops</c> counts its
/// FLOPs and times the GEMM kernel on that shape as the reference.</para>
/// </remarks>
internal static unsafe class DirectConvolution
{
    /// <summary>
    /// Largest patch (kh·kw·C) taken directly. Measured against im2col + GEMM (16 images, 16 filters, 1 thread, CPU time,
    /// 512-bit path, forward / weight gradient): patch 25 248/230 µs vs 430/625 µs, patch 27 336/327 vs 478/708, patch 50
    /// 428/436 vs 521/822, patch 75 801/888 vs 813/1357 (on the 256-bit path patch 75 is a wash, so the line is drawn below it).
    /// </summary>
    public const int MaxPatch = 64;

    private const int MaxStackFloats = 8192;
    private const int MaxPaddedImage = 32768;
    private const long PartWork = 1 << 18;

    /// <summary>Whether a convolution of this shape runs directly rather than by im2col + GEMM.</summary>
    public static bool IsPreferred(in ConvGeometry geometry, int filters) =>
        geometry.PatchSize <= MaxPatch && (long)geometry.PatchSize * filters <= MaxStackFloats && DirectConvolutionLanes.PaddedSize(geometry) <= MaxPaddedImage;

    /// <summary><c>output[n, oh, ow, f] = Σ_taps images·weight[f, tap] + bias[f]</c>; weight is filters × PatchSize, output NHWC.</summary>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int filters, Span<float> output)
    {
        Check(g, filters, images.Length, count, weight.Length, output.Length, "output");
        if (bias.Length < filters)
        {
            throw new ArgumentException($"bias has {bias.Length} values; {filters} filters need {filters}.", nameof(bias));
        }

        Sgemm.Trace?.Add(new GemmCall(false, true, count * g.OutPositions, filters, g.PatchSize));
        float* transposedBuffer = stackalloc float[(g.PatchSize * filters) + 16];
        float* transposed = AlignTo64(transposedBuffer);
        fixed (float* pw = weight)
        {
            Transpose(pw, filters, g.PatchSize, transposed);
        }

        fixed (float* pi = images, pb = bias, po = output)
        {
            var job = new ConvolutionJob(g, filters, pi, transposed, pb, po, count, accumulate: false);
            job.Run(lines: count, forward: true);
        }
    }

    /// <summary>
    /// <c>weightGradient[f, tap] = Σ_pixels outputGradient[pixel, f]·images[pixel + tap]</c> (filters × PatchSize), added to
    /// the existing values when <paramref name="accumulate"/> is set.
    /// </summary>
    public static void WeightGradient(in ConvGeometry g, ReadOnlySpan<float> images, ReadOnlySpan<float> outputGradient, int count, int filters, Span<float> weightGradient, bool accumulate)
    {
        Check(g, filters, images.Length, count, weightGradient.Length, outputGradient.Length, "outputGradient");
        Sgemm.Trace?.Add(new GemmCall(true, false, filters, g.PatchSize, count * g.OutPositions));
        fixed (float* pi = images, pg = outputGradient, pw = weightGradient)
        {
            var job = new ConvolutionJob(g, filters, pi, pw, null, pg, count, accumulate);
            job.Run(lines: g.PatchSize, forward: false);
        }
    }

    /// <summary>
    /// The first 64-byte boundary in a buffer of at least 16 spare floats: the accumulators and weights are read and written
    /// as whole vectors, and a vector straddling two cache lines costs a split access on every touch (measured: the weight
    /// gradient ran several times slower from an unaligned stack buffer).
    /// </summary>
    private static float* AlignTo64(float* buffer) => (float*)(((nuint)buffer + 63) & ~(nuint)63);

    private static void Transpose(float* source, int rows, int columns, float* destination)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                destination[(c * rows) + r] = source[(r * columns) + c];
            }
        }
    }

    private static void Check(in ConvGeometry g, int filters, int imagesLength, int count, int weightLength, int outputLength, string outputName)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (filters < 1 || (long)g.PatchSize * filters > MaxStackFloats || DirectConvolutionLanes.PaddedSize(g) > MaxPaddedImage)
        {
            throw new ArgumentException(
                $"A {g.KernelHeight}×{g.KernelWidth}×{g.Channels} patch with {filters} filters on {g.Height}×{g.Width} images is too large for a direct convolution " +
                $"({MaxStackFloats} weights and {MaxPaddedImage} padded-image floats at most).", nameof(filters));
        }

        if (imagesLength < (long)count * g.ImageSize || weightLength < g.PatchSize * filters || outputLength < (long)count * g.OutPositions * filters)
        {
            throw new ArgumentException(
                $"{count} images of {g.Height}×{g.Width}×{g.Channels} need {(long)count * g.ImageSize} input floats, {g.PatchSize * filters} weights and " +
                $"{(long)count * g.OutPositions * filters} output floats; got {imagesLength}, {weightLength} and {outputLength}.", outputName);
        }
    }

    /// <summary>
    /// One call. Forward: <c>_weight</c> is the transposed weight (PatchSize × filters), <c>_output</c> the output; parts are
    /// ranges of images. Weight gradient: <c>_weight</c> is the gradient (filters × PatchSize), <c>_output</c> the
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

        public void Run(int lines, bool forward)
        {
            _path = KernelSettings.Path;
            _forward = forward;
            long work = (long)_count * _g.OutPositions * _g.PatchSize * _filters;
            int parts = (int)Math.Clamp(work / PartWork, 1, Math.Max(1, lines));
            if (!forward)
            {
                // Every tap part walks all pixels, so split no finer than the threads (any split gives the same sums).
                parts = Math.Min(parts, KernelSettings.ThreadCount);
            }

            _perPart = (lines + parts - 1) / parts;
            WorkerPool.RunRanges(ref this, lines, _perPart);
        }

        public readonly void RunRange(int first, int count)
        {
            float* paddedBuffer = stackalloc float[DirectConvolutionLanes.PaddedSize(_g) + 16];
            float* padded = AlignTo64(paddedBuffer);
            DirectConvolutionLanes.ClearPadded(_g, padded);
            if (_forward)
            {
                for (int n = first; n < first + count; n++)
                {
                    DirectConvolutionLanes.Pad(_g, _images + ((long)n * _g.ImageSize), padded);
                    float* output = _output + ((long)n * _g.OutPositions * _filters);
                    int vectorFilters = _path switch
                    {
                        KernelPath.Vector512 => DirectConvolutionLanes.Forward<Width512, Vector512<uint>, Vector512<float>>(_g, _filters, padded, _weight, _bias, output),
                        KernelPath.Vector256 => DirectConvolutionLanes.Forward<Width256, Vector256<uint>, Vector256<float>>(_g, _filters, padded, _weight, _bias, output),
                        KernelPath.Vector128 => DirectConvolutionLanes.Forward<Width128, Vector128<uint>, Vector128<float>>(_g, _filters, padded, _weight, _bias, output),
                        _ => 0,
                    };
                    DirectConvolutionLanes.ForwardScalar(_g, _filters, vectorFilters, padded, _weight, _bias, output);
                }

                return;
            }

            // Accumulators for taps [first, first + count): count × filters floats, tap-major.
            float* sumsBuffer = stackalloc float[(count * _filters) + 16];
            float* sums = AlignTo64(sumsBuffer);
            new Span<float>(sums, count * _filters).Clear();
            for (int n = 0; n < _count; n++)
            {
                DirectConvolutionLanes.Pad(_g, _images + ((long)n * _g.ImageSize), padded);
                float* dy = _output + ((long)n * _g.OutPositions * _filters);
                int vectorFilters = _path switch
                {
                    KernelPath.Vector512 => DirectConvolutionLanes.WeightGradient<Width512, Vector512<uint>, Vector512<float>>(_g, _filters, padded, dy, first, count, sums),
                    KernelPath.Vector256 => DirectConvolutionLanes.WeightGradient<Width256, Vector256<uint>, Vector256<float>>(_g, _filters, padded, dy, first, count, sums),
                    KernelPath.Vector128 => DirectConvolutionLanes.WeightGradient<Width128, Vector128<uint>, Vector128<float>>(_g, _filters, padded, dy, first, count, sums),
                    _ => 0,
                };
                DirectConvolutionLanes.WeightGradientScalar(_g, _filters, vectorFilters, padded, dy, first, count, sums);
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
