namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Shape of a 2-D convolution over channels-last (NHWC) images.
/// </summary>
/// <param name="Channels">Input channels C.</param>
/// <param name="Height">Input height H.</param>
/// <param name="Width">Input width W.</param>
/// <param name="KernelHeight">Kernel height.</param>
/// <param name="KernelWidth">Kernel width.</param>
/// <param name="Stride">Stride (both directions).</param>
/// <param name="Padding">Zero padding (both directions, both sides).</param>
public readonly record struct ConvGeometry(int Channels, int Height, int Width, int KernelHeight, int KernelWidth, int Stride = 1, int Padding = 0)
{
    /// <summary>Output height.</summary>
    public int OutHeight => (Height + 2 * Padding - KernelHeight) / Stride + 1;

    /// <summary>Output width.</summary>
    public int OutWidth => (Width + 2 * Padding - KernelWidth) / Stride + 1;

    /// <summary>Length of one patch row of the column matrix: KernelHeight·KernelWidth·Channels.</summary>
    public int PatchSize => KernelHeight * KernelWidth * Channels;

    /// <summary>Floats in one input image (H·W·C).</summary>
    public int ImageSize => Height * Width * Channels;

    /// <summary>Output positions per image (OutHeight·OutWidth).</summary>
    public int OutPositions => OutHeight * OutWidth;
}

/// <summary>
/// im2col / col2im for channels-last images. The column matrix has one row per output position
/// (image n, oh, ow) and one column per patch element (kh, kw, c), c fastest, so a convolution is the
/// product <c>cols · Wᵀ</c> with W of shape filters × PatchSize, and its output is again NHWC.
/// </summary>
public static class Im2Col
{
    /// <summary>Builds the column matrix (count·OutPositions)×PatchSize; padded positions get 0.</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="images">count NHWC images.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="columns">The column matrix, overwritten.</param>
    public static void Pack(in ConvGeometry geometry, ReadOnlySpan<float> images, int count, Span<float> columns)
    {
        var g = geometry;
        int row = 0;
        for (int n = 0; n < count; n++)
        {
            var image = images.Slice(n * g.ImageSize, g.ImageSize);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++, row++)
                {
                    var dst = columns.Slice(row * g.PatchSize, g.PatchSize);
                    int at = 0;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int ih = oh * g.Stride - g.Padding + kh;
                        for (int kw = 0; kw < g.KernelWidth; kw++, at += g.Channels)
                        {
                            int iw = ow * g.Stride - g.Padding + kw;
                            var patch = dst.Slice(at, g.Channels);
                            if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width)
                            {
                                patch.Clear();
                            }
                            else
                            {
                                image.Slice((ih * g.Width + iw) * g.Channels, g.Channels).CopyTo(patch);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>col2im: overwrites <paramref name="images"/> with the sum of every column entry at its image position (padding dropped).</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="columns">The column matrix (count·OutPositions)×PatchSize.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="images">count NHWC images, overwritten.</param>
    public static void Unpack(in ConvGeometry geometry, ReadOnlySpan<float> columns, int count, Span<float> images)
    {
        var g = geometry;
        images.Slice(0, count * g.ImageSize).Clear();
        int row = 0;
        for (int n = 0; n < count; n++)
        {
            var image = images.Slice(n * g.ImageSize, g.ImageSize);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++, row++)
                {
                    var src = columns.Slice(row * g.PatchSize, g.PatchSize);
                    int at = 0;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int ih = oh * g.Stride - g.Padding + kh;
                        for (int kw = 0; kw < g.KernelWidth; kw++, at += g.Channels)
                        {
                            int iw = ow * g.Stride - g.Padding + kw;
                            if (ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width)
                            {
                                var dst = image.Slice((ih * g.Width + iw) * g.Channels, g.Channels);
                                System.Numerics.Tensors.TensorPrimitives.Add(dst, src.Slice(at, g.Channels), dst);
                            }
                        }
                    }
                }
            }
        }
    }
}
