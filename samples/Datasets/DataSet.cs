using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// Labelled grayscale images, row-major, image after image. A data set either wraps a <see cref="float"/> array
/// (<see cref="Count"/> × <see cref="FeatureLength"/>), or — as the loaders return it — one byte code per pixel
/// and a palette of at most 256 values (a quarter of the memory): <see cref="CopyImage"/> decodes one image into a
/// caller's buffer, and <see cref="Features"/> decodes the whole array on first use and keeps it.
/// </summary>
public sealed class DataSet
{
    private readonly byte[]? _codes;
    private readonly float[]? _palette;
    private readonly bool _byteOver255;
    private float[]? _features;

    /// <summary>Wraps the arrays without copying them; checks that their sizes and labels agree.</summary>
    public DataSet(string name, float[] features, byte[] labels, int imageHeight, int imageWidth, int classCount,
        IReadOnlyList<string>? classNames = null)
        : this(name, features, null, null, labels, imageHeight, imageWidth, classCount, classNames)
    {
    }

    /// <summary>
    /// Wraps pixel codes (one byte per pixel: pixel = <paramref name="palette"/>[code]) without copying them; checks
    /// that the sizes, codes and labels agree.
    /// </summary>
    public DataSet(string name, byte[] pixelCodes, float[] palette, byte[] labels, int imageHeight, int imageWidth, int classCount,
        IReadOnlyList<string>? classNames = null)
        : this(name, null, pixelCodes ?? throw new ArgumentNullException(nameof(pixelCodes)),
            palette ?? throw new ArgumentNullException(nameof(palette)), labels, imageHeight, imageWidth, classCount, classNames)
    {
    }

    private DataSet(string name, float[]? features, byte[]? codes, float[]? palette, byte[] labels, int imageHeight, int imageWidth,
        int classCount, IReadOnlyList<string>? classNames)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (features is null && codes is null)
            throw new ArgumentNullException(nameof(features));
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        if (classCount is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Labels are bytes, so 1..256 classes.");
        long pixels = features?.Length ?? codes!.Length;
        if ((long)labels.Length * imageHeight * imageWidth != pixels)
            throw new ArgumentException(
                $"{name}: {labels.Length} labels need {(long)labels.Length * imageHeight * imageWidth} features " +
                $"({imageHeight}×{imageWidth} each) but {pixels} were given.", features is null ? nameof(codes) : nameof(features));
        if (palette is not null)
        {
            if (palette.Length is < 1 or > 256)
                throw new ArgumentException($"{name}: a palette holds 1..256 values, not {palette.Length}.", nameof(palette));
            if (palette.Length < 256 && codes!.AsSpan().IndexOfAnyInRange((byte)palette.Length, (byte)255) is int badCode and >= 0)
                throw new ArgumentException($"{name}: pixel code {codes![badCode]} at {badCode} is past the {palette.Length}-entry palette.", nameof(codes));
        }

        int bad = labels.AsSpan().IndexOfAnyInRange((byte)Math.Min(classCount, 255), (byte)255);
        if (bad >= 0 && labels[bad] >= classCount)
            throw new ArgumentException($"{name}: label {labels[bad]} at row {bad} is not below the class count {classCount}.", nameof(labels));
        if (classNames is not null && classNames.Count != classCount)
            throw new ArgumentException($"{name}: {classNames.Count} class names for {classCount} classes.", nameof(classNames));

        Name = name;
        _features = features;
        _codes = codes;
        _palette = palette;
        _byteOver255 = palette is not null && IsByteOver255(palette);
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
    /// (other consumers of the same data set see any change). A data set of pixel codes decodes this array on
    /// first use (4 bytes a pixel from then on); read images with <see cref="CopyImage"/> to avoid that.
    /// </summary>
    public float[] Features => _features ?? LazyInitializer.EnsureInitialized(ref _features, Decode);

    /// <summary>Whether the pixels are held as byte codes and a palette (until <see cref="Features"/> is read).</summary>
    public bool IsEncoded => _codes is not null;

    /// <summary>Bytes the pixels occupy now (codes and palette, plus the decoded array once <see cref="Features"/> was read).</summary>
    public long PixelBytes => (_codes?.LongLength ?? 0) + (4L * (_palette?.Length ?? 0)) + (4L * (_features?.LongLength ?? 0));

    /// <summary>Writes the <see cref="FeatureLength"/> pixels of image <paramref name="index"/> to <paramref name="destination"/>.</summary>
    public void CopyImage(int index, Span<float> destination) => CopyImages(index, 1, destination);

    /// <summary>
    /// Writes images [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) to
    /// <paramref name="destination"/>, image after image, without decoding the rest of the data set.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per minibatch from the first step: no slow first tier
    public void CopyImages(int first, int count, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, Count);
        int length = FeatureLength * count, start = FeatureLength * first;
        if (_features is not null || _codes is null)
        {
            Features.AsSpan(start, length).CopyTo(destination);
            return;
        }

        DecodeInto(_codes.AsSpan(start, length), destination[..length]);
    }

    /// <summary>
    /// Writes the images at <paramref name="indices"/> to <paramref name="destination"/>, image after image (a shuffled
    /// minibatch), without decoding the rest of the data set.
    /// </summary>
    /// <remarks>
    /// Byte codes over 255 are gathered first and decoded in one pass: two library calls for the batch rather than two per
    /// image (256 for a minibatch of 128, each too short for the runtime to replace its unoptimized first-tier code while
    /// it runs, so the first epoch decoded several times slower than the rest).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per minibatch from the first step: no slow first tier
    public void CopyImages(ReadOnlySpan<int> indices, Span<float> destination)
    {
        int d = FeatureLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, indices.Length * d, nameof(destination));
        foreach (int index in indices)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index, nameof(indices));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count, nameof(indices));
        }

        if (_codes is null || !_byteOver255 || _features is not null)
        {
            for (int r = 0; r < indices.Length; r++)
                CopyImages(indices[r], 1, destination.Slice(r * d, d));
            return;
        }

        byte[] gathered = ArrayPool<byte>.Shared.Rent(indices.Length * d);
        try
        {
            for (int r = 0; r < indices.Length; r++)
                _codes.AsSpan(indices[r] * d, d).CopyTo(gathered.AsSpan(r * d, d));
            DecodeInto(gathered.AsSpan(0, indices.Length * d), destination[..(indices.Length * d)]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    /// <summary>pixels[p] = palette[codes[p]].</summary>
    private void DecodeInto(ReadOnlySpan<byte> codes, Span<float> pixels)
    {
        if (_byteOver255)
        {
            // Fashion-MNIST's and IDX files' palette: the code over 255 in float, which one division rounds exactly as the
            // palette's entries were rounded. Two vectorized passes instead of a lookup per pixel (the `train` verb's
            // minibatches are decoded on the calling thread between steps).
            if (Vector512.IsHardwareAccelerated)
            {
                DecodeOver255(codes, pixels);
                return;
            }

            if (Vector256.IsHardwareAccelerated)
            {
                DecodeOver255With256(codes, pixels);
                return;
            }

            TensorPrimitives.ConvertTruncating<byte, float>(codes, pixels);
            TensorPrimitives.Divide(pixels, 255f, pixels);
            return;
        }

        ReadOnlySpan<float> palette = _palette;
        for (int p = 0; p < codes.Length; p++)
            pixels[p] = palette[codes[p]];
    }

    /// <summary>
    /// <c>pixels[p] = codes[p] / 255f</c> with AVX-512, 64 codes at a time; the same bits as the two library calls (conversion is
    /// exact, division correctly rounded).
    /// </summary>
    /// <remarks>
    /// Compiled optimized at its first call. The library's conversion and division ran as unoptimized first-tier code for
    /// most of the first epoch (the package's code is not precompiled, and one minibatch's loop is too short to switch to
    /// optimized code while it runs): about 90 µs per 50,000 pixels against a tenth of that once optimized.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeOver255(ReadOnlySpan<byte> codes, Span<float> pixels)
    {
        Vector512<float> scale = Vector512.Create(255f);
        int p = 0;
        for (; p + Vector512<byte>.Count <= codes.Length; p += Vector512<byte>.Count)
        {
            (Vector512<ushort> low, Vector512<ushort> high) = Vector512.Widen(Vector512.Create(codes.Slice(p)));
            (Vector512<uint> q0, Vector512<uint> q1) = Vector512.Widen(low);
            (Vector512<uint> q2, Vector512<uint> q3) = Vector512.Widen(high);
            (Vector512.ConvertToSingle(q0) / scale).CopyTo(pixels.Slice(p));
            (Vector512.ConvertToSingle(q1) / scale).CopyTo(pixels.Slice(p + 16));
            (Vector512.ConvertToSingle(q2) / scale).CopyTo(pixels.Slice(p + 32));
            (Vector512.ConvertToSingle(q3) / scale).CopyTo(pixels.Slice(p + 48));
        }

        for (; p < codes.Length; p++)
            pixels[p] = codes[p] / 255f;
    }

    /// <summary><see cref="DecodeOver255"/> with AVX2, 32 codes at a time (the AVX2 machines' first epoch decoded at tier 0 too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeOver255With256(ReadOnlySpan<byte> codes, Span<float> pixels)
    {
        Vector256<float> scale = Vector256.Create(255f);
        int p = 0;
        for (; p + Vector256<byte>.Count <= codes.Length; p += Vector256<byte>.Count)
        {
            (Vector256<ushort> low, Vector256<ushort> high) = Vector256.Widen(Vector256.Create(codes.Slice(p)));
            (Vector256<uint> q0, Vector256<uint> q1) = Vector256.Widen(low);
            (Vector256<uint> q2, Vector256<uint> q3) = Vector256.Widen(high);
            (Vector256.ConvertToSingle(q0) / scale).CopyTo(pixels.Slice(p));
            (Vector256.ConvertToSingle(q1) / scale).CopyTo(pixels.Slice(p + 8));
            (Vector256.ConvertToSingle(q2) / scale).CopyTo(pixels.Slice(p + 16));
            (Vector256.ConvertToSingle(q3) / scale).CopyTo(pixels.Slice(p + 24));
        }

        for (; p < codes.Length; p++)
            pixels[p] = codes[p] / 255f;
    }

    /// <summary>Whether <paramref name="palette"/>[k] is k / 255 in float for every k (the k/255 palette, or a prefix of it).</summary>
    private static bool IsByteOver255(float[] palette)
    {
        for (int k = 0; k < palette.Length; k++)
        {
            if (palette[k] != k / 255f)
                return false;
        }

        return true;
    }

    private float[] Decode()
    {
        var features = new float[_codes!.Length];
        DecodeInto(_codes, features);
        return features;
    }

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
        return _features is null && _codes is not null
            ? new DataSet(Name, _codes.AsSpan(0, count * FeatureLength).ToArray(), _palette!, Labels.AsSpan(0, count).ToArray(),
                ImageHeight, ImageWidth, ClassCount, ClassNames)
            : new DataSet(Name, Features.AsSpan(0, count * FeatureLength).ToArray(), Labels.AsSpan(0, count).ToArray(),
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
        long pixels = (long)Count * FeatureLength;
        if (pixels == 0)
            return 0;
        double sum = 0;
        if (_features is null && _codes is not null)
        {
            foreach (byte code in _codes)
                sum += _palette![code];
        }
        else
        {
            foreach (float pixel in Features)
                sum += pixel;
        }

        return sum / pixels;
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
