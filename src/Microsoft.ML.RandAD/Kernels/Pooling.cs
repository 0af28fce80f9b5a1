using System.Numerics.Tensors;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Shape of a 2-D pooling over channels-last images (no padding).</summary>
/// <param name="Channels">Channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Size">Window height and width.</param>
/// <param name="Stride">Step between windows.</param>
internal readonly record struct PoolGeometry(int Channels, int Height, int Width, int Size, int Stride)
{
    public int OutHeight => (Height - Size) / Stride + 1;

    public int OutWidth => (Width - Size) / Stride + 1;

    public int ImageSize => Height * Width * Channels;

    public int OutImageSize => OutHeight * OutWidth * Channels;
}

/// <summary>
/// Max and average pooling over channels-last images. Max pooling records, per output element, which window
/// position won (one byte: windows up to 16×16), so its backward pass needs neither the input nor the output.
/// </summary>
internal static class Pooling
{
    /// <summary>Max pooling; <paramref name="winners"/> (may be empty in inference) gets the window index of each maximum (first on ties).</summary>
    public static void MaxForward(in PoolGeometry g, ReadOnlySpan<float> input, int count, Span<float> output, Span<byte> winners)
    {
        int c = g.Channels;
        bool record = !winners.IsEmpty;
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> image = input.Slice(n * g.ImageSize, g.ImageSize);
            int outBase = n * g.OutImageSize;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int at = outBase + (oh * g.OutWidth + ow) * c;
                    Span<float> best = output.Slice(at, c);
                    Span<byte> won = record ? winners.Slice(at, c) : default;
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    image.Slice((h0 * g.Width + w0) * c, c).CopyTo(best);
                    if (record)
                    {
                        won.Clear();
                    }

                    for (int kh = 0; kh < g.Size; kh++)
                    {
                        for (int kw = kh == 0 ? 1 : 0; kw < g.Size; kw++)
                        {
                            ReadOnlySpan<float> candidate = image.Slice(((h0 + kh) * g.Width + w0 + kw) * c, c);
                            byte index = (byte)(kh * g.Size + kw);
                            for (int ch = 0; ch < c; ch++)
                            {
                                // Strictly greater keeps the first maximum; NaN never wins after the first.
                                if (candidate[ch] > best[ch])
                                {
                                    best[ch] = candidate[ch];
                                    if (record)
                                    {
                                        won[ch] = index;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Routes each output gradient to the winning input position; overwrites <paramref name="inputGradient"/>.</summary>
    public static void MaxBackward(in PoolGeometry g, ReadOnlySpan<float> outputGradient, ReadOnlySpan<byte> winners, int count, Span<float> inputGradient)
    {
        int c = g.Channels;
        inputGradient.Slice(0, count * g.ImageSize).Clear();
        for (int n = 0; n < count; n++)
        {
            Span<float> image = inputGradient.Slice(n * g.ImageSize, g.ImageSize);
            int outBase = n * g.OutImageSize;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int at = outBase + (oh * g.OutWidth + ow) * c;
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    for (int ch = 0; ch < c; ch++)
                    {
                        int index = winners[at + ch];
                        int kh = index / g.Size, kw = index - kh * g.Size;
                        image[((h0 + kh) * g.Width + w0 + kw) * c + ch] += outputGradient[at + ch];
                    }
                }
            }
        }
    }

    /// <summary>Average pooling.</summary>
    public static void AverageForward(in PoolGeometry g, ReadOnlySpan<float> input, int count, Span<float> output)
    {
        int c = g.Channels;
        float scale = 1f / (g.Size * g.Size);
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> image = input.Slice(n * g.ImageSize, g.ImageSize);
            int outBase = n * g.OutImageSize;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    Span<float> sum = output.Slice(outBase + (oh * g.OutWidth + ow) * c, c);
                    sum.Clear();
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    for (int kh = 0; kh < g.Size; kh++)
                    {
                        for (int kw = 0; kw < g.Size; kw++)
                        {
                            TensorPrimitives.Add(sum, image.Slice(((h0 + kh) * g.Width + w0 + kw) * c, c), sum);
                        }
                    }

                    TensorPrimitives.Multiply(sum, scale, sum);
                }
            }
        }
    }

    /// <summary>Spreads each output gradient evenly over its window; overwrites <paramref name="inputGradient"/>.</summary>
    public static void AverageBackward(in PoolGeometry g, ReadOnlySpan<float> outputGradient, int count, Span<float> inputGradient)
    {
        int c = g.Channels;
        float scale = 1f / (g.Size * g.Size);
        inputGradient.Slice(0, count * g.ImageSize).Clear();
        Span<float> share = stackalloc float[c];
        for (int n = 0; n < count; n++)
        {
            Span<float> image = inputGradient.Slice(n * g.ImageSize, g.ImageSize);
            int outBase = n * g.OutImageSize;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    TensorPrimitives.Multiply(outputGradient.Slice(outBase + (oh * g.OutWidth + ow) * c, c), scale, share);
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    for (int kh = 0; kh < g.Size; kh++)
                    {
                        for (int kw = 0; kw < g.Size; kw++)
                        {
                            Span<float> target = image.Slice(((h0 + kh) * g.Width + w0 + kw) * c, c);
                            TensorPrimitives.Add(target, share, target);
                        }
                    }
                }
            }
        }
    }
}
