using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// What the weight gradient's register-blocked kernels share: how a block's taps lie, and the loads and stores of a block's
// sums. The kernels themselves (twelve, eight, six and four taps, one or two filter vectors) are written by
// eng/generate-weight-gradient-taps.py into DirectConvolutionLanes.WeightGradientTaps.g.cs.
internal static unsafe partial class DirectConvolutionLanes
{
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
