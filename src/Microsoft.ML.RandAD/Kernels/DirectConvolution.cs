using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Direct convolution of channels-last images, with no column matrix: forward <c>y = Σ_taps x·w + b</c>, the weight
/// gradient <c>dW = Σ_pixels dY ⊗ x</c> and (stride 1) the input gradient as a forward convolution of dY with the flipped
/// kernel, vectorized over filters. It wins where im2col + GEMM is a poor product: small patches (a first layer's 5×5×1,
/// k = 25, is too short for the GEMM's tiles and its column matrix is 25× the image), and filter counts in multiples of 16,
/// where the kernels run whole vectors of filters and two vectors share each broadcast input where there are pairs (on
/// AVX2 every multiple of 16; see <see cref="IsPreferred"/>).
/// </summary>
/// <remarks>
/// <para>Each image is first copied into a zero-padded buffer on the stack, so every window lies inside and the loops have
/// no bounds checks; taps in the padding multiply zeros, as with im2col + GEMM.</para>
/// <para>Arithmetic, identical on every path: an output element starts at 0, takes one fused multiply-add per tap in patch
/// order (kh, kw, c), then adds its bias. A weight-gradient element starts at 0 and takes one fused multiply-add per output
/// pixel in (image, row, column) order over each of up to eight fixed parts of the images (<see cref="ImageParts"/>), the
/// parts then added in order (for single-channel patches the bias gradient, when asked for, is summed the same way in the
/// same pass); the result is stored, or added to the gradient when accumulating. The vector paths
/// take blocks of pixels (forward) or taps (weight gradient) at once, vectors of filters, and for kernels whose weights do
/// not fit L1 several passes over groups of kernel rows (partial sums kept in the output); none of this changes any
/// element's sequence of operations.</para>
/// <para>Gradients skip zeros: where few enough output-gradient elements are nonzero (a convolution under 2×2 max pooling
/// passes back at most a quarter), the weight gradient sums only those and the input gradient computes only the terms with
/// a nonzero factor (<see cref="SparseWeightGradients"/>, <see cref="SparseInputGradients"/>). A zero product added to a sum
/// that started at +0 leaves it unchanged, so these are the dense kernels' bits; only where an input or weight is infinite
/// or NaN, whose product with 0 the dense kernels would have added, can they differ.</para>
/// <para>Threads: the forward pass splits by images (fewer images than threads, as when scoring one row: by bands of each
/// image's output rows), the weight gradient by its fixed parts of the images (fixed by the image count, never by the
/// threads); no split changes any element's operations, so results do not depend on the thread count.</para>
/// <para>The vector kernels are compiled fully optimized at once (<c>AggressiveOptimization</c>): with tiered dynamic PGO, a
/// profile taken on one layer (16 filters, no two-vector kernel) made the weight gradient of the next layer 3–4× slower.</para>
/// <para>Each call appends the im2col product it replaces to <see cref="Sgemm.Trace"/>, so <c>step-flops</c> counts its
/// FLOPs and times the GEMM kernel on that shape as the reference.</para>
/// </remarks>
internal static unsafe partial class DirectConvolution
{
    /// <summary>
    /// Largest patch (kh·kw·C) taken directly for any filter count on any path. Measured against im2col + GEMM (16 images,
    /// 16 filters, 1 thread, CPU time, 512-bit path, forward / weight gradient): patch 25 248/230 µs vs 430/625 µs, patch 27
    /// 336/327 vs 478/708, patch 50 428/436 vs 521/822, patch 75 801/888 vs 813/1357 (on the 256-bit path patch 75 is a
    /// wash, so the line is drawn below it).
    /// </summary>
    public const int MaxPatch = 64;

    /// <summary>
    /// Filter counts (a multiple of this) whose larger patches also run directly on the 512-bit path, where the kernels
    /// take whole vectors of filters (two per broadcast input for multiples of 32, in blocks of more than four pixels).
    /// Measured with <c>conv-paired</c> (128 images, 2 threads, direct / im2col + GEMM time, medians of paired rounds,
    /// forward / weight gradient / input gradient): 14×14×16 5×5 with 32
    /// filters 0.92–0.94 / 0.93–0.97 / 0.96–0.99 (0.75–0.83 / 0.77–0.83 / 0.78–0.86 since the 28-sum and twelve-tap
    /// kernels); 16×16×32 3×3 with 32 filters 0.84–0.89 / 1.03–1.07 / 0.72–0.74; with 64
    /// filters 0.81–0.94 / 1.08–1.22 with eight taps at a time, 0.89–0.99 with twelve (<see cref="PrefersWeightGradient"/>) /
    /// 0.90–0.93; with 16 filters, where GEMM's 16-column tiles are narrow, 0.60–0.76. On the 256-bit path (Zen 3, AVX2;
    /// multiples of 16 are whole pairs of filter vectors there), since the pair kernel's blocks run across rows and take the
    /// whole kernel in one pass: forward 0.81 / 0.87 / 0.92 / 0.90 on the four shapes above, input gradient 0.78 / 0.84 /
    /// 0.99 / 1.02; the weight gradient only up to 32 filters (see <see cref="PrefersWeightGradient"/>).
    /// </summary>
    public const int WideFilterMultiple = 16;

    /// <summary>Most filters a wide layer takes directly: the largest count measured (a 3×3×3 layer with 512 filters ran 1.5× GEMM's time).</summary>
    public const int MaxWideFilters = 64;

    /// <summary>Weights (patch × filters) of a small-patch layer taken directly on every path (measured up to this).</summary>
    private const int MaxSmallPatchWeights = 8192;

    /// <summary>Weights the kernels take at all (a wide layer on the 512- or 256-bit path; the transposed copy is a per-thread buffer).</summary>
    private const int MaxWeightFloats = 32768;
    private const int MaxPaddedImage = 32768;
    private const long PartWork = 1 << 18;

    /// <summary>
    /// Most nonzero output-gradient elements, in per cent, at which a part of the weight gradient runs over the nonzero ones
    /// only (<see cref="DirectConvolutionLanes.SparseWeightGradient{TW, TU, TF}"/>), by the window rows' run length: 40 for
    /// runs of four to six vectors (64 images, 2 threads, AVX2, against the dense kernels: 5×5×16 0.26 / 0.47× at 10 / 25 %,
    /// level at 40–50 %; 3×3×16 (runs of six) 0.47 / 0.67 / 1.05× at 14 / 25 / 40 %), 20 for runs of three (3×3×8: 0.75 /
    /// 0.96 / 1.13×). A layer followed by 2×2 max pooling passes back at most a quarter, fewer after a ReLU. The same bits
    /// either way.
    /// </summary>
    internal static int SparseWeightGradientPercent(int run) => run == 3 ? 20 : 40;

    /// <summary>Whether weight gradients may run over the nonzero output-gradient elements only (on by default; tests and a benchmark turn it off to compare).</summary>
    internal static bool SparseWeightGradients { get; set; } = true;

    /// <summary>Whether input gradients may run over the nonzero output-gradient elements only (on by default; tests and a benchmark turn it off to compare).</summary>
    internal static bool SparseInputGradients { get; set; } = true;

    /// <summary>Parts of weight gradients summed over their nonzero elements only, since the process started (for tests).</summary>
    internal static long SparseParts => Interlocked.Read(ref s_sparseParts);

    private static long s_sparseParts;

    /// <summary>Images whose input gradient ran over their nonzero output-gradient elements only, since the process started (for tests).</summary>
    internal static long SparseImages => Interlocked.Read(ref s_sparseImages);

    private static long s_sparseImages;

    /// <summary>
    /// Whether the forward pass of this shape runs directly rather than by im2col + GEMM: a patch of at most
    /// <see cref="MaxPatch"/> with at most 8,192 weights (what was measured; 3×3×3 with 512 filters, for one, is 1.5×
    /// GEMM's time), or on the 512- and 256-bit paths a multiple of <see cref="WideFilterMultiple"/> filters, at most
    /// <see cref="MaxWideFilters"/>, with up to 32,768 weights; and a padded image within the kernels' buffer.
    /// </summary>
    public static bool IsPreferred(in ConvGeometry geometry, int filters)
    {
        long weights = (long)geometry.PatchSize * filters;
        bool small = geometry.PatchSize <= MaxPatch && weights <= MaxSmallPatchWeights;
        bool wide = filters % WideFilterMultiple == 0 && filters <= MaxWideFilters && HasWideKernels && weights <= MaxWeightFloats;
        return (small || wide) && DirectConvolutionLanes.PaddedSize(geometry) <= MaxPaddedImage;
    }

    /// <summary>
    /// Whether the forward pass of fewer images than threads splits each image's output rows over the threads (on by
    /// default; a benchmark turns it off to compare). Either way the same bits.
    /// </summary>
    internal static bool SplitsRows { get; set; } = true;

    /// <summary>Whether the active path has the kernels that take wide layers' filters a vector or a pair of vectors at a time (512- and 256-bit).</summary>
    private static bool HasWideKernels => KernelSettings.Path is KernelPath.Vector512 or KernelPath.Vector256;

    /// <summary>
    /// Whether the weight gradient of this shape runs directly: as <see cref="IsPreferred"/>, but a larger patch only with at
    /// most two vectors of filters (AVX-512) or pairs of them (AVX2: 16 or 32 filters), or on AVX-512 with whole pairs (64),
    /// which take the twelve-tap kernel. On AVX2, with the six-tap kernel's side-by-side taps, direct / im2col time was
    /// 0.62–0.74 with 16 filters, 0.82–0.93 with 32 and 1.10–1.16 with 64 (<c>conv-paired</c>, two threads). With
    /// eight taps at a time 64 filters measured 1.08–1.22× the time of im2col + GEMM; with twelve, 0.89–0.99× (<c>conv-paired</c>,
    /// 16×16×32 and 8×8×32 3×3); 48 filters (a pair and a single vector) were not measured and stay on GEMM.
    /// </summary>
    public static bool PrefersWeightGradient(in ConvGeometry geometry, int filters) =>
        IsPreferred(geometry, filters) && (geometry.PatchSize <= MaxPatch || filters <= 2 * WideFilterMultiple ||
            (KernelSettings.Path == KernelPath.Vector512 && filters % (2 * WideFilterMultiple) == 0));

    /// <summary><c>output[n, oh, ow, f] = Σ_taps images·weight[f, tap] + bias[f]</c>; weight is filters × PatchSize, output NHWC.</summary>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int filters, Span<float> output)
    {
        Check(g, filters, images.Length, count, weight.Length, output.Length, "output");
        if (bias.Length < filters)
        {
            throw new ArgumentException($"bias has {bias.Length} values; {filters} filters need {filters}.", nameof(bias));
        }

        float* transposed = ForwardWeights(g, count, weight, filters);
        fixed (float* pi = images, pb = bias, po = output)
        {
            var job = new ConvolutionJob(g, filters, pi, transposed, pb, po, count);
            job.Run(lines: count);
        }
    }

    /// <summary>
    /// <see cref="Forward"/> followed by <see cref="Pooling.MaxForward"/> on its output, image by image: each image's output goes
    /// to a per-thread buffer (50 KB for the CNN's first layer) and is pooled from the cache, so the full-size output (6.4 MB
    /// at batch 128) is never written to memory and read back. The same kernels on the same values: the same bits and the
    /// same <paramref name="winners"/> (a byte per pooled element; empty when none are wanted) as the two calls.
    /// With <paramref name="relu"/> the pooled output also takes <c>max(·, 0)</c> while it is in the cache (a ReLU after the
    /// pooling that keeps no mask: the same bits as its own pass).
    /// </summary>
    public static void ForwardThroughPooling(
        in ConvGeometry g, in PoolGeometry pool, ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int filters,
        Span<float> pooled, Span<byte> winners, bool relu = false, Span<ulong> reluMask = default)
    {
        if (pool.Channels != filters || pool.Height != g.OutHeight || pool.Width != g.OutWidth)
        {
            throw new ArgumentException($"Pooling {pool.Height}×{pool.Width}×{pool.Channels} images does not take a {g.OutHeight}×{g.OutWidth}×{filters} output.", nameof(pool));
        }

        // The output is never formed here, so Check gets its full length; the pooled outputs are checked below.
        Check(g, filters, images.Length, count, weight.Length, count * g.OutPositions * filters, nameof(pooled));
        long pooledLength = (long)count * pool.OutImageSize;
        if (bias.Length < filters || pooled.Length < pooledLength || (!winners.IsEmpty && winners.Length < pooledLength))
        {
            throw new ArgumentException(
                $"{count} images need {filters} bias floats, {pooledLength} pooled floats and (if any) winners; got {bias.Length}, {pooled.Length} and {winners.Length}.",
                nameof(pooled));
        }

        if (!reluMask.IsEmpty && (!relu || filters % 8 != 0 || reluMask.Length < BitMask.WordCount((int)pooledLength)))
        {
            throw new ArgumentException(
                $"A ReLU's mask after the pooling needs the ReLU, filters in whole bytes ({filters}) and {BitMask.WordCount((int)pooledLength)} words; got {reluMask.Length}.", nameof(reluMask));
        }

        float* transposed = ForwardWeights(g, count, weight, filters);
        fixed (float* pi = images, pb = bias, pp = pooled)
        fixed (byte* pwin = winners)
        fixed (ulong* pm = reluMask)
        {
            new ConvolutionJob(g, filters, pi, transposed, pb, null, count).RunForwardThroughPooling(pool, pp, pwin, relu, (byte*)pm);
        }
    }

    /// <summary>The forward pass's weights as its kernels read them (PatchSize × filters, in the calling thread's buffer); traces the product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float* ForwardWeights(in ConvGeometry g, int count, ReadOnlySpan<float> weight, int filters)
    {
        Sgemm.Trace?.Add(new GemmCall(false, true, count * g.OutPositions, filters, g.PatchSize));
        float* transposed = TransposedWeights(g.PatchSize * filters);
        fixed (float* pw = weight)
        {
            // Through the GEMM packing's register-block transpositions where there are some: done on every call, element by
            // element it took 23 % of scoring one CNN row.
            switch (KernelSettings.Path)
            {
                case KernelPath.Vector512:
                    GemmPacking.Panels<GemmVector512, Vector512<float>>(transposed, pw, g.PatchSize, 1, filters, filters, g.PatchSize);
                    break;
                case KernelPath.Vector256:
                    GemmPacking.Panels<GemmVector256, Vector256<float>>(transposed, pw, g.PatchSize, 1, filters, filters, g.PatchSize);
                    break;
                default:
                    Transpose(pw, filters, g.PatchSize, transposed);
                    break;
            }
        }

        return transposed;
    }
}
