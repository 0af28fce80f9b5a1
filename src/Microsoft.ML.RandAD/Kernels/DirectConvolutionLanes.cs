using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The loops of <see cref="DirectConvolution"/> over one zero-padded image: vector versions over whole vectors of filters
/// (written once over <see cref="IVectorWidth{TU, TF}"/>, returning how many filters they did) and scalar versions for the
/// other filters (all of them on the scalar path). In the padded image every window lies inside, and for a fixed kernel
/// row the taps (kw, c) are contiguous both in the patch and in the image row: a window row is one run of
/// <c>KernelWidth·C</c> floats. The forward pass takes blocks of up to eight pixels along a row, the weight gradient
/// blocks of up to eight taps over every pixel; neither changes any element's sequence of operations.
/// </summary>
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>
    /// Copies an image into the middle of a (H + 2p) × (W + 2p) × C buffer whose border the caller zeroed once: only the
    /// middle is ever written, so the border stays zero image after image.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Pad(in ConvGeometry g, float* image, float* padded)
    {
        int c = g.Channels, paddedWidth = g.Width + (2 * g.Padding);
        for (int h = 0; h < g.Height; h++)
        {
            new Span<float>(image + (h * g.Width * c), g.Width * c).CopyTo(new Span<float>(padded + ((((h + g.Padding) * paddedWidth) + g.Padding) * c), g.Width * c));
        }
    }

    /// <summary>Floats in a padded image.</summary>
    public static int PaddedSize(in ConvGeometry g) => (g.Height + (2 * g.Padding)) * (g.Width + (2 * g.Padding)) * g.Channels;

    /// <summary>
    /// The filters the pair kernels take (both vectors of a pair feed on each broadcast input): whole pairs of vectors on the
    /// 512-bit and 256-bit paths, none on narrower ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairFilters<TW, TU, TF>(int filters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged =>
        typeof(TW) == typeof(Width512) || typeof(TW) == typeof(Width256) ? filters - (filters % (2 * TW.Count)) : 0;

    /// <summary>
    /// Taps per block of the weight gradient: six where AVX2's pair kernels run (12 sums in its 16 registers), eight otherwise
    /// (AVX-512's pair kernels hold 16 sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairBlock<TW, TU, TF>(int pairFilters)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => typeof(TW) == typeof(Width256) && pairFilters > 0 ? 6 : 8;

    /// <summary>
    /// Per tap of [<paramref name="firstTap"/>, + <paramref name="taps"/>), its offset from the window's corner in the padded
    /// image, then <see cref="TapPadding"/> copies of the last one: what <see cref="WeightGradient{TW, TU, TF}"/> (whose last
    /// block reads full-size) and <see cref="WeightGradientScalar"/> read, computed once per call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void TapOffsets(in ConvGeometry g, int firstTap, int taps, Span<int> offsets)
    {
        int run = g.KernelWidth * g.Channels, rowFloats = (g.Width + (2 * g.Padding)) * g.Channels;
        for (int t = 0; t < taps; t++)
        {
            int kh = (firstTap + t) / run;
            offsets[t] = (kh * rowFloats) + (firstTap + t - (kh * run));
        }

        if (taps > 0)
        {
            offsets.Slice(taps, TapPadding).Fill(offsets[taps - 1]);
        }
    }

    /// <summary>Entries <see cref="TapOffsets"/> writes past the taps.</summary>
    public const int TapPadding = 8;
}
