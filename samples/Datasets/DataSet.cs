using System.Globalization;
using System.Text;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// Labelled grayscale images held as one contiguous row-major <see cref="float"/> array
/// (<see cref="Count"/> × <see cref="FeatureLength"/>), so the engine and IDataView adapters can read
/// rows without copying.
/// </summary>
public sealed class DataSet
{
    /// <summary>Wraps the arrays without copying them; checks that their sizes and labels agree.</summary>
    public DataSet(string name, float[] features, byte[] labels, int imageHeight, int imageWidth, int classCount,
        IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        if (classCount is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Labels are bytes, so 1..256 classes.");
        if ((long)labels.Length * imageHeight * imageWidth != features.Length)
            throw new ArgumentException(
                $"{name}: {labels.Length} labels need {(long)labels.Length * imageHeight * imageWidth} features " +
                $"({imageHeight}×{imageWidth} each) but {features.Length} were given.", nameof(features));
        int bad = labels.AsSpan().IndexOfAnyInRange((byte)Math.Min(classCount, 255), (byte)255);
        if (bad >= 0 && labels[bad] >= classCount)
            throw new ArgumentException($"{name}: label {labels[bad]} at row {bad} is not below the class count {classCount}.", nameof(labels));
        if (classNames is not null && classNames.Count != classCount)
            throw new ArgumentException($"{name}: {classNames.Count} class names for {classCount} classes.", nameof(classNames));

        Name = name;
        Features = features;
        Labels = labels;
        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        ClassCount = classCount;
        ClassNames = classNames ?? Enumerable.Range(0, classCount).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>For messages and summaries, e.g. "Fashion-MNIST train".</summary>
    public string Name { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    public int ImageHeight { get; }

    public int ImageWidth { get; }

    /// <summary>Floats per image: <see cref="ImageHeight"/> × <see cref="ImageWidth"/> (784 for 28×28).</summary>
    public int FeatureLength => ImageHeight * ImageWidth;

    public int ClassCount { get; }

    /// <summary>Human-readable class names; the label is the index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// Pixels in [0, 1], image after image, each row-major. Shared, not copied: treat it as read-only
    /// (other consumers of the same data set see any change).
    /// </summary>
    public float[] Features { get; }

    /// <summary>One label per image, each below <see cref="ClassCount"/>. Shared like <see cref="Features"/>.</summary>
    public byte[] Labels { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> GetImage(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Features.AsSpan(index * FeatureLength, FeatureLength);
    }

    /// <summary>A copy of the first <paramref name="count"/> images (all of them if there are fewer), for quick tests.</summary>
    public DataSet Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        count = Math.Min(count, Count);
        return new DataSet(Name, Features.AsSpan(0, count * FeatureLength).ToArray(), Labels.AsSpan(0, count).ToArray(),
            ImageHeight, ImageWidth, ClassCount, ClassNames);
    }

    /// <summary>How many images carry each label.</summary>
    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (byte label in Labels)
            counts[label]++;
        return counts;
    }

    /// <summary>Mean of all pixels, summed in double in storage order so it reproduces exactly.</summary>
    public double PixelMean()
    {
        if (Features.Length == 0)
            return 0;
        double sum = 0;
        foreach (float pixel in Features)
            sum += pixel;
        return sum / Features.Length;
    }

    /// <summary>One line: count, image size, pixel mean and the per-class counts.</summary>
    public string Summary()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{Count,7:N0} images {ImageHeight}×{ImageWidth}, pixel mean {PixelMean():F4}, per class:");
        foreach (int count in CountPerClass())
            text.Append(CultureInfo.InvariantCulture, $" {count}");
        return text.ToString();
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}: {Count:N0} images {ImageHeight}×{ImageWidth}, {ClassCount} classes");
}
