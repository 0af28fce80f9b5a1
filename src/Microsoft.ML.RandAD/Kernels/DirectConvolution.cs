using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
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

    /// <summary>
    /// Whether the input gradient of this convolution runs directly (<see cref="InputGradient"/>): on the 512- and 256-bit
    /// paths (the ones measured), stride 1, a square kernel wider than the padding, channels a multiple of
    /// <see cref="WideFilterMultiple"/> (they are the transposed convolution's filters, so none falls to the scalar
    /// remainder loop), and a transposed convolution that <see cref="IsPreferred"/> itself.
    /// </summary>
    public static bool TakesInputGradient(in ConvGeometry g, int filters) =>
        HasWideKernels && IsTransposable(g) && g.Channels % WideFilterMultiple == 0
        && IsPreferred(Transposed(g, filters), g.Channels);

    private static bool IsTransposable(in ConvGeometry g) => g.Stride == 1 && g.KernelHeight == g.KernelWidth && g.Padding < g.KernelHeight;

    /// <summary>
    /// <c>inputGradient[n, h, w, c] = Σ_{kh, kw, f} outputGradient[n, h + p − kh, w + p − kw, f]·weight[f, (kh, kw, c)]</c>
    /// (terms outside the output are zero), overwriting the images' gradient: the same sums as col2im(dY·W), added in
    /// another order (so the bits differ from the GEMM route's; since routing depends on the kernel path, a layer's dX is
    /// reproducible within one path, as GEMM results are).
    /// </summary>
    /// <remarks>
    /// For stride 1 this is a forward convolution of the output gradient, padded by K − 1 − p, with the kernel flipped and
    /// its channel and filter axes swapped, so it runs through <see cref="Forward"/>'s loops (with a zero bias): each element
    /// starts at 0 and takes one fused multiply-add per tap in (kh', kw', f) order, kh' = K − 1 − kh. No column matrix is
    /// written or read.
    /// <para>Given <c>reluOutput</c> (the output of a plain ReLU that produced this layer's input, the layout of the input
    /// gradient), each image's gradient is masked by it as it is written: the ReLU's input gradient, the same bits as its own
    /// backward pass (<see cref="ReluFromOutput.Backward"/>, slope 0) afterwards, without writing and reading it again.</para>
    /// </remarks>
    public static void InputGradient(
        in ConvGeometry g, ReadOnlySpan<float> outputGradient, int count, ReadOnlySpan<float> weight, int filters, Span<float> inputGradient,
        ReadOnlySpan<float> reluOutput = default, ReadOnlySpan<ulong> reluMask = default) =>
        RunInputGradient(g, outputGradient, count, weight, filters, inputGradient, reluOutput, reluMask, default);

    /// <summary>The images of an input gradient's forward pass read through a max pooling (<see cref="InputGradientThroughPooling"/>).</summary>
    private readonly struct PooledInput(PoolGeometry pool, float* gradient, byte* winners)
    {
        public readonly PoolGeometry Pool = pool;
        public readonly float* Gradient = gradient;
        public readonly byte* Winners = winners;
    }

    private static void RunInputGradient(
        in ConvGeometry g, ReadOnlySpan<float> outputGradient, int count, ReadOnlySpan<float> weight, int filters, Span<float> inputGradient,
        ReadOnlySpan<float> reluOutput, ReadOnlySpan<ulong> reluMask, PooledInput pooled)
    {
        g.Validate();
        if (!IsTransposable(g))
        {
            throw new ArgumentException($"The input gradient of a {g.KernelHeight}×{g.KernelWidth} convolution with stride {g.Stride} and padding {g.Padding} ({filters} filters on {g.Channels} channels) does not run directly.", nameof(g));
        }

        ConvGeometry t = Transposed(g, filters);
        Check(t, g.Channels, pooled.Gradient != null ? count * t.ImageSize : outputGradient.Length, count, weight.Length, inputGradient.Length, "inputGradient");
        Sgemm.Trace?.Add(new GemmCall(false, false, count * g.OutPositions, g.PatchSize, filters));
        float* transposed = TransposedWeights(t.PatchSize * g.Channels);
        fixed (float* pw = weight)
        {
            Flip(g, filters, pw, transposed);
        }

        float* zeros = stackalloc float[g.Channels];
        new Span<float>(zeros, g.Channels).Clear();
        if (!reluOutput.IsEmpty && reluOutput.Length < (long)count * g.ImageSize)
        {
            throw new ArgumentException($"reluOutput holds {reluOutput.Length} floats; {count} images need {(long)count * g.ImageSize}.", nameof(reluOutput));
        }

        if (!reluMask.IsEmpty && (!reluOutput.IsEmpty || g.Channels % 8 != 0 || reluMask.Length < BitMask.WordCount(count * g.ImageSize)))
        {
            throw new ArgumentException(
                $"A ReLU's mask needs channels in whole bytes ({g.Channels}), no ReLU output beside it and {BitMask.WordCount(count * g.ImageSize)} words; got {reluMask.Length}.", nameof(reluMask));
        }

        fixed (float* pg = outputGradient, px = inputGradient, pr = reluOutput)
        fixed (ulong* pm = reluMask)
        {
            new ConvolutionJob(t, g.Channels, pg, transposed, zeros, px, count).RunInputGradient(pr, (byte*)pm, pooled);
        }
    }

    /// <summary>
    /// <c>weightGradient[f, tap] = Σ_pixels outputGradient[pixel, f]·images[pixel + tap]</c> (filters × PatchSize), added to
    /// the existing values when <paramref name="accumulate"/> is set; and, when <paramref name="biasGradient"/> is given,
    /// <c>biasGradient[f] = Σ_pixels outputGradient[pixel, f]</c> the same way.
    /// </summary>
    /// <remarks>
    /// The images are split into fixed parts (<see cref="ImageParts"/>, whatever the thread count), each summed over every tap,
    /// image by image in order, then the parts added in order: each image is padded and its output gradient read
    /// once, by one thread, while it is in that thread's cache. (Splitting the taps over the threads instead made every thread
    /// pad and read every image: on Zen 3, two threads, the CNN's second layer's weight gradient took 0.84–0.88× the time of
    /// im2col + GEMM that way against 0.79–0.81× in parts of the images.) The bias gradient is <see cref="RowVector.SumRows"/>'s column sums, the same
    /// bits as the sampled sketches' bias, except for single-channel patches (<see cref="SumsBiasInPass"/>), where each part
    /// sums it in the same pass, pixel by pixel in order.
    /// </remarks>
    public static void WeightGradient(in ConvGeometry g, ReadOnlySpan<float> images, ReadOnlySpan<float> outputGradient, int count, int filters, Span<float> weightGradient, bool accumulate, Span<float> biasGradient = default)
    {
        Check(g, filters, images.Length, count, weightGradient.Length, outputGradient.Length, "outputGradient");
        bool withBias = !biasGradient.IsEmpty;
        if (withBias && biasGradient.Length != filters)
        {
            throw new ArgumentException($"biasGradient has {biasGradient.Length} floats; the layer has {filters} filters.", nameof(biasGradient));
        }

        Sgemm.Trace?.Add(new GemmCall(true, false, filters, g.PatchSize, count * g.OutPositions));
        fixed (float* pi = images, pg = outputGradient, pw = weightGradient, pb = biasGradient)
        {
            bool biasInPass = withBias && SumsBiasInPass(g);
            if (withBias && !biasInPass)
            {
                RowVector.SumRows(outputGradient.Slice(0, count * g.OutPositions * filters), count * g.OutPositions, biasGradient, accumulate);
            }

            int parts = ImageParts(count);
            float* sums = PartSums(parts * (g.PatchSize + 1) * filters);
            bool* filterMajor = stackalloc bool[parts];
            new ConvolutionJob(g, filters, pi, null, null, pg, count).RunImageParts(sums, parts, biasInPass, filterMajor);
            AddParts(g, filters, sums, parts, pw, biasInPass ? pb : null, accumulate, filterMajor);
        }
    }

    /// <summary>
    /// Whether <see cref="WeightGradientThroughPooling"/> and <see cref="InputGradientThroughPooling"/> take this layer and the
    /// max pooling after it: 2×2 pooling with stride 2 that tiles the layer's output exactly.
    /// </summary>
    public static bool TakesPooledGradient(in ConvGeometry g, int filters, in PoolGeometry pool) =>
        Pooling.TakesImageBackward(pool) && pool.Channels == filters && pool.Height == g.OutHeight && pool.Width == g.OutWidth;

    /// <summary>
    /// <see cref="WeightGradient"/> (bias included) of a layer whose output goes through 2×2 stride-2 max pooling, reading the
    /// output gradient through the pooling: a pixel's gradient is its window's <paramref name="pooledGradient"/> where it won
    /// the window (<paramref name="winners"/>, a byte per pooled element as <see cref="Pooling.MaxForward"/> records them),
    /// else zero — what <see cref="Pooling.MaxBackward"/> would write. The same sums in the same order, so the same bits as
    /// pooling backward then <see cref="WeightGradient"/>, without writing and reading the full-size gradient (6.4 MB for the
    /// CNN's first layer at batch 128, 3.2 MB for its second). On AVX-512 a 5×5×1 layer of 16 filters forms each pixel's
    /// gradient inside the weight-gradient kernel; a layer summed over its nonzeros lists them from the winners
    /// (<see cref="DirectConvolutionLanes.ListNonzerosThroughPooling{TW, TU, TF}"/>) and its bias is
    /// <see cref="PooledRows.SumRows"/>; elsewhere each image's gradient is written to a per-thread buffer first.
    /// </summary>
    public static void WeightGradientThroughPooling(
        in ConvGeometry g, in PoolGeometry pool, ReadOnlySpan<float> images, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<byte> winners,
        int count, int filters, Span<float> weightGradient, Span<float> biasGradient, bool accumulate)
    {
        CheckPooled(g, filters, pool, pooledGradient, winners, count);
        if (biasGradient.Length != filters)
        {
            throw new ArgumentException($"biasGradient has {biasGradient.Length} floats; the layer has {filters} filters.", nameof(biasGradient));
        }

        // The output gradient is never formed here, so Check gets its full length; the pooled inputs are checked above.
        Check(g, filters, images.Length, count, weightGradient.Length, count * g.OutPositions * filters, "pooledGradient");
        Sgemm.Trace?.Add(new GemmCall(true, false, filters, g.PatchSize, count * g.OutPositions));
        bool biasInPass = SumsBiasInPass(g);
        if (!biasInPass)
        {
            PooledRows.SumRows(pool, pooledGradient, winners, count, biasGradient, accumulate);
        }

        fixed (float* pi = images, pp = pooledGradient, pw = weightGradient, pb = biasGradient)
        fixed (byte* pwin = winners)
        {
            int parts = ImageParts(count);
            float* sums = PartSums(parts * (g.PatchSize + 1) * filters);
            bool* filterMajor = stackalloc bool[parts];
            new ConvolutionJob(g, filters, pi, null, null, null, count).RunImagePartsThroughPooling(sums, parts, pool, pp, pwin, biasInPass, biasInPass ? null : filterMajor);
            AddParts(g, filters, sums, parts, pw, biasInPass ? pb : null, accumulate, biasInPass ? null : filterMajor);
        }
    }

    /// <summary>
    /// <see cref="InputGradient"/> of a layer whose output goes through 2×2 stride-2 max pooling, reading the output gradient
    /// through the pooling as <see cref="WeightGradientThroughPooling"/> does: each image's gradient is formed in the padded
    /// buffer the kernel reads it from (<see cref="Pooling.MaxBackwardImage"/>) rather than copied there from the full-size
    /// gradient. The same bits as pooling backward then <see cref="InputGradient"/>.
    /// </summary>
    public static void InputGradientThroughPooling(
        in ConvGeometry g, in PoolGeometry pool, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<byte> winners, int count, ReadOnlySpan<float> weight,
        int filters, Span<float> inputGradient, ReadOnlySpan<float> reluOutput = default, ReadOnlySpan<ulong> reluMask = default)
    {
        CheckPooled(g, filters, pool, pooledGradient, winners, count);
        fixed (float* pp = pooledGradient)
        fixed (byte* pwin = winners)
        {
            RunInputGradient(g, default, count, weight, filters, inputGradient, reluOutput, reluMask, new PooledInput(pool, pp, pwin));
        }
    }

    private static void CheckPooled(in ConvGeometry g, int filters, in PoolGeometry pool, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<byte> winners, int count)
    {
        if (!TakesPooledGradient(g, filters, pool))
        {
            throw new ArgumentException($"A {g.KernelHeight}×{g.KernelWidth}×{g.Channels} layer with {filters} filters does not take its gradient through {pool.Size}×{pool.Size} s{pool.Stride} pooling.", nameof(pool));
        }

        long pooled = (long)count * pool.OutImageSize;
        if (pooledGradient.Length < pooled || winners.Length < pooled)
        {
            throw new ArgumentException(
                $"{count} images need {pooled} pooled gradient floats and winners; got {pooledGradient.Length} and {winners.Length}.", nameof(pooledGradient));
        }
    }

    /// <summary>
    /// Adds the parts' sums in order (into part 0's, a vector at a time: <see cref="RowVector.AddBlocks"/>), then writes them
    /// into the gradient (filters × PatchSize) and, given, the bias gradient: written, or added when accumulating. Parts
    /// flagged in <paramref name="filterMajor"/> hold their sums filter-major (the gradient's layout); when all do, they are
    /// added and written as they are, else those are first turned tap-major (a copy: no sum changes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void AddParts(in ConvGeometry g, int filters, float* sums, int parts, float* weightGradient, float* biasGradient, bool accumulate, bool* filterMajor = null)
    {
        int size = (g.PatchSize + 1) * filters, taps = g.PatchSize;
        int major = 0;
        for (int p = 0; filterMajor != null && p < parts; p++)
        {
            major += filterMajor[p] ? 1 : 0;
        }

        if (major > 0 && major < parts)
        {
            // Some parts summed sparsely, some densely: the sparse ones' sums into the dense ones' layout.
            float* copy = SparseBuffer(taps * filters);
            for (int p = 0; p < parts; p++)
            {
                if (filterMajor![p])
                {
                    float* part = sums + ((long)p * size);
                    new ReadOnlySpan<float>(part, taps * filters).CopyTo(new Span<float>(copy, taps * filters));
                    Transpose(copy, filters, taps, part);
                }
            }
        }

        RowVector.AddBlocks(sums + size, size, parts - 1, sums, biasGradient != null ? size : taps * filters);
        if (major == parts)
        {
            for (int i = 0; i < taps * filters; i++)
            {
                weightGradient[i] = accumulate ? weightGradient[i] + sums[i] : sums[i];
            }
        }
        else
        {
            for (int tap = 0; tap < taps; tap++)
            {
                for (int f = 0; f < filters; f++)
                {
                    float total = sums[(tap * filters) + f];
                    float* target = weightGradient + ((long)f * taps) + tap;
                    *target = accumulate ? *target + total : total;
                }
            }
        }

        for (int f = 0; biasGradient != null && f < filters; f++)
        {
            float total = sums[(g.PatchSize * filters) + f];
            biasGradient[f] = accumulate ? biasGradient[f] + total : total;
        }
    }

    /// <summary>
    /// The weight gradient's parts for <paramref name="count"/> images: up to <see cref="MaxImageParts"/> ranges of whole images,
    /// fixed by the count alone, so the sums (and their bits) are the same on any number of threads.
    /// </summary>
    internal static int ImageParts(int count) => Math.Clamp(count, 1, MaxImageParts);

    /// <summary>Parts of the images in a weight gradient: work for up to eight threads, and eight sets of sums to add.</summary>
    private const int MaxImageParts = 8;

    /// <summary>
    /// Whether the weight gradient sums the bias in its own pass over the output gradient rather than in a pass of its own:
    /// single-channel patches of up to 25 taps, a first layer on grayscale images, whose output gradient is the network's
    /// largest (6.4 MB for the CNN's first layer at batch 128) and is then read once, not twice.
    /// </summary>
    internal static bool SumsBiasInPass(in ConvGeometry g) => g.Channels == 1 && g.PatchSize <= 25;
}
