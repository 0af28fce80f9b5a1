using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The loops of <see cref="Pooling"/> for one channels-last image: vector versions over a pixel's first channels (written
/// once over <see cref="IVectorWidth{TU, TF}"/>) and the scalar versions, which do the rest (and everything on the scalar
/// path). Both perform the same IEEE operations per element in the same order.
/// </summary>
/// <remarks>
/// Backward passes: when windows are disjoint every input element receives at most one value, so each window position is
/// written once as <c>0 + value</c> (the winner's gradient, else 0), which is exactly what adding into a cleared gradient
/// gives, signed zeros included; overlapping windows add into the cleared gradient in output order. The caller clears
/// the image gradient unless the windows tile it.
/// </remarks>
internal static unsafe class PoolingLanes
{
    /// <summary>Max pooling of channels [0, <paramref name="channels"/>); <paramref name="winners"/> may be null; each maximum stored as max(·, 0) with <paramref name="relu"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void MaxForward<TW, TU, TF>(in PoolGeometry g, int channels, float* image, float* pooled, byte* winners, bool relu)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        if (g.Size == 2 && g.Stride == 2)
        {
            MaxForward2x2<TW, TU, TF>(g, channels, image, pooled, winners, relu);
            return;
        }

        int c = g.Channels, size = g.Size;
        TF zero = TW.BroadcastSingle(0f);
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = image + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = 0; ch < channels; ch += TW.Count)
                {
                    TF best = TW.LoadSingle(origin + ch);
                    TU won = TW.Broadcast(0);
                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = kh == 0 ? 1 : 0; kw < size; kw++)
                        {
                            TF candidate = TW.LoadSingle(origin + (((kh * g.Width) + kw) * c) + ch);
                            TU greater = TW.LessThanSingle(best, candidate); // false on NaN: the first maximum stays
                            best = TW.Select(greater, candidate, best);
                            won = TW.AsUInt32(TW.Select(greater, TW.AsSingle(TW.Broadcast((uint)((kh * size) + kw))), TW.AsSingle(won)));
                        }
                    }

                    TW.StoreSingle(relu ? TW.MaxSingle(best, zero) : best, pooled + at + ch);
                    if (winners != null)
                    {
                        TW.StoreLowBytes(won, winners + at + ch);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxForward{TW, TU, TF}"/> for 2×2 windows with stride 2 (the usual pooling), unrolled: the same
    /// comparisons in the same order (top right, bottom left, bottom right against the running maximum).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxForward2x2<TW, TU, TF>(in PoolGeometry g, int channels, float* image, float* pooled, byte* winners, bool relu)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        nint c = g.Channels, below = g.Width * c;
        TF zero = TW.BroadcastSingle(0f);
        TF one = TW.AsSingle(TW.Broadcast(1u)), two = TW.AsSingle(TW.Broadcast(2u)), three = TW.AsSingle(TW.Broadcast(3u));
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            float* top = image + (2 * oh * below);
            nint at = (nint)oh * outWidth * c;
            for (int ow = 0; ow < outWidth; ow++, top += 2 * c, at += c)
            {
                for (int ch = 0; ch < channels; ch += TW.Count)
                {
                    float* p = top + ch;
                    TF best = TW.LoadSingle(p);
                    TF candidate = TW.LoadSingle(p + c);
                    TU greater = TW.LessThanSingle(best, candidate); // false on NaN: the first maximum stays
                    best = TW.Select(greater, candidate, best);
                    TF won = TW.Select(greater, one, zero);
                    candidate = TW.LoadSingle(p + below);
                    greater = TW.LessThanSingle(best, candidate);
                    best = TW.Select(greater, candidate, best);
                    won = TW.Select(greater, two, won);
                    candidate = TW.LoadSingle(p + below + c);
                    greater = TW.LessThanSingle(best, candidate);
                    best = TW.Select(greater, candidate, best);
                    won = TW.Select(greater, three, won);
                    TW.StoreSingle(relu ? TW.MaxSingle(best, zero) : best, pooled + at + ch);
                    if (winners != null)
                    {
                        TW.StoreLowBytes(TW.AsUInt32(won), winners + at + ch);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxBackward{TW, TU, TF}"/> for 2×2 windows with stride 2: each position written once as 0 + its share, the
    /// image's rows <paramref name="rowFloats"/> apart (its width × channels, or a padded image's wider rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void MaxBackward2x2<TW, TU, TF>(in PoolGeometry g, int channels, float* pooledGradient, byte* winners, float* imageGradient, nint rowFloats)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        nint c = g.Channels, below = rowFloats;
        TF zero = TW.BroadcastSingle(0f);
        TU one = TW.Broadcast(1u), two = TW.Broadcast(2u), three = TW.Broadcast(3u);
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            float* top = imageGradient + (2 * oh * below);
            nint at = (nint)oh * outWidth * c;
            for (int ow = 0; ow < outWidth; ow++, top += 2 * c, at += c)
            {
                for (int ch = 0; ch < channels; ch += TW.Count)
                {
                    float* p = top + ch;
                    TF gradient = TW.LoadSingle(pooledGradient + at + ch);
                    TU won = TW.LoadBytes(winners + at + ch);
                    TW.StoreSingle(TW.AddSingle(zero, TW.Select(TW.EqualsZero(won), gradient, zero)), p);
                    TW.StoreSingle(TW.AddSingle(zero, TW.Select(TW.EqualsZero(TW.Subtract(won, one)), gradient, zero)), p + c);
                    TW.StoreSingle(TW.AddSingle(zero, TW.Select(TW.EqualsZero(TW.Subtract(won, two)), gradient, zero)), p + below);
                    TW.StoreSingle(TW.AddSingle(zero, TW.Select(TW.EqualsZero(TW.Subtract(won, three)), gradient, zero)), p + below + c);
                }
            }
        }
    }

    /// <summary>Max pooling of channels [<paramref name="firstChannel"/>, C); each maximum stored as <c>MathF.Max(·, 0)</c> with <paramref name="relu"/>.</summary>
    public static void MaxForwardScalar(in PoolGeometry g, int firstChannel, float* image, float* pooled, byte* winners, bool relu)
    {
        int c = g.Channels, size = g.Size;
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = image + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = firstChannel; ch < c; ch++)
                {
                    float best = origin[ch];
                    int won = 0;
                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = kh == 0 ? 1 : 0; kw < size; kw++)
                        {
                            float candidate = origin[(((kh * g.Width) + kw) * c) + ch];
                            if (candidate > best)
                            {
                                best = candidate;
                                won = (kh * size) + kw;
                            }
                        }
                    }

                    pooled[at + ch] = relu ? MathF.Max(best, 0f) : best;
                    if (winners != null)
                    {
                        winners[at + ch] = (byte)won;
                    }
                }
            }
        }
    }

    /// <summary>Routes the gradients of channels [0, <paramref name="channels"/>) to the winning positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void MaxBackward<TW, TU, TF>(in PoolGeometry g, int channels, float* pooledGradient, byte* winners, float* imageGradient)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        if (g.Size == 2 && g.Stride == 2)
        {
            MaxBackward2x2<TW, TU, TF>(g, channels, pooledGradient, winners, imageGradient, (nint)g.Width * g.Channels);
            return;
        }

        int c = g.Channels, size = g.Size;
        bool disjoint = g.Disjoint;
        TF zero = TW.BroadcastSingle(0f);
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = imageGradient + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = 0; ch < channels; ch += TW.Count)
                {
                    TF gradient = TW.LoadSingle(pooledGradient + at + ch);
                    TU won = TW.LoadBytes(winners + at + ch);
                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = 0; kw < size; kw++)
                        {
                            TU hit = TW.EqualsZero(TW.Subtract(won, TW.Broadcast((uint)((kh * size) + kw))));
                            TF share = TW.Select(hit, gradient, zero);
                            float* target = origin + (((kh * g.Width) + kw) * c) + ch;
                            TW.StoreSingle(TW.AddSingle(disjoint ? zero : TW.LoadSingle(target), share), target);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxBackwardScalar"/> for 2×2 windows with stride 2 that tile the image, channels [<paramref name="firstChannel"/>,
    /// C), the image's rows <paramref name="rowFloats"/> apart: the values <see cref="MaxBackward2x2{TW, TU, TF}"/> writes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void MaxBackward2x2Scalar(in PoolGeometry g, int firstChannel, float* pooledGradient, byte* winners, float* imageGradient, nint rowFloats)
    {
        int c = g.Channels;
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = imageGradient + (2 * oh * rowFloats) + (2 * ow * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = firstChannel; ch < c; ch++)
                {
                    float gradient = pooledGradient[at + ch];
                    int won = winners[at + ch];
                    for (int k = 0; k < 4; k++)
                    {
                        origin[((k >> 1) * rowFloats) + ((k & 1) * c) + ch] = k == won ? 0f + gradient : 0f;
                    }
                }
            }
        }
    }

    /// <summary>Routes the gradients of channels [<paramref name="firstChannel"/>, C) to the winning positions.</summary>
    public static void MaxBackwardScalar(in PoolGeometry g, int firstChannel, float* pooledGradient, byte* winners, float* imageGradient)
    {
        int c = g.Channels, size = g.Size;
        bool disjoint = g.Disjoint;
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = imageGradient + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = firstChannel; ch < c; ch++)
                {
                    float gradient = pooledGradient[at + ch];
                    int won = winners[at + ch];
                    if (!disjoint)
                    {
                        int kh = won / size, kw = won - (kh * size);
                        origin[(((kh * g.Width) + kw) * c) + ch] += gradient;
                        continue;
                    }

                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = 0; kw < size; kw++)
                        {
                            origin[(((kh * g.Width) + kw) * c) + ch] = (kh * size) + kw == won ? 0f + gradient : 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Average pooling of channels [0, <paramref name="channels"/>): <c>(0 + x₀ + x₁ + …)·(1/size²)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void AverageForward<TW, TU, TF>(in PoolGeometry g, int channels, float* image, float* pooled)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int c = g.Channels, size = g.Size;
        TF scale = TW.BroadcastSingle(1f / (size * size));
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = image + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = 0; ch < channels; ch += TW.Count)
                {
                    TF sum = TW.BroadcastSingle(0f);
                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = 0; kw < size; kw++)
                        {
                            sum = TW.AddSingle(sum, TW.LoadSingle(origin + (((kh * g.Width) + kw) * c) + ch));
                        }
                    }

                    TW.StoreSingle(TW.MultiplySingle(sum, scale), pooled + at + ch);
                }
            }
        }
    }

    /// <summary>Average pooling of channels [<paramref name="firstChannel"/>, C).</summary>
    public static void AverageForwardScalar(in PoolGeometry g, int firstChannel, float* image, float* pooled)
    {
        int c = g.Channels, size = g.Size;
        float scale = 1f / (size * size);
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = image + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = firstChannel; ch < c; ch++)
                {
                    float sum = 0f;
                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = 0; kw < size; kw++)
                        {
                            sum += origin[(((kh * g.Width) + kw) * c) + ch];
                        }
                    }

                    pooled[at + ch] = sum * scale;
                }
            }
        }
    }

    /// <summary>Spreads the gradients of channels [0, <paramref name="channels"/>) over their windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void AverageBackward<TW, TU, TF>(in PoolGeometry g, int channels, float* pooledGradient, float* imageGradient)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int c = g.Channels, size = g.Size;
        bool disjoint = g.Disjoint;
        TF zero = TW.BroadcastSingle(0f), scale = TW.BroadcastSingle(1f / (size * size));
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = imageGradient + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = 0; ch < channels; ch += TW.Count)
                {
                    TF share = TW.MultiplySingle(TW.LoadSingle(pooledGradient + at + ch), scale);
                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = 0; kw < size; kw++)
                        {
                            float* target = origin + (((kh * g.Width) + kw) * c) + ch;
                            TW.StoreSingle(TW.AddSingle(disjoint ? zero : TW.LoadSingle(target), share), target);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Spreads the gradients of channels [<paramref name="firstChannel"/>, C) over their windows.</summary>
    public static void AverageBackwardScalar(in PoolGeometry g, int firstChannel, float* pooledGradient, float* imageGradient)
    {
        int c = g.Channels, size = g.Size;
        bool disjoint = g.Disjoint;
        float scale = 1f / (size * size);
        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                float* origin = imageGradient + ((((oh * g.Width) + ow) * g.Stride) * c);
                int at = ((oh * outWidth) + ow) * c;
                for (int ch = firstChannel; ch < c; ch++)
                {
                    float share = pooledGradient[at + ch] * scale;
                    for (int kh = 0; kh < size; kh++)
                    {
                        for (int kw = 0; kw < size; kw++)
                        {
                            float* target = origin + (((kh * g.Width) + kw) * c) + ch;
                            *target = (disjoint ? 0f : *target) + share;
                        }
                    }
                }
            }
        }
    }
}
