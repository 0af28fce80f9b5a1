namespace Microsoft.ML.RandAD.Kernels;

// Both gradients of a layer under 2×2 stride-2 max pooling, reading the pooled gradient through the pooling's winners.
internal static unsafe partial class DirectConvolution
{
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
}
