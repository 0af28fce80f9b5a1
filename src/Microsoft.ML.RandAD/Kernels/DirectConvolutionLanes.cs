namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The loops of <see cref="DirectConvolution"/> over one zero-padded image: vector versions over whole vectors of filters
/// (written once over <see cref="IVectorWidth{TU, TF}"/>, returning how many filters they did) and scalar versions for the
/// other filters (all of them on the scalar path). In the padded image every window lies inside, and for a fixed kernel
/// row the taps (kw, c) are contiguous both in the patch and in the image row: a window row is one run of
/// <c>KernelWidth·C</c> floats. Pixels go four at a time along a row, which changes no element's sequence of operations.
/// </summary>
internal static unsafe class DirectConvolutionLanes
{
    /// <summary>
    /// Copies an image into the middle of a (H + 2p) × (W + 2p) × C buffer whose border the caller zeroed once
    /// (<see cref="ClearPadded"/>): only the middle is ever written, so the border stays zero image after image.
    /// </summary>
    public static void Pad(in ConvGeometry g, float* image, float* padded)
    {
        int c = g.Channels, paddedWidth = g.Width + (2 * g.Padding);
        for (int h = 0; h < g.Height; h++)
        {
            new Span<float>(image + (h * g.Width * c), g.Width * c).CopyTo(new Span<float>(padded + ((((h + g.Padding) * paddedWidth) + g.Padding) * c), g.Width * c));
        }
    }

    /// <summary>Zeroes a padded-image buffer before its first <see cref="Pad"/> (nothing to do without padding).</summary>
    public static void ClearPadded(in ConvGeometry g, float* padded)
    {
        if (g.Padding > 0)
        {
            new Span<float>(padded, PaddedSize(g)).Clear();
        }
    }

    /// <summary>Floats in a padded image.</summary>
    public static int PaddedSize(in ConvGeometry g) => (g.Height + (2 * g.Padding)) * (g.Width + (2 * g.Padding)) * g.Channels;

    /// <summary>Every output pixel of one padded image, filters [0, returned) by vectors.</summary>
    public static int Forward<TW, TU, TF>(in ConvGeometry g, int filters, float* padded, float* transposedWeight, float* bias, float* output)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int vectorFilters = filters - (filters % TW.Count);
        int c = g.Channels, stride = g.Stride, kernelHeight = g.KernelHeight, outWidth = g.OutWidth;
        int rowFloats = (g.Width + (2 * g.Padding)) * c, run = g.KernelWidth * c, step = stride * c;
        TF zero = TW.BroadcastSingle(0f);
        for (int oh = 0; oh < g.OutHeight && vectorFilters > 0; oh++)
        {
            float* windowRow = padded + (oh * stride * rowFloats);
            float* y = output + (oh * outWidth * filters);
            int ow = 0;
            for (; ow + 4 <= outWidth; ow += 4)
            {
                for (int fv = 0; fv < vectorFilters; fv += TW.Count)
                {
                    TF a0 = zero, a1 = zero, a2 = zero, a3 = zero;
                    for (int kh = 0; kh < kernelHeight; kh++)
                    {
                        float* x = windowRow + (kh * rowFloats) + (ow * step);
                        float* w = transposedWeight + (kh * run * filters) + fv;
                        for (int t = 0; t < run; t++)
                        {
                            TF wv = TW.LoadSingle(w + (t * filters));
                            a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[t]), wv, a0);
                            a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[t + step]), wv, a1);
                            a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[t + (2 * step)]), wv, a2);
                            a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[t + (3 * step)]), wv, a3);
                        }
                    }

                    TF b = TW.LoadSingle(bias + fv);
                    float* pixel = y + (ow * filters) + fv;
                    TW.StoreSingle(TW.AddSingle(a0, b), pixel);
                    TW.StoreSingle(TW.AddSingle(a1, b), pixel + filters);
                    TW.StoreSingle(TW.AddSingle(a2, b), pixel + (2 * filters));
                    TW.StoreSingle(TW.AddSingle(a3, b), pixel + (3 * filters));
                }
            }

            for (; ow < outWidth; ow++)
            {
                for (int fv = 0; fv < vectorFilters; fv += TW.Count)
                {
                    TF a = zero;
                    for (int kh = 0; kh < kernelHeight; kh++)
                    {
                        float* x = windowRow + (kh * rowFloats) + (ow * step);
                        float* w = transposedWeight + (kh * run * filters) + fv;
                        for (int t = 0; t < run; t++)
                        {
                            a = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[t]), TW.LoadSingle(w + (t * filters)), a);
                        }
                    }

                    TW.StoreSingle(TW.AddSingle(a, TW.LoadSingle(bias + fv)), y + (ow * filters) + fv);
                }
            }
        }

        return vectorFilters;
    }

    /// <summary>Every output pixel of one padded image, filters [<paramref name="firstFilter"/>, filters).</summary>
    public static void ForwardScalar(in ConvGeometry g, int filters, int firstFilter, float* padded, float* transposedWeight, float* bias, float* output)
    {
        int c = g.Channels, rowFloats = (g.Width + (2 * g.Padding)) * c, run = g.KernelWidth * c, step = g.Stride * c;
        for (int oh = 0; oh < g.OutHeight && firstFilter < filters; oh++)
        {
            for (int ow = 0; ow < g.OutWidth; ow++)
            {
                for (int f = firstFilter; f < filters; f++)
                {
                    float a = 0f;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        float* x = padded + (((oh * g.Stride) + kh) * rowFloats) + (ow * step);
                        float* w = transposedWeight + (kh * run * filters) + f;
                        for (int t = 0; t < run; t++)
                        {
                            a = MathF.FusedMultiplyAdd(x[t], w[t * filters], a);
                        }
                    }

                    output[(((oh * g.OutWidth) + ow) * filters) + f] = a + bias[f];
                }
            }
        }
    }

    /// <summary>
    /// Adds <c>dY[pixel, f]·x[pixel + tap]</c> over every pixel of one padded image, in pixel order, into <paramref name="sums"/>
    /// (taps [firstTap, firstTap + taps) × filters); filters [0, returned) by vectors.
    /// </summary>
    public static int WeightGradient<TW, TU, TF>(in ConvGeometry g, int filters, float* padded, float* outputGradient, int firstTap, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int vectorFilters = filters - (filters % TW.Count);
        int c = g.Channels, outWidth = g.OutWidth, rowFloats = (g.Width + (2 * g.Padding)) * c, step = g.Stride * c;
        Span<int> offsets = stackalloc int[taps];
        TapOffsets(g, firstTap, offsets);
        for (int oh = 0; oh < g.OutHeight && vectorFilters > 0; oh++)
        {
            float* windowRow = padded + (oh * g.Stride * rowFloats);
            float* dyRow = outputGradient + (oh * outWidth * filters);
            int ow = 0;
            for (; ow + 4 <= outWidth; ow += 4)
            {
                float* origin = windowRow + (ow * step);
                for (int fv = 0; fv < vectorFilters; fv += TW.Count)
                {
                    float* dy = dyRow + (ow * filters) + fv;
                    TF d0 = TW.LoadSingle(dy), d1 = TW.LoadSingle(dy + filters), d2 = TW.LoadSingle(dy + (2 * filters)), d3 = TW.LoadSingle(dy + (3 * filters));
                    for (int t = 0; t < taps; t++)
                    {
                        float* x = origin + offsets[t];
                        float* sum = sums + (t * filters) + fv;
                        TF a = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[0]), d0, TW.LoadSingle(sum));
                        a = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[step]), d1, a);
                        a = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[2 * step]), d2, a);
                        TW.StoreSingle(TW.FusedMultiplyAdd(TW.BroadcastSingle(x[3 * step]), d3, a), sum);
                    }
                }
            }

            for (; ow < outWidth; ow++)
            {
                float* origin = windowRow + (ow * step);
                for (int fv = 0; fv < vectorFilters; fv += TW.Count)
                {
                    TF d = TW.LoadSingle(dyRow + (ow * filters) + fv);
                    for (int t = 0; t < taps; t++)
                    {
                        float* sum = sums + (t * filters) + fv;
                        TW.StoreSingle(TW.FusedMultiplyAdd(TW.BroadcastSingle(origin[offsets[t]]), d, TW.LoadSingle(sum)), sum);
                    }
                }
            }
        }

        return vectorFilters;
    }

    /// <summary>The scalar weight gradient for filters [<paramref name="firstFilter"/>, filters), same order as the vector one.</summary>
    public static void WeightGradientScalar(in ConvGeometry g, int filters, int firstFilter, float* padded, float* outputGradient, int firstTap, int taps, float* sums)
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, step = g.Stride * g.Channels;
        Span<int> offsets = stackalloc int[taps];
        TapOffsets(g, firstTap, offsets);
        for (int oh = 0; oh < g.OutHeight && firstFilter < filters; oh++)
        {
            for (int ow = 0; ow < g.OutWidth; ow++)
            {
                float* origin = padded + (oh * g.Stride * rowFloats) + (ow * step);
                float* dy = outputGradient + (((oh * g.OutWidth) + ow) * filters);
                for (int t = 0; t < taps; t++)
                {
                    float x = origin[offsets[t]];
                    for (int f = firstFilter; f < filters; f++)
                    {
                        sums[(t * filters) + f] = MathF.FusedMultiplyAdd(x, dy[f], sums[(t * filters) + f]);
                    }
                }
            }
        }
    }

    /// <summary>Per tap of a range, its offset from the window's corner in the padded image.</summary>
    private static void TapOffsets(in ConvGeometry g, int firstTap, Span<int> offsets)
    {
        int run = g.KernelWidth * g.Channels, rowFloats = (g.Width + (2 * g.Padding)) * g.Channels;
        for (int t = 0; t < offsets.Length; t++)
        {
            int kh = (firstTap + t) / run;
            offsets[t] = (kh * rowFloats) + (firstTap + t - (kh * run));
        }
    }
}
