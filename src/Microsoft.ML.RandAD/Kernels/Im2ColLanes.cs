using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The loops of <see cref="Im2Col"/> on validated pointers. A patch row (kh, kw, c) of the column matrix is KernelHeight
/// segments of KernelWidth·Channels floats, and each segment's in-bounds part is one contiguous run of the NHWC image
/// (consecutive kw are consecutive pixels whatever the stride), so a segment is at most: zeros, one run copy, zeros.
/// </summary>
internal static unsafe class Im2ColLanes
{
    /// <summary>Packs image lines [firstLine, firstLine + lines), a line being one (image n, output row oh) pair of the batch at <paramref name="images"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Pack<TW, TU, TF>(in ConvGeometry g, float* images, float* columns, int firstLine, int lines)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int c = g.Channels, outHeight = g.OutHeight, outWidth = g.OutWidth, segment = g.KernelWidth * c, rowStride = g.Width * c;
        bool oneVector = segment <= TW.Count;
        TF segmentMask = TW.TailMask(Math.Min(segment, TW.Count));
        float* dst = columns + (long)firstLine * outWidth * g.PatchSize;
        for (int line = firstLine; line < firstLine + lines; line++)
        {
            int n = line / outHeight, oh = line % outHeight;
            int ih0 = oh * g.Stride - g.Padding;
            int khLo = Math.Clamp(-ih0, 0, g.KernelHeight), khHi = Math.Clamp(g.Height - ih0, khLo, g.KernelHeight);
            float* image = images + (long)n * g.ImageSize;
            for (int ow = 0; ow < outWidth; ow++, dst += g.PatchSize)
            {
                int iw0 = ow * g.Stride - g.Padding;
                int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KernelWidth, g.Width - iw0);

                // Kernel rows above and below the image are contiguous runs of zeros in the patch row.
                VectorRuns.Clear<TW, TU, TF>(dst, khLo * segment);
                VectorRuns.Clear<TW, TU, TF>(dst + khHi * segment, (g.KernelHeight - khHi) * segment);
                float* src = image + ((long)(ih0 + khLo) * g.Width + iw0) * c;
                if (kwLo == 0 && kwHi == g.KernelWidth)
                {
                    // Interior column: every kernel row is one whole segment copy; a segment that fits one vector
                    // (small channel counts) is a single masked load and store with the mask computed once.
                    if (oneVector)
                    {
                        for (int kh = khLo; kh < khHi; kh++, src += rowStride)
                        {
                            TW.StoreSingleMasked(TW.LoadSingleMasked(src, segmentMask), dst + kh * segment, segmentMask);
                        }
                    }
                    else
                    {
                        for (int kh = khLo; kh < khHi; kh++, src += rowStride)
                        {
                            VectorRuns.Copy<TW, TU, TF>(src, dst + kh * segment, segment);
                        }
                    }

                    continue;
                }

                for (int kh = khLo; kh < khHi; kh++, src += rowStride)
                {
                    float* seg = dst + kh * segment;
                    if (kwHi <= kwLo)
                    {
                        VectorRuns.Clear<TW, TU, TF>(seg, segment);
                        continue;
                    }

                    VectorRuns.Clear<TW, TU, TF>(seg, kwLo * c);
                    VectorRuns.Copy<TW, TU, TF>(src + kwLo * c, seg + kwLo * c, (kwHi - kwLo) * c);
                    VectorRuns.Clear<TW, TU, TF>(seg + kwHi * c, (g.KernelWidth - kwHi) * c);
                }
            }
        }
    }

    /// <summary>Adds the column rows of images [firstImage, firstImage + count) into those images, rows in ascending order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void UnpackAdd<TW, TU, TF>(in ConvGeometry g, float* columns, float* images, int firstImage, int count)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int c = g.Channels, segment = g.KernelWidth * c, rowStride = g.Width * c;
        bool oneVector = segment <= TW.Count;
        TF segmentMask = TW.TailMask(Math.Min(segment, TW.Count));
        float* src = columns + (long)firstImage * g.OutPositions * g.PatchSize;
        for (int n = firstImage; n < firstImage + count; n++)
        {
            float* image = images + (long)n * g.ImageSize;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int ih0 = oh * g.Stride - g.Padding;
                int khLo = Math.Clamp(-ih0, 0, g.KernelHeight), khHi = Math.Clamp(g.Height - ih0, khLo, g.KernelHeight);
                for (int ow = 0; ow < g.OutWidth; ow++, src += g.PatchSize)
                {
                    int iw0 = ow * g.Stride - g.Padding;
                    int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KernelWidth, g.Width - iw0);
                    if (kwHi <= kwLo)
                    {
                        continue;
                    }

                    float* pixel = image + ((long)(ih0 + khLo) * g.Width + iw0 + kwLo) * c;
                    float* seg = src + khLo * segment + kwLo * c;
                    if (oneVector && kwLo == 0 && kwHi == g.KernelWidth)
                    {
                        for (int kh = khLo; kh < khHi; kh++, pixel += rowStride, seg += segment)
                        {
                            TF sum = TW.AddSingle(TW.LoadSingleMasked(pixel, segmentMask), TW.LoadSingleMasked(seg, segmentMask));
                            TW.StoreSingleMasked(sum, pixel, segmentMask);
                        }

                        continue;
                    }

                    for (int kh = khLo; kh < khHi; kh++, pixel += rowStride, seg += segment)
                    {
                        VectorRuns.Add<TW, TU, TF>(seg, pixel, (kwHi - kwLo) * c);
                    }
                }
            }
        }
    }

    /// <summary>The scalar pack (reference path): one channel slice per (kh, kw), exactly the definition.</summary>
    public static void Pack(in ConvGeometry g, float* images, float* columns, int firstLine, int lines)
    {
        float* dst = columns + (long)firstLine * g.OutWidth * g.PatchSize;
        for (int line = firstLine; line < firstLine + lines; line++)
        {
            int n = line / g.OutHeight, oh = line % g.OutHeight;
            float* image = images + (long)n * g.ImageSize;
            for (int ow = 0; ow < g.OutWidth; ow++, dst += g.PatchSize)
            {
                int at = 0;
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    int ih = oh * g.Stride - g.Padding + kh;
                    for (int kw = 0; kw < g.KernelWidth; kw++, at += g.Channels)
                    {
                        int iw = ow * g.Stride - g.Padding + kw;
                        bool inside = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width;
                        float* pixel = image + ((long)ih * g.Width + iw) * g.Channels;
                        for (int ch = 0; ch < g.Channels; ch++)
                        {
                            dst[at + ch] = inside ? pixel[ch] : 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>The scalar col2im accumulation (reference path).</summary>
    public static void UnpackAdd(in ConvGeometry g, float* columns, float* images, int firstImage, int count)
    {
        float* src = columns + (long)firstImage * g.OutPositions * g.PatchSize;
        for (int n = firstImage; n < firstImage + count; n++)
        {
            float* image = images + (long)n * g.ImageSize;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++, src += g.PatchSize)
                {
                    int at = 0;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int ih = oh * g.Stride - g.Padding + kh;
                        for (int kw = 0; kw < g.KernelWidth; kw++, at += g.Channels)
                        {
                            int iw = ow * g.Stride - g.Padding + kw;
                            if (ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width)
                            {
                                float* pixel = image + ((long)ih * g.Width + iw) * g.Channels;
                                for (int ch = 0; ch < g.Channels; ch++)
                                {
                                    pixel[ch] += src[at + ch];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
