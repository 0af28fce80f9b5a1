using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Training;

/// <summary>The order in which an in-memory source visits its rows in an epoch: a pure function of the seed and the epoch.</summary>
internal static class EpochOrder
{
    /// <summary>Fills <paramref name="order"/> with 0..n−1, shuffled (Fisher–Yates on a SplitMix64 stream of the seed and epoch) when asked.</summary>
    public static void Fill(int[] order, ulong seed, int epoch, bool shuffle = true)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (!shuffle)
        {
            return;
        }

        var random = new SplitMix64(seed ^ (0xA0761D6478BD642FUL * (ulong)(epoch + 1)));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
