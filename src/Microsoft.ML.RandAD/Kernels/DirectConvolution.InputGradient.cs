namespace Microsoft.ML.RandAD.Kernels;

// The input gradient run directly: a forward convolution of the padded output gradient with the flipped kernel.
internal static unsafe partial class DirectConvolution
{
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
}
