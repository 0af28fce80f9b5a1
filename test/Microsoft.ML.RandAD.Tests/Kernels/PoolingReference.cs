using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>
/// The pooling loops as they were before the kernels were vectorized (one element at a time, span indexing): the
/// reference every path of <see cref="Pooling"/> must match bit for bit.
/// </summary>
internal static class PoolingReference
{
    public static void MaxForward(in PoolGeometry g, ReadOnlySpan<float> input, int count, Span<float> output, Span<byte> winners)
    {
        int c = g.Channels;
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> image = input.Slice(n * g.ImageSize, g.ImageSize);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int at = (n * g.OutImageSize) + (((oh * g.OutWidth) + ow) * c);
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    image.Slice(((h0 * g.Width) + w0) * c, c).CopyTo(output.Slice(at, c));
                    winners.Slice(at, c).Clear();
                    for (int kh = 0; kh < g.Size; kh++)
                    {
                        for (int kw = kh == 0 ? 1 : 0; kw < g.Size; kw++)
                        {
                            for (int ch = 0; ch < c; ch++)
                            {
                                float candidate = image[((((h0 + kh) * g.Width) + w0 + kw) * c) + ch];
                                if (candidate > output[at + ch])
                                {
                                    output[at + ch] = candidate;
                                    winners[at + ch] = (byte)((kh * g.Size) + kw);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public static void MaxBackward(in PoolGeometry g, ReadOnlySpan<float> outputGradient, ReadOnlySpan<byte> winners, int count, Span<float> inputGradient)
    {
        int c = g.Channels;
        inputGradient.Slice(0, count * g.ImageSize).Clear();
        for (int n = 0; n < count; n++)
        {
            Span<float> image = inputGradient.Slice(n * g.ImageSize, g.ImageSize);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int at = (n * g.OutImageSize) + (((oh * g.OutWidth) + ow) * c);
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    for (int ch = 0; ch < c; ch++)
                    {
                        int index = winners[at + ch];
                        int kh = index / g.Size, kw = index - (kh * g.Size);
                        image[((((h0 + kh) * g.Width) + w0 + kw) * c) + ch] += outputGradient[at + ch];
                    }
                }
            }
        }
    }

    public static void AverageForward(in PoolGeometry g, ReadOnlySpan<float> input, int count, Span<float> output)
    {
        int c = g.Channels;
        float scale = 1f / (g.Size * g.Size);
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> image = input.Slice(n * g.ImageSize, g.ImageSize);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int at = (n * g.OutImageSize) + (((oh * g.OutWidth) + ow) * c);
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    for (int ch = 0; ch < c; ch++)
                    {
                        float sum = 0f;
                        for (int kh = 0; kh < g.Size; kh++)
                        {
                            for (int kw = 0; kw < g.Size; kw++)
                            {
                                sum += image[((((h0 + kh) * g.Width) + w0 + kw) * c) + ch];
                            }
                        }

                        output[at + ch] = sum * scale;
                    }
                }
            }
        }
    }

    public static void AverageBackward(in PoolGeometry g, ReadOnlySpan<float> outputGradient, int count, Span<float> inputGradient)
    {
        int c = g.Channels;
        float scale = 1f / (g.Size * g.Size);
        inputGradient.Slice(0, count * g.ImageSize).Clear();
        for (int n = 0; n < count; n++)
        {
            Span<float> image = inputGradient.Slice(n * g.ImageSize, g.ImageSize);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int at = (n * g.OutImageSize) + (((oh * g.OutWidth) + ow) * c);
                    int h0 = oh * g.Stride, w0 = ow * g.Stride;
                    for (int ch = 0; ch < c; ch++)
                    {
                        float share = outputGradient[at + ch] * scale;
                        for (int kh = 0; kh < g.Size; kh++)
                        {
                            for (int kw = 0; kw < g.Size; kw++)
                            {
                                image[((((h0 + kh) * g.Width) + w0 + kw) * c) + ch] += share;
                            }
                        }
                    }
                }
            }
        }
    }
}
