using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// How a convolution keeps its input images for the weight gradient. The backward pass asks for
/// <c>x̂</c> a chunk of images at a time and runs im2col on it; exact hands back the kept images,
/// RAD estimators rebuild an unbiased sparse version from what they kept.
/// </summary>
internal abstract class ImageSketch
{
    /// <summary>Whether the sketch reads the exact input the network keeps for the layer (zero-copy).</summary>
    public abstract bool KeepsExactInput { get; }

    /// <summary>Short name for reports.</summary>
    public abstract string Description { get; }

    /// <summary>Forward pass: records what the backward pass needs of <paramref name="images"/> (count NHWC images).</summary>
    public abstract void Keep(StepContext context, ReadOnlySpan<float> images, int count, in ConvGeometry geometry);

    /// <summary>
    /// Backward pass: <c>x̂</c> for images [<paramref name="first"/>, first + <paramref name="count"/>), either a view of
    /// kept memory or rebuilt into <paramref name="scratch"/> (count × ImageSize floats).
    /// </summary>
    public abstract ReadOnlySpan<float> Images(StepContext context, int first, int count, in ConvGeometry geometry, Span<float> scratch);
}

/// <summary>Exact convolution backward: the kept input images themselves.</summary>
internal sealed class ExactImageSketch : ImageSketch
{
    /// <inheritdoc/>
    public override bool KeepsExactInput => true;

    /// <inheritdoc/>
    public override string Description => "exact";

    /// <inheritdoc/>
    public override void Keep(StepContext context, ReadOnlySpan<float> images, int count, in ConvGeometry geometry)
    {
    }

    /// <inheritdoc/>
    public override ReadOnlySpan<float> Images(StepContext context, int first, int count, in ConvGeometry geometry, Span<float> scratch) =>
        context.KeptInput.Slice(first * geometry.ImageSize, count * geometry.ImageSize);
}
