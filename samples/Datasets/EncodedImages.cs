namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// Records in canonical order as one byte code per pixel plus a palette of at most 256 float32 values.
/// Fashion-MNIST and IDX files use the palette k/255; the MNIST subset uses the 256 distinct floats its
/// JSON holds (3-decimal roundings of k/255, so not k/255 itself), so both are stored exactly at a quarter
/// of the float32 size.
/// </summary>
internal sealed class EncodedImages
{
    public EncodedImages(int height, int width, int classCount, float[] palette, ReadOnlyMemory<byte> labels,
        ReadOnlyMemory<byte> codes)
    {
        if (palette.Length is < 1 or > 256)
            throw new InvalidDataException($"A palette holds 1..256 values, not {palette.Length}.");
        if ((long)labels.Length * height * width != codes.Length)
            throw new InvalidDataException($"{labels.Length} labels need {(long)labels.Length * height * width} pixel codes, not {codes.Length}.");
        int badLabel = labels.Span.IndexOfAnyInRange((byte)Math.Min(classCount, 255), (byte)255);
        if (badLabel >= 0 && labels.Span[badLabel] >= classCount)
            throw new InvalidDataException($"Label {labels.Span[badLabel]} of record {badLabel} is not below the class count {classCount}.");
        // Decode looks codes up without bounds surprises: a code past the palette is corrupt data, not a crash.
        if (palette.Length < 256 && codes.Span.IndexOfAnyInRange((byte)palette.Length, (byte)255) is int badCode and >= 0)
            throw new InvalidDataException($"Pixel code {codes.Span[badCode]} at byte {badCode} is past the {palette.Length}-entry palette.");

        Height = height;
        Width = width;
        ClassCount = classCount;
        Palette = palette;
        Labels = labels;
        Codes = codes;
    }

    public int Count => Labels.Length;

    public int Height { get; }

    public int Width { get; }

    public int PixelsPerImage => Height * Width;

    public int ClassCount { get; }

    public float[] Palette { get; }

    public ReadOnlyMemory<byte> Labels { get; }

    public ReadOnlyMemory<byte> Codes { get; }

    /// <summary>k/255 as float32 for k = 0..255: "pixel/255" of DATA.md.</summary>
    public static float[] Over255Palette()
    {
        var palette = new float[256];
        for (int k = 0; k < palette.Length; k++)
            palette[k] = k / 255f;
        return palette;
    }

    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (byte label in Labels.Span)
            counts[label]++;
        return counts;
    }

    /// <summary>A new data set holding the records <paramref name="order"/> names, in that order (still as codes: decoded on use).</summary>
    public DataSet Decode(string name, IReadOnlyList<string> classNames, ReadOnlySpan<int> order)
    {
        int pixels = PixelsPerImage;
        var codes = new byte[(long)order.Length * pixels];
        var labels = new byte[order.Length];
        ReadOnlySpan<byte> allLabels = Labels.Span, allCodes = Codes.Span;
        for (int i = 0; i < order.Length; i++)
        {
            int record = order[i];
            labels[i] = allLabels[record];
            allCodes.Slice(record * pixels, pixels).CopyTo(codes.AsSpan(i * pixels, pixels));
        }
        return new DataSet(name, codes, Palette, labels, Height, Width, ClassCount, classNames);
    }

    /// <summary>All records in stored order.</summary>
    public DataSet DecodeAll(string name, IReadOnlyList<string> classNames)
    {
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        return Decode(name, classNames, order);
    }
}
