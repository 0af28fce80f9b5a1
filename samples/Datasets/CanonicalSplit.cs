using System.Globalization;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// The split every RandAD number is measured on (DATA.md): records in canonical order (class 0 in file
/// order, then class 1, …), permuted by Fisher–Yates driven by <see cref="SplitMix64"/> with seed 42; the
/// first records of the permutation train, the rest test.
/// </summary>
public static class CanonicalSplit
{
    public const ulong Seed = 42;

    /// <summary>perm = [0..n-1]; for i = n-1 down to 1: j = next() % (i+1); swap(perm[i], perm[j]).</summary>
    public static int[] Permutation(int count, ulong seed = Seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var permutation = new int[count];
        for (int i = 0; i < count; i++)
            permutation[i] = i;
        var random = new SplitMix64(seed);
        for (int i = count - 1; i >= 1; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        return permutation;
    }

    /// <summary>Decodes the canonical records straight into the permuted train and test arrays (no unpermuted copy).</summary>
    internal static DataSplit Apply(EncodedImages canonical, int trainCount, string name, string source,
        IReadOnlyList<string> classNames)
    {
        int[] permutation = Permutation(canonical.Count);
        DataSet train = canonical.Decode($"{name} train", classNames, permutation.AsSpan(0, trainCount));
        DataSet test = canonical.Decode($"{name} test", classNames, permutation.AsSpan(trainCount));
        string how = string.Create(CultureInfo.InvariantCulture,
            $"{source}; RandAD canonical split (SplitMix64 seed {Seed} Fisher–Yates over {canonical.Count:N0} records, " +
            $"{train.Count:N0} train / {test.Count:N0} test)");
        return new DataSplit(name, train, test, how, isCanonicalSplit: true);
    }
}
