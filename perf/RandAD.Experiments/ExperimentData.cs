using Microsoft.ML.RandAD.Datasets;

namespace RandAD.Experiments;

/// <summary>Examples as the engine wants them: features row after row and the class index as a float target.</summary>
/// <param name="Features">Count × 784 pixels in [0, 1].</param>
/// <param name="Targets">Class index per example.</param>
internal sealed record LabelledRows(float[] Features, float[] Targets)
{
    public const int FeatureSize = 784;

    public int Count => Targets.Length;

    public static LabelledRows From(DataSet set, int first, int count)
    {
        count = Math.Min(count, set.Count - first);
        float[] targets = new float[count];
        for (int i = 0; i < count; i++)
        {
            targets[i] = set.Labels[first + i];
        }

        var features = new float[count * FeatureSize];
        set.CopyImages(first, count, features);
        return new(features, targets);
    }

    /// <summary>The first <paramref name="count"/> rows (all when there are fewer).</summary>
    public LabelledRows Take(int count) => count >= Count ? this
        : new(Features.AsSpan(0, count * FeatureSize).ToArray(), Targets.AsSpan(0, count).ToArray());
}

/// <summary>
/// One data set cut the way every run uses it (DATA.md's canonical split): the training set, its last
/// <c>heldOut</c> rows kept aside for the learning-rate search, a fixed training subset on which the training
/// loss is tracked, and the test set.
/// </summary>
internal sealed class ExperimentData
{
    public const string Fashion = "fashion";
    public const string Mnist = "mnist";

    private ExperimentData(string name, DataSplit split, int heldOut, int lossRows, int trainRows)
    {
        Name = name;
        var train = LabelledRows.From(split.Train, 0, trainRows);
        Train = train;
        TuneTrain = LabelledRows.From(split.Train, 0, train.Count - heldOut);
        HeldOut = LabelledRows.From(split.Train, train.Count - heldOut, heldOut);
        LossSubset = train.Take(lossRows);
        Test = LabelledRows.From(split.Test, 0, split.Test.Count);
    }

    public string Name { get; }

    public string Title => Name == Fashion ? "Fashion-MNIST" : "MNIST subset";

    /// <summary>Every training row (the final runs train on all of them).</summary>
    public LabelledRows Train { get; }

    /// <summary>Training rows minus the held-out part (the learning-rate search trains on these).</summary>
    public LabelledRows TuneTrain { get; }

    /// <summary>The last rows of the training set, scored by the learning-rate search.</summary>
    public LabelledRows HeldOut { get; }

    /// <summary>The fixed training subset whose loss the curves show.</summary>
    public LabelledRows LossSubset { get; }

    public LabelledRows Test { get; }

    /// <summary>Loads a data set by short name; <paramref name="trainRows"/> caps the training rows (tests use a few hundred).</summary>
    public static ExperimentData Load(string name, int lossRows, int trainRows = int.MaxValue)
    {
        DataSplit split = name switch
        {
            Fashion => FashionMnist.Load(),
            Mnist => MnistSubset.Load(),
            _ => throw new ArgumentException($"Unknown data set '{name}'; use {Fashion} or {Mnist}."),
        };

        int rows = Math.Min(trainRows, split.Train.Count);

        // Fashion-MNIST keeps the paper's 5,000 held-out rows; the 8,000-row MNIST subset keeps one eighth.
        int heldOut = Math.Min(5000, rows / 8);
        return new ExperimentData(name, split, heldOut, lossRows, rows);
    }
}
