namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Convolution by im2col + GEMM over a batch of channels-last images, a column chunk (<see cref="Im2Col.ChunkImages"/>) at a
/// time, with the chunks spread over <see cref="WorkerPool"/>: each thread packs its own chunk into its own L2-sized column
/// buffer and runs the products on it alone (nested kernels run on the calling thread), so two threads share the work of a
/// layer instead of splitting every small product and synchronizing several times per image.
/// </summary>
/// <remarks>
/// Forward outputs and input gradients are per image, so they do not depend on which thread ran them. The weight gradient
/// sums over images: it is taken as <see cref="WeightGradientParts"/> partial sums over fixed halves of the images, added in
/// order, so it does not depend on the thread count either.
/// </remarks>
internal static unsafe class ConvolutionProducts
{
    /// <summary>Partial weight-gradient sums (fixed, so the sums do not depend on the thread count).</summary>
    public const int WeightGradientParts = 2;

    /// <summary>Each thread's column buffer (pinned; grows to the largest chunk, then stays).</summary>
    [ThreadStatic]
    private static float[]? t_columns;

    /// <summary><c>output = cols(images)·Wᵀ + bias</c>: weight filters × PatchSize, output NHWC.</summary>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int filters, Span<float> output)
    {
        Check(g, count, images.Length, output.Length, weight.Length, filters);
        if (bias.Length < filters)
        {
            throw new ArgumentException($"bias has {bias.Length} values; {filters} filters need {filters}.", nameof(bias));
        }

        fixed (float* pi = images, pw = weight, pb = bias, po = output)
        {
            var job = new Job { G = g, Filters = filters, Images = pi, Weight = pw, Bias = pb, Output = po, Count = count, Kind = JobKind.Forward };
            job.Run(Chunks(g, count));
        }
    }

    /// <summary><c>inputGradient = col2im(outputGradient·W)</c>, overwriting the images' gradient.</summary>
    public static void InputGradient(in ConvGeometry g, ReadOnlySpan<float> outputGradient, int count, ReadOnlySpan<float> weight, int filters, Span<float> inputGradient)
    {
        Check(g, count, inputGradient.Length, outputGradient.Length, weight.Length, filters);
        fixed (float* pi = inputGradient, pw = weight, po = outputGradient)
        {
            var job = new Job { G = g, Filters = filters, Images = pi, Weight = pw, Output = po, Count = count, Kind = JobKind.InputGradient };
            job.Run(Chunks(g, count));
        }
    }

    /// <summary>
    /// <c>dW = Σ_images outputGradientᵀ·cols(images)</c> (filters × PatchSize), added to the existing values when
    /// <paramref name="accumulate"/> is set; <paramref name="partials"/> holds <see cref="WeightGradientParts"/> × filters × PatchSize floats.
    /// </summary>
    public static void WeightGradient(in ConvGeometry g, ReadOnlySpan<float> images, ReadOnlySpan<float> outputGradient, int count, int filters, Span<float> weightGradient, bool accumulate, Span<float> partials)
    {
        Check(g, count, images.Length, outputGradient.Length, weightGradient.Length, filters);
        int size = filters * g.PatchSize;
        if (partials.Length < WeightGradientParts * size)
        {
            throw new ArgumentException($"partials has {partials.Length} floats; {WeightGradientParts}×{size} are needed.", nameof(partials));
        }

        int parts = Math.Min(WeightGradientParts, count);
        if (parts == 0 && !accumulate)
        {
            weightGradient.Slice(0, size).Clear();
        }

        fixed (float* pi = images, pw = partials, po = outputGradient)
        {
            var job = new Job { G = g, Filters = filters, Images = pi, Weight = pw, Output = po, Count = count, Kind = JobKind.WeightGradient, Parts = parts };
            job.Run(parts);
        }

        Span<float> dw = weightGradient.Slice(0, size);
        for (int p = 0; p < parts; p++)
        {
            ReadOnlySpan<float> partial = partials.Slice(p * size, size);
            if (p == 0 && !accumulate)
            {
                partial.CopyTo(dw);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dw, partial, dw);
            }
        }
    }

    private static int Chunks(in ConvGeometry g, int count) => (count + Im2Col.ChunkImages(g) - 1) / Im2Col.ChunkImages(g);

    private static void Check(in ConvGeometry g, int count, int imagesLength, int outputLength, int weightLength, int filters)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(filters, 1);
        if (imagesLength < (long)count * g.ImageSize || outputLength < (long)count * g.OutPositions * filters || weightLength < filters * g.PatchSize)
        {
            throw new ArgumentException(
                $"{count} images of {g.Height}×{g.Width}×{g.Channels} with {filters} filters need {(long)count * g.ImageSize} image, " +
                $"{(long)count * g.OutPositions * filters} output and {filters * g.PatchSize} weight floats; got {imagesLength}, {outputLength} and {weightLength}.");
        }
    }

    private static Span<float> ThreadColumns(int count)
    {
        if (t_columns is null || t_columns.Length < count)
        {
            t_columns = PinnedMemory.Allocate<float>(count);
        }

        return t_columns.AsSpan(0, count);
    }

    private enum JobKind
    {
        Forward,
        InputGradient,
        WeightGradient,
    }

    /// <summary>
    /// One call. <c>Images</c> is the images (forward, weight gradient) or their gradient; <c>Output</c> the output or its
    /// gradient; <c>Weight</c> the weights, or the partial sums of the weight gradient. Forward and input-gradient parts are
    /// column chunks; weight-gradient parts are fixed ranges of images.
    /// </summary>
    private struct Job
    {
        public ConvGeometry G;
        public float* Images, Weight, Bias, Output;
        public int Filters, Count, Parts;
        public JobKind Kind;

        public void Run(int parts)
        {
            fixed (Job* self = &this)
            {
                WorkerPool.Run(&RunPart, self, parts);
            }
        }

        private static void RunPart(void* context, int part, int partCount)
        {
            ref Job job = ref *(Job*)context;
            ConvGeometry g = job.G;
            int chunk = Im2Col.ChunkImages(g), rows = chunk * g.OutPositions;
            Span<float> columns = ThreadColumns(rows * g.PatchSize);
            var weight = new ReadOnlySpan<float>(job.Weight, job.Filters * g.PatchSize);
            if (job.Kind == JobKind.WeightGradient)
            {
                job.WeightGradientPart(part, partCount, columns);
                return;
            }

            int first = part * chunk, count = Math.Min(chunk, job.Count - first);
            rows = count * g.OutPositions;
            var images = new Span<float>(job.Images + ((long)first * g.ImageSize), count * g.ImageSize);
            var output = new Span<float>(job.Output + ((long)first * g.OutPositions * job.Filters), rows * job.Filters);
            if (job.Kind == JobKind.Forward)
            {
                Im2Col.Pack(g, images, count, columns);
                Sgemm.Multiply(false, true, rows, job.Filters, g.PatchSize, 1f, columns, g.PatchSize, weight, g.PatchSize, 0f, output, job.Filters);
                RowVector.AddToRows(output, rows, new ReadOnlySpan<float>(job.Bias, job.Filters));
                return;
            }

            Sgemm.Multiply(false, false, rows, g.PatchSize, job.Filters, 1f, output, job.Filters, weight, g.PatchSize, 0f, columns, g.PatchSize);
            Im2Col.Unpack(g, columns, count, images);
        }

        /// <summary>Partial sum <paramref name="part"/>: images [part·n/parts, (part + 1)·n/parts), a column chunk at a time, in order.</summary>
        private readonly void WeightGradientPart(int part, int partCount, Span<float> columns)
        {
            ConvGeometry g = G;
            int chunk = Im2Col.ChunkImages(g);
            int begin = (int)((long)Count * part / partCount), end = (int)((long)Count * (part + 1) / partCount);
            var partial = new Span<float>(Weight + ((long)part * Filters * g.PatchSize), Filters * g.PatchSize);
            for (int first = begin; first < end; first += chunk)
            {
                int count = Math.Min(chunk, end - first), rows = count * g.OutPositions;
                Im2Col.Pack(g, new ReadOnlySpan<float>(Images + ((long)first * g.ImageSize), count * g.ImageSize), count, columns);
                var dy = new ReadOnlySpan<float>(Output + ((long)first * g.OutPositions * Filters), rows * Filters);
                Sgemm.Multiply(true, false, Filters, g.PatchSize, rows, 1f, dy, Filters, columns, g.PatchSize, first == begin ? 0f : 1f, partial, g.PatchSize);
            }
        }
    }
}
