using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The weight gradient's register-blocked kernels: twelve, eight, six and four taps at a time.
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>
    /// Twelve taps' sums for filters [0, <paramref name="pairFilters"/>), two vectors at a time (24 sums in registers), for taps
    /// whose inputs lie side by side: tap i of a pixel reads <c>window[pixel + i]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps12Pair<TW, TU, TF>(in ConvGeometry g, int filters, int pairFilters, float* window, float* outputGradient, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
        {
            float* s = sums + fv;
            TF a0 = TW.LoadSingle(s + (0 * filters)), c0 = TW.LoadSingle(s + (0 * filters) + TW.Count);
            TF a1 = TW.LoadSingle(s + (1 * filters)), c1 = TW.LoadSingle(s + (1 * filters) + TW.Count);
            TF a2 = TW.LoadSingle(s + (2 * filters)), c2 = TW.LoadSingle(s + (2 * filters) + TW.Count);
            TF a3 = TW.LoadSingle(s + (3 * filters)), c3 = TW.LoadSingle(s + (3 * filters) + TW.Count);
            TF a4 = TW.LoadSingle(s + (4 * filters)), c4 = TW.LoadSingle(s + (4 * filters) + TW.Count);
            TF a5 = TW.LoadSingle(s + (5 * filters)), c5 = TW.LoadSingle(s + (5 * filters) + TW.Count);
            TF a6 = TW.LoadSingle(s + (6 * filters)), c6 = TW.LoadSingle(s + (6 * filters) + TW.Count);
            TF a7 = TW.LoadSingle(s + (7 * filters)), c7 = TW.LoadSingle(s + (7 * filters) + TW.Count);
            TF a8 = TW.LoadSingle(s + (8 * filters)), c8 = TW.LoadSingle(s + (8 * filters) + TW.Count);
            TF a9 = TW.LoadSingle(s + (9 * filters)), c9 = TW.LoadSingle(s + (9 * filters) + TW.Count);
            TF a10 = TW.LoadSingle(s + (10 * filters)), c10 = TW.LoadSingle(s + (10 * filters) + TW.Count);
            TF a11 = TW.LoadSingle(s + (11 * filters)), c11 = TW.LoadSingle(s + (11 * filters) + TW.Count);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = window + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF da = TW.LoadSingle(dy), dc = TW.LoadSingle(dy + TW.Count);
                    TF v;
                    v = TW.BroadcastSingle(x[0]);
                    a0 = TW.FusedMultiplyAdd(v, da, a0);
                    c0 = TW.FusedMultiplyAdd(v, dc, c0);
                    v = TW.BroadcastSingle(x[1]);
                    a1 = TW.FusedMultiplyAdd(v, da, a1);
                    c1 = TW.FusedMultiplyAdd(v, dc, c1);
                    v = TW.BroadcastSingle(x[2]);
                    a2 = TW.FusedMultiplyAdd(v, da, a2);
                    c2 = TW.FusedMultiplyAdd(v, dc, c2);
                    v = TW.BroadcastSingle(x[3]);
                    a3 = TW.FusedMultiplyAdd(v, da, a3);
                    c3 = TW.FusedMultiplyAdd(v, dc, c3);
                    v = TW.BroadcastSingle(x[4]);
                    a4 = TW.FusedMultiplyAdd(v, da, a4);
                    c4 = TW.FusedMultiplyAdd(v, dc, c4);
                    v = TW.BroadcastSingle(x[5]);
                    a5 = TW.FusedMultiplyAdd(v, da, a5);
                    c5 = TW.FusedMultiplyAdd(v, dc, c5);
                    v = TW.BroadcastSingle(x[6]);
                    a6 = TW.FusedMultiplyAdd(v, da, a6);
                    c6 = TW.FusedMultiplyAdd(v, dc, c6);
                    v = TW.BroadcastSingle(x[7]);
                    a7 = TW.FusedMultiplyAdd(v, da, a7);
                    c7 = TW.FusedMultiplyAdd(v, dc, c7);
                    v = TW.BroadcastSingle(x[8]);
                    a8 = TW.FusedMultiplyAdd(v, da, a8);
                    c8 = TW.FusedMultiplyAdd(v, dc, c8);
                    v = TW.BroadcastSingle(x[9]);
                    a9 = TW.FusedMultiplyAdd(v, da, a9);
                    c9 = TW.FusedMultiplyAdd(v, dc, c9);
                    v = TW.BroadcastSingle(x[10]);
                    a10 = TW.FusedMultiplyAdd(v, da, a10);
                    c10 = TW.FusedMultiplyAdd(v, dc, c10);
                    v = TW.BroadcastSingle(x[11]);
                    a11 = TW.FusedMultiplyAdd(v, da, a11);
                    c11 = TW.FusedMultiplyAdd(v, dc, c11);
                }
            }

            TW.StoreSingle(a0, s + (0 * filters));
            TW.StoreSingle(c0, s + (0 * filters) + TW.Count);
            TW.StoreSingle(a1, s + (1 * filters));
            TW.StoreSingle(c1, s + (1 * filters) + TW.Count);
            TW.StoreSingle(a2, s + (2 * filters));
            TW.StoreSingle(c2, s + (2 * filters) + TW.Count);
            TW.StoreSingle(a3, s + (3 * filters));
            TW.StoreSingle(c3, s + (3 * filters) + TW.Count);
            TW.StoreSingle(a4, s + (4 * filters));
            TW.StoreSingle(c4, s + (4 * filters) + TW.Count);
            TW.StoreSingle(a5, s + (5 * filters));
            TW.StoreSingle(c5, s + (5 * filters) + TW.Count);
            TW.StoreSingle(a6, s + (6 * filters));
            TW.StoreSingle(c6, s + (6 * filters) + TW.Count);
            TW.StoreSingle(a7, s + (7 * filters));
            TW.StoreSingle(c7, s + (7 * filters) + TW.Count);
            TW.StoreSingle(a8, s + (8 * filters));
            TW.StoreSingle(c8, s + (8 * filters) + TW.Count);
            TW.StoreSingle(a9, s + (9 * filters));
            TW.StoreSingle(c9, s + (9 * filters) + TW.Count);
            TW.StoreSingle(a10, s + (10 * filters));
            TW.StoreSingle(c10, s + (10 * filters) + TW.Count);
            TW.StoreSingle(a11, s + (11 * filters));
            TW.StoreSingle(c11, s + (11 * filters) + TW.Count);
        }
    }

    /// <summary>Eight taps' sums for filters [0, <paramref name="pairFilters"/>), two vectors at a time (sixteen sums in registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps8Pair<TW, TU, TF>(in ConvGeometry g, int filters, int pairFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7];
        for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
        {
            float* s = sums + fv;
            float* t = s + TW.Count;
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
            TF a4 = LoadTap<TW, TU, TF>(s, 4, taps, filters);
            TF a5 = LoadTap<TW, TU, TF>(s, 5, taps, filters);
            TF a6 = LoadTap<TW, TU, TF>(s, 6, taps, filters);
            TF a7 = LoadTap<TW, TU, TF>(s, 7, taps, filters);
            TF c0 = LoadTap<TW, TU, TF>(t, 0, taps, filters);
            TF c1 = LoadTap<TW, TU, TF>(t, 1, taps, filters);
            TF c2 = LoadTap<TW, TU, TF>(t, 2, taps, filters);
            TF c3 = LoadTap<TW, TU, TF>(t, 3, taps, filters);
            TF c4 = LoadTap<TW, TU, TF>(t, 4, taps, filters);
            TF c5 = LoadTap<TW, TU, TF>(t, 5, taps, filters);
            TF c6 = LoadTap<TW, TU, TF>(t, 6, taps, filters);
            TF c7 = LoadTap<TW, TU, TF>(t, 7, taps, filters);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF da = TW.LoadSingle(dy), dc = TW.LoadSingle(dy + TW.Count);
                    TF v = TW.BroadcastSingle(x[o0]);
                    a0 = TW.FusedMultiplyAdd(v, da, a0);
                    c0 = TW.FusedMultiplyAdd(v, dc, c0);
                    v = TW.BroadcastSingle(x[o1]);
                    a1 = TW.FusedMultiplyAdd(v, da, a1);
                    c1 = TW.FusedMultiplyAdd(v, dc, c1);
                    v = TW.BroadcastSingle(x[o2]);
                    a2 = TW.FusedMultiplyAdd(v, da, a2);
                    c2 = TW.FusedMultiplyAdd(v, dc, c2);
                    v = TW.BroadcastSingle(x[o3]);
                    a3 = TW.FusedMultiplyAdd(v, da, a3);
                    c3 = TW.FusedMultiplyAdd(v, dc, c3);
                    v = TW.BroadcastSingle(x[o4]);
                    a4 = TW.FusedMultiplyAdd(v, da, a4);
                    c4 = TW.FusedMultiplyAdd(v, dc, c4);
                    v = TW.BroadcastSingle(x[o5]);
                    a5 = TW.FusedMultiplyAdd(v, da, a5);
                    c5 = TW.FusedMultiplyAdd(v, dc, c5);
                    v = TW.BroadcastSingle(x[o6]);
                    a6 = TW.FusedMultiplyAdd(v, da, a6);
                    c6 = TW.FusedMultiplyAdd(v, dc, c6);
                    v = TW.BroadcastSingle(x[o7]);
                    a7 = TW.FusedMultiplyAdd(v, da, a7);
                    c7 = TW.FusedMultiplyAdd(v, dc, c7);
                }
            }

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
            StoreTap<TW, TU, TF>(a4, s, 4, taps, filters);
            StoreTap<TW, TU, TF>(a5, s, 5, taps, filters);
            StoreTap<TW, TU, TF>(a6, s, 6, taps, filters);
            StoreTap<TW, TU, TF>(a7, s, 7, taps, filters);
            StoreTap<TW, TU, TF>(c0, t, 0, taps, filters);
            StoreTap<TW, TU, TF>(c1, t, 1, taps, filters);
            StoreTap<TW, TU, TF>(c2, t, 2, taps, filters);
            StoreTap<TW, TU, TF>(c3, t, 3, taps, filters);
            StoreTap<TW, TU, TF>(c4, t, 4, taps, filters);
            StoreTap<TW, TU, TF>(c5, t, 5, taps, filters);
            StoreTap<TW, TU, TF>(c6, t, 6, taps, filters);
            StoreTap<TW, TU, TF>(c7, t, 7, taps, filters);
        }
    }

    /// <summary>
    /// <see cref="WeightGradientTaps8Pair{TW, TU, TF}"/> on six taps: the 256-bit path's pair kernel, 12 sums in AVX2's 16
    /// registers, so each broadcast input feeds two FMAs; the same sums in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps6Pair<TW, TU, TF, TLayout>(in ConvGeometry g, int filters, int pairFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
        where TLayout : struct, ITapLayout
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;

        // Windows relative to the first tap's, so the pixel loop holds five offsets, not six (AVX2 has 16 general registers);
        // none when the six taps lie side by side in one kernel row's run (constants, folded into the loads' addresses).
        bool side = TLayout.SideBySide;
        nint o0 = offsets[0], o1 = side ? 1 : offsets[1] - o0, o2 = side ? 2 : offsets[2] - o0, o3 = side ? 3 : offsets[3] - o0;
        nint o4 = side ? 4 : offsets[4] - o0, o5 = side ? 5 : offsets[5] - o0;
        for (int fv = 0; fv < pairFilters; fv += 2 * TW.Count)
        {
            float* s = sums + fv;
            float* t = s + TW.Count;
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
            TF a4 = LoadTap<TW, TU, TF>(s, 4, taps, filters);
            TF a5 = LoadTap<TW, TU, TF>(s, 5, taps, filters);
            TF c0 = LoadTap<TW, TU, TF>(t, 0, taps, filters);
            TF c1 = LoadTap<TW, TU, TF>(t, 1, taps, filters);
            TF c2 = LoadTap<TW, TU, TF>(t, 2, taps, filters);
            TF c3 = LoadTap<TW, TU, TF>(t, 3, taps, filters);
            TF c4 = LoadTap<TW, TU, TF>(t, 4, taps, filters);
            TF c5 = LoadTap<TW, TU, TF>(t, 5, taps, filters);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* x = padded + o0 + (oh * g.Stride * rowFloats);
                float* dy = outputGradient + (oh * outWidth * filters) + fv;
                for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)
                {
                    TF da = TW.LoadSingle(dy), dc = TW.LoadSingle(dy + TW.Count);
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, da, a0);
                    c0 = TW.FusedMultiplyAdd(v, dc, c0);
                    v = TW.BroadcastSingle(x[o1]);
                    a1 = TW.FusedMultiplyAdd(v, da, a1);
                    c1 = TW.FusedMultiplyAdd(v, dc, c1);
                    v = TW.BroadcastSingle(x[o2]);
                    a2 = TW.FusedMultiplyAdd(v, da, a2);
                    c2 = TW.FusedMultiplyAdd(v, dc, c2);
                    v = TW.BroadcastSingle(x[o3]);
                    a3 = TW.FusedMultiplyAdd(v, da, a3);
                    c3 = TW.FusedMultiplyAdd(v, dc, c3);
                    v = TW.BroadcastSingle(x[o4]);
                    a4 = TW.FusedMultiplyAdd(v, da, a4);
                    c4 = TW.FusedMultiplyAdd(v, dc, c4);
                    v = TW.BroadcastSingle(x[o5]);
                    a5 = TW.FusedMultiplyAdd(v, da, a5);
                    c5 = TW.FusedMultiplyAdd(v, dc, c5);
                }
            }

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
            StoreTap<TW, TU, TF>(a4, s, 4, taps, filters);
            StoreTap<TW, TU, TF>(a5, s, 5, taps, filters);
            StoreTap<TW, TU, TF>(c0, t, 0, taps, filters);
            StoreTap<TW, TU, TF>(c1, t, 1, taps, filters);
            StoreTap<TW, TU, TF>(c2, t, 2, taps, filters);
            StoreTap<TW, TU, TF>(c3, t, 3, taps, filters);
            StoreTap<TW, TU, TF>(c4, t, 4, taps, filters);
            StoreTap<TW, TU, TF>(c5, t, 5, taps, filters);
        }
    }

    /// <summary>How a block's taps lie in the padded image: side by side (offsets 0–5 from the first), or anywhere (listed).</summary>
    private interface ITapLayout
    {
        static abstract bool SideBySide { get; }
    }

    private readonly struct SideBySideTaps : ITapLayout
    {
        public static bool SideBySide
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => true;
        }
    }

    private readonly struct ListedTaps : ITapLayout
    {
        public static bool SideBySide
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTaps8<TW, TU, TF>(in ConvGeometry g, int filters, int firstFilter, int vectorFilters, float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps, float* sums)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;
        nint step = g.Stride * g.Channels, dyStep = filters;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7];
        for (int fv = firstFilter; fv < vectorFilters; fv += TW.Count)
        {
            float* s = sums + fv;
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
            TF a4 = LoadTap<TW, TU, TF>(s, 4, taps, filters);
            TF a5 = LoadTap<TW, TU, TF>(s, 5, taps, filters);
            TF a6 = LoadTap<TW, TU, TF>(s, 6, taps, filters);
            TF a7 = LoadTap<TW, TU, TF>(s, 7, taps, filters);
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

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
            StoreTap<TW, TU, TF>(a4, s, 4, taps, filters);
            StoreTap<TW, TU, TF>(a5, s, 5, taps, filters);
            StoreTap<TW, TU, TF>(a6, s, 6, taps, filters);
            StoreTap<TW, TU, TF>(a7, s, 7, taps, filters);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            TF a0 = LoadTap<TW, TU, TF>(s, 0, taps, filters);
            TF a1 = LoadTap<TW, TU, TF>(s, 1, taps, filters);
            TF a2 = LoadTap<TW, TU, TF>(s, 2, taps, filters);
            TF a3 = LoadTap<TW, TU, TF>(s, 3, taps, filters);
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

            StoreTap<TW, TU, TF>(a0, s, 0, taps, filters);
            StoreTap<TW, TU, TF>(a1, s, 1, taps, filters);
            StoreTap<TW, TU, TF>(a2, s, 2, taps, filters);
            StoreTap<TW, TU, TF>(a3, s, 3, taps, filters);
        }
    }

    /// <summary>Tap <paramref name="tap"/>'s sums at the start of an image: stored ones, or zero for a padded tap of a last block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF LoadTap<TW, TU, TF>(float* sums, int tap, int taps, int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
        => tap < taps ? TW.LoadSingle(sums + (tap * filters)) : TW.BroadcastSingle(0f);

    /// <summary>Stores tap <paramref name="tap"/>'s sums; a padded tap's are dropped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTap<TW, TU, TF>(TF sum, float* sums, int tap, int taps, int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        if (tap < taps)
        {
            TW.StoreSingle(sum, sums + (tap * filters));
        }
    }
}
