namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The loops of <see cref="DirectConvolution"/> over one zero-padded image: vector versions over whole vectors of filters
/// (written once over <see cref="IVectorWidth{TU, TF}"/>, returning how many filters they did) and scalar versions for the
/// other filters (all of them on the scalar path). In the padded image every window lies inside, and for a fixed kernel
/// row the taps (kw, c) are contiguous both in the patch and in the image row: a window row is one run of
/// <c>KernelWidth·C</c> floats. The forward pass takes pixels eight (then four, then one) at a time along a row, the weight
/// gradient taps eight at a time over every pixel; neither changes any element's sequence of operations.
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
        nint s1 = step, s2 = 2 * s1, s3 = 3 * s1, s4 = 4 * s1, s5 = 5 * s1, s6 = 6 * s1, s7 = 7 * s1;
        for (int oh = 0; oh < g.OutHeight && vectorFilters > 0; oh++)
        {
            float* windowRow = padded + (oh * stride * rowFloats);
            float* y = output + (oh * outWidth * filters);
            int ow = 0;
            for (; ow + 8 <= outWidth; ow += 8)
            {
                for (int fv = 0; fv < vectorFilters; fv += TW.Count)
                {
                    TF a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
                    for (int kh = 0; kh < kernelHeight; kh++)
                    {
                        // Pointers and native-sized offsets, so each tap is a load and eight FMAs with no index arithmetic.
                        float* x = windowRow + (kh * rowFloats) + (ow * step);
                        float* w = transposedWeight + (kh * run * filters) + fv;
                        for (float* end = x + run; x < end; x++, w += filters)
                        {
                            TF wv = TW.LoadSingle(w);
                            a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                            a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                            a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                            a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                            a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s4]), wv, a4);
                            a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s5]), wv, a5);
                            a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s6]), wv, a6);
                            a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s7]), wv, a7);
                        }
                    }

                    TF b = TW.LoadSingle(bias + fv);
                    float* pixel = y + (ow * filters) + fv;
                    TW.StoreSingle(TW.AddSingle(a0, b), pixel);
                    TW.StoreSingle(TW.AddSingle(a1, b), pixel + filters);
                    TW.StoreSingle(TW.AddSingle(a2, b), pixel + (2 * filters));
                    TW.StoreSingle(TW.AddSingle(a3, b), pixel + (3 * filters));
                    TW.StoreSingle(TW.AddSingle(a4, b), pixel + (4 * filters));
                    TW.StoreSingle(TW.AddSingle(a5, b), pixel + (5 * filters));
                    TW.StoreSingle(TW.AddSingle(a6, b), pixel + (6 * filters));
                    TW.StoreSingle(TW.AddSingle(a7, b), pixel + (7 * filters));
                }
            }

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
    /// <remarks>
    /// Taps go eight at a time (a last block of one to four, four) with their sums in registers for the whole image: each pixel's output
    /// gradient is loaded once for all of them, and the eight sums are independent chains, so the loop runs at the FMA
    /// units' rate rather than one FMA's latency. Each sum still takes its pixels in order.
    /// </remarks>
    public static int WeightGradient<TW, TU, TF>(in ConvGeometry g, int filters, float* padded, float* outputGradient, int firstTap, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int vectorFilters = filters - (filters % TW.Count);
        if (vectorFilters == 0)
        {
            return 0;
        }

        // Room for a last block padded to its full size with copies of its first tap (computed, never stored).
        Span<int> offsets = stackalloc int[taps + 8];
        TapOffsets(g, firstTap, offsets.Slice(0, taps));
        for (int t = 0; t < taps; t += 8)
        {
            int block = Math.Min(8, taps - t);
            offsets.Slice(t + block, 8 - block).Fill(offsets[t]);
            if (block > 4)
            {
                WeightGradientTaps8<TW, TU, TF>(g, filters, vectorFilters, padded, outputGradient, offsets.Slice(t, 8), block, sums + (t * filters));
            }
            else
            {
                WeightGradientTaps4<TW, TU, TF>(g, filters, vectorFilters, padded, outputGradient, offsets.Slice(t, 4), block, sums + (t * filters));
            }
        }

        return vectorFilters;
    }

    private static void WeightGradientTaps8<TW, TU, TF>(in ConvGeometry g, int filters, int vectorFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7];
        for (int fv = 0; fv < vectorFilters; fv += TW.Count)
        {
            float* s = sums + fv;
            TF a0 = Load(s, 0), a1 = Load(s, 1), a2 = Load(s, 2), a3 = Load(s, 3), a4 = Load(s, 4), a5 = Load(s, 5), a6 = Load(s, 6), a7 = Load(s, 7);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF d = TW.LoadSingle(dy);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o0]), d, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o1]), d, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o2]), d, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o3]), d, a3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o4]), d, a4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o5]), d, a5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o6]), d, a6);
                    a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o7]), d, a7);
                }
            }

            Store(a0, s, 0);
            Store(a1, s, 1);
            Store(a2, s, 2);
            Store(a3, s, 3);
            Store(a4, s, 4);
            Store(a5, s, 5);
            Store(a6, s, 6);
            Store(a7, s, 7);
        }

        // A padded tap's sum starts from zero and is dropped.
        TF Load(float* s, int tap) => tap < taps ? TW.LoadSingle(s + (tap * filters)) : TW.BroadcastSingle(0f);

        void Store(TF sum, float* s, int tap)
        {
            if (tap < taps)
            {
                TW.StoreSingle(sum, s + (tap * filters));
            }
        }
    }

    private static void WeightGradientTaps4<TW, TU, TF>(in ConvGeometry g, int filters, int vectorFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        for (int fv = 0; fv < vectorFilters; fv += TW.Count)
        {
            float* s = sums + fv;
            TF a0 = Load(s, 0), a1 = Load(s, 1), a2 = Load(s, 2), a3 = Load(s, 3);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF d = TW.LoadSingle(dy);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o0]), d, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o1]), d, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o2]), d, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[o3]), d, a3);
                }
            }

            Store(a0, s, 0);
            Store(a1, s, 1);
            Store(a2, s, 2);
            Store(a3, s, 3);
        }

        TF Load(float* s, int tap) => tap < taps ? TW.LoadSingle(s + (tap * filters)) : TW.BroadcastSingle(0f);

        void Store(TF sum, float* s, int tap)
        {
            if (tap < taps)
            {
                TW.StoreSingle(sum, s + (tap * filters));
            }
        }
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
