using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// The standard MNIST/Fashion-MNIST IDX files (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each optionally <c>.gz</c>). Loading keeps the
/// files' own train/t10k split (for Fashion-MNIST 60,000/10,000, but not the same records as the RandAD
/// <see cref="CanonicalSplit"/>, so numbers are not directly comparable with DATA.md's reference table).
/// </summary>
public static class IdxFiles
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    public static IReadOnlyList<string> FileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    // Magic: two zero bytes, element type 0x08 (unsigned byte), number of dimensions.
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    /// <summary>True when all four files are in <paramref name="folder"/>, each plain or .gz.</summary>
    public static bool Exists(string folder) => FileNames.All(name => Find(folder, name) is not null);

    /// <summary>
    /// Reads the four files of <paramref name="folder"/> (a plain file wins over its .gz twin); pixels become
    /// byte/255 as float32.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names all four.</exception>
    /// <exception cref="InvalidDataException">Bad magic number, truncated or overlong file, counts that disagree, label out of range.</exception>
    public static DataSplit Load(string folder, string name = "IDX", int classCount = 10, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string[] missing = FileNames.Where(file => Find(folder, file) is null).ToArray();
        if (missing.Length > 0)
            throw new FileNotFoundException(
                $"{Path.GetFullPath(folder)} lacks {string.Join(", ", missing)} (plain or .gz); an IDX data set needs all of " +
                $"{string.Join(", ", FileNames)}.");
        classNames ??= Enumerable.Range(0, classCount).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        DataSet train = ReadPart(Find(folder, TrainImages)!, Find(folder, TrainLabels)!, $"{name} train", classCount, classNames);
        DataSet test = ReadPart(Find(folder, TestImages)!, Find(folder, TestLabels)!, $"{name} test", classCount, classNames);
        if (train.ImageHeight != test.ImageHeight || train.ImageWidth != test.ImageWidth)
            throw new InvalidDataException(
                $"{folder}: train images are {train.ImageHeight}×{train.ImageWidth} but t10k images are {test.ImageHeight}×{test.ImageWidth}.");
        return new DataSplit(name, train, test,
            $"IDX files in {Path.GetFullPath(folder)} (the files' own train/t10k split, not the RandAD canonical split)",
            isCanonicalSplit: false);
    }

    /// <summary>
    /// Writes <paramref name="split"/> as the four IDX files (with .gz names when <paramref name="compress"/>).
    /// Pixels are stored as round(value × 255), exact for data that came from bytes; other values (the MNIST
    /// subset's 3-decimal floats) are rounded to the nearest k/255. Each file is written to a temporary name
    /// first, so a failure leaves no half-written file.
    /// </summary>
    public static void Write(DataSplit split, string folder, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(split);
        Directory.CreateDirectory(folder);
        string suffix = compress ? ".gz" : "";
        WritePart(split.Train, Path.Combine(folder, TrainImages + suffix), Path.Combine(folder, TrainLabels + suffix), compress);
        WritePart(split.Test, Path.Combine(folder, TestImages + suffix), Path.Combine(folder, TestLabels + suffix), compress);
    }

    private static string? Find(string folder, string name)
    {
        string plain = Path.Combine(folder, name);
        return File.Exists(plain) ? plain : File.Exists(plain + ".gz") ? plain + ".gz" : null;
    }

    private static DataSet ReadPart(string imagesPath, string labelsPath, string name, int classCount, IReadOnlyList<string> classNames)
    {
        byte[] header = new byte[16];
        using Stream images = Open(imagesPath);
        ReadHeader(images, header, imagesPath, ImagesMagic, "images (idx3, 3 dimensions)");
        int count = ReadDimension(header, 4, imagesPath, "image count");
        int rows = ReadDimension(header, 8, imagesPath, "row count");
        int columns = ReadDimension(header, 12, imagesPath, "column count");
        if (rows == 0 || columns == 0 || (long)count * rows * columns > Array.MaxLength)
            throw new InvalidDataException($"{imagesPath}: {count} images of {rows}×{columns} is not a loadable image set.");
        byte[] pixels = ReadPayload(images, (long)count * rows * columns, imagesPath, $"{count} images of {rows}×{columns}");

        using Stream labelStream = Open(labelsPath);
        byte[] labelHeader = new byte[8];
        ReadHeader(labelStream, labelHeader, labelsPath, LabelsMagic, "labels (idx1, 1 dimension)");
        int labelCount = ReadDimension(labelHeader, 4, labelsPath, "label count");
        if (labelCount != count)
            throw new InvalidDataException($"{labelsPath} holds {labelCount} labels but {imagesPath} holds {count} images.");
        byte[] labels = ReadPayload(labelStream, count, labelsPath, $"{count} labels");
        int bad = Array.FindIndex(labels, label => label >= classCount);
        if (bad >= 0)
            throw new InvalidDataException($"{labelsPath}: label {labels[bad]} at index {bad} is not below the class count {classCount}.");

        var encoded = new EncodedImages(rows, columns, classCount, EncodedImages.Over255Palette(), labels, pixels);
        return encoded.DecodeAll(name, classNames);
    }

    /// <summary>Compressed or not is decided by the gzip signature, not the name, so a misnamed file still reads.</summary>
    private static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int first = file.ReadByte(), second = file.ReadByte();
        file.Position = 0;
        return first == 0x1F && second == 0x8B ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static void ReadHeader(Stream stream, byte[] header, string path, int expectedMagic, string kind)
    {
        int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        // The magic number before the length: "this is a labels file" helps more than "too short for an images header".
        int magic = read >= 4 ? BinaryPrimitives.ReadInt32BigEndian(header) : expectedMagic;
        if (magic != expectedMagic)
            throw new InvalidDataException(
                $"{path} is not an IDX file of {kind}: its magic number is 0x{magic:X8}, expected 0x{expectedMagic:X8}" +
                (magic == (expectedMagic == ImagesMagic ? LabelsMagic : ImagesMagic) ? " (images and labels swapped?)." : "."));
        if (read < header.Length)
            throw new InvalidDataException($"{path} is truncated: {read} bytes, shorter than the {header.Length}-byte IDX header of {kind}.");
    }

    private static int ReadDimension(byte[] header, int offset, string path, string what)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(offset));
        return value >= 0 ? value : throw new InvalidDataException($"{path}: the header's {what} is {value}.");
    }

    private static byte[] ReadPayload(Stream stream, long length, string path, string what)
    {
        var payload = new byte[length];
        int read = stream.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false);
        if (read < payload.Length)
            throw new InvalidDataException(
                $"{path} is truncated: its header declares {what} ({payload.Length:N0} bytes after the header) but only {read:N0} follow.");
        if (stream.ReadByte() != -1)
            throw new InvalidDataException($"{path} is longer than its header declares ({what}); it may be a different or damaged file.");
        return payload;
    }

    private static void WritePart(DataSet part, string imagesPath, string labelsPath, bool compress)
    {
        var images = new byte[16 + (long)part.Features.Length];
        BinaryPrimitives.WriteInt32BigEndian(images, ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), part.Count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), part.ImageHeight);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), part.ImageWidth);
        for (int i = 0; i < part.Features.Length; i++)
        {
            float value = part.Features[i];
            if (!(value is >= 0f and <= 1f))
                throw new ArgumentException(
                    $"{part.Name}: pixel {i % part.FeatureLength} of image {i / part.FeatureLength} is {value}, outside [0, 1]; IDX stores bytes.");
            images[16 + i] = (byte)MathF.Round(value * 255f);
        }
        var labels = new byte[8 + part.Count];
        BinaryPrimitives.WriteInt32BigEndian(labels, LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), part.Count);
        part.Labels.CopyTo(labels, 8);

        DataCacheFile.WriteAtomically(imagesPath, compress ? Gzip(images) : images);
        DataCacheFile.WriteAtomically(labelsPath, compress ? Gzip(labels) : labels);
    }

    private static byte[] Gzip(byte[] contents)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(contents);
        return compressed.ToArray();
    }
}
