using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// How a convolution keeps its input images (NHWC) for the weight gradient <c>dW = dYᵀ·cols(X̂)</c>.
/// The default path rebuilds x̂ a chunk of images at a time, runs im2col on it and takes the product (where
/// <see cref="DirectConvolution.PrefersWeightGradient"/>: a direct convolution, no column matrix);
/// a sketch with a cheaper route (shared positions) overrides <see cref="ParameterGradients"/>.
/// </summary>
internal abstract class ImageSketch
{
    /// <summary>Whether the sketch reads the exact input the network keeps for the layer (zero-copy).</summary>
    public abstract bool KeepsExactInput { get; }

    /// <summary>Short name for reports.</summary>
    public abstract string Description { get; }

    /// <summary>Bytes kept for a batch (equal to what the ledger will count).</summary>
    public abstract long RetainedBytes(int batch, in ConvGeometry geometry);

    /// <summary>Forward pass: records what the backward pass needs of <paramref name="images"/> (batch NHWC images).</summary>
    public abstract void Keep(StepContext context, ReadOnlySpan<float> images, int batch, in ConvGeometry geometry);

    /// <summary>
    /// Backward pass: writes (or adds, when <paramref name="accumulate"/>) dYᵀ·cols(x̂) into <paramref name="weightGradient"/>
    /// (filters × PatchSize) and the exact Σ dY into <paramref name="biasGradient"/> (filters): the bias never needs the
    /// input, but a direct weight gradient sums it in the same pass over dY.
    /// </summary>
    public virtual void ParameterGradients(StepContext context, ReadOnlySpan<float> outputGradient, int batch, in ConvGeometry geometry, int filters, Span<float> weightGradient, Span<float> biasGradient, bool accumulate)
    {
        ConvGeometry g = geometry;
        if (DirectConvolution.PrefersWeightGradient(g, filters))
        {
            DirectWeightGradient(context, outputGradient, batch, g, filters, weightGradient, biasGradient, accumulate);
            return;
        }

        BiasGradient(outputGradient, batch, g, filters, biasGradient, accumulate);

        // The kept images themselves in one product, or x̂ rebuilt a few images at a time; each product's column chunks
        // are spread over the threads.
        int chunk = KeepsExactInput ? batch : Math.Min(batch, Math.Max(8, ConvolutionProducts.WeightGradientParts * Im2Col.ChunkImages(g)));
        int rebuiltFloats = KeepsExactInput ? 0 : chunk * g.ImageSize;
        int partialFloats = ConvolutionProducts.WeightGradientParts * filters * g.PatchSize;
        Span<float> scratch = context.SketchScratch(rebuiltFloats + partialFloats);
        Span<float> rebuilt = scratch.Slice(0, rebuiltFloats);
        Span<float> partials = scratch.Slice(rebuiltFloats, partialFloats);
        for (int first = 0; first < batch; first += chunk)
        {
            int count = Math.Min(chunk, batch - first);
            ReadOnlySpan<float> dy = outputGradient.Slice(first * g.OutPositions * filters, count * g.OutPositions * filters);
            ConvolutionProducts.WeightGradient(g, Images(context, first, count, g, rebuilt), dy, count, filters, weightGradient, accumulate || first > 0, partials);
        }
    }

    /// <summary>
    /// Whether <see cref="ParameterGradientsThroughPooling"/> serves this layer: its weight gradient is a direct convolution
    /// over x̂ (<see cref="ParameterGradients"/>' default route), which can read its output gradient through a max pooling's
    /// winners. A sketch that sums its gradient another way says no.
    /// </summary>
    public virtual bool TakesPooledGradient(in ConvGeometry geometry, int filters) => DirectConvolution.PrefersWeightGradient(geometry, filters);

    /// <summary>
    /// <see cref="ParameterGradients"/> of a layer under 2×2 max pooling, its output gradient read through the pooling's
    /// <paramref name="winners"/> (a byte per pooled element) from <paramref name="pooledGradient"/>
    /// (<see cref="DirectConvolution.WeightGradientThroughPooling"/>): the same bits as the pooling's backward pass and then
    /// <see cref="ParameterGradients"/>, without the full-size gradient between them. Only where <see cref="TakesPooledGradient"/>.
    /// </summary>
    public void ParameterGradientsThroughPooling(
        StepContext context, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<byte> winners, int batch, in ConvGeometry geometry, in PoolGeometry pool,
        int filters, Span<float> weightGradient, Span<float> biasGradient, bool accumulate)
    {
        ConvGeometry g = geometry;
        int chunk = DirectChunk(batch, g), pooled = pool.OutImageSize;
        Span<float> rebuilt = KeepsExactInput ? default : context.SketchScratch(chunk * g.ImageSize);
        for (int first = 0; first < batch; first += chunk)
        {
            int count = Math.Min(chunk, batch - first);
            DirectConvolution.WeightGradientThroughPooling(
                g, pool, Images(context, first, count, g, rebuilt), pooledGradient.Slice(first * pooled, count * pooled), winners.Slice(first * pooled, count * pooled),
                count, filters, weightGradient, biasGradient, accumulate || first > 0);
        }
    }

    /// <summary>Images a direct weight gradient takes at a time: the whole batch when kept, else ~1 MB of rebuilt x̂ (at least 8).</summary>
    private int DirectChunk(int batch, in ConvGeometry g) => KeepsExactInput ? batch : Math.Min(batch, Math.Max(8, DirectRebuildBytes / (4 * g.ImageSize)));

    /// <summary>
    /// The weight gradient by direct convolution: no column matrix, x̂ rebuilt a chunk of images at a time (about 1 MB, at
    /// least 8 images) when it is not kept. Each call is one dispatch to the threads (split by fixed parts of the chunk's
    /// images), so chunks the size of im2col's (3 images of the CNN's second layer) would pay a
    /// dispatch and a rebuild per 3 images.
    /// </summary>
    private void DirectWeightGradient(StepContext context, ReadOnlySpan<float> outputGradient, int batch, in ConvGeometry g, int filters, Span<float> weightGradient, Span<float> biasGradient, bool accumulate)
    {
        int chunk = DirectChunk(batch, g);
        Span<float> rebuilt = KeepsExactInput ? default : context.SketchScratch(chunk * g.ImageSize);
        for (int first = 0; first < batch; first += chunk)
        {
            int count = Math.Min(chunk, batch - first);
            ReadOnlySpan<float> dy = outputGradient.Slice(first * g.OutPositions * filters, count * g.OutPositions * filters);
            DirectConvolution.WeightGradient(g, Images(context, first, count, g, rebuilt), dy, count, filters, weightGradient, accumulate || first > 0, biasGradient);
        }
    }

    /// <summary>The bias gradient on its own: Σ dY over every output position of the batch (filters), written or added.</summary>
    protected static void BiasGradient(ReadOnlySpan<float> outputGradient, int batch, in ConvGeometry g, int filters, Span<float> biasGradient, bool accumulate) =>
        RowVector.SumRows(outputGradient.Slice(0, batch * g.OutPositions * filters), batch * g.OutPositions, biasGradient, accumulate);

    private const int DirectRebuildBytes = 1 << 20;

    /// <summary>x̂ for images [first, first + count): a view of kept memory, or rebuilt into <paramref name="scratch"/>.</summary>
    protected abstract ReadOnlySpan<float> Images(StepContext context, int first, int count, in ConvGeometry geometry, Span<float> scratch);
}

/// <summary>Exact convolution backward: the kept input images themselves (kept by the network, no copy).</summary>
internal sealed class ExactImageSketch : ImageSketch
{
    public override bool KeepsExactInput => true;

    public override string Description => "exact";

    public override long RetainedBytes(int batch, in ConvGeometry geometry) => 4L * batch * geometry.ImageSize;

    public override void Keep(StepContext context, ReadOnlySpan<float> images, int batch, in ConvGeometry geometry)
    {
    }

    protected override ReadOnlySpan<float> Images(StepContext context, int first, int count, in ConvGeometry geometry, Span<float> scratch) =>
        context.KeptInput.Slice(first * geometry.ImageSize, count * geometry.ImageSize);
}
