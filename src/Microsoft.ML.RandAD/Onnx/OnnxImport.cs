using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Reads back a network that RandAD's exporter wrote: its architecture from the <c>randad.spec</c> metadata, and each
/// parameter from the initializer the exporter named after it (<c>layer{i}.weight</c>, …), with the exporter's layout
/// changes undone (<see cref="LayerExporters"/>). The parameters come back as the same bits.
/// </summary>
/// <remarks>
/// Three kinds of file hold such a network: an ONNX model from <see cref="OnnxExport"/> (batched or single-row), a whole
/// pipeline from <c>ConvertToOnnxWithRandAD</c> (the preprocessing's names never take the network's), and a model zip from
/// ML.NET's <c>Model.Save</c>, where the RandAD step was saved as ML.NET's <c>ApplyOnnxModel</c> holding RandAD's ONNX
/// (an <c>OnnxModel</c> entry: a 32-bit length, then the model's bytes).
/// </remarks>
internal static class OnnxImport
{
    private const string SpecKey = OnnxModelBuilder.MetadataPrefix + "spec";

    /// <summary>The network in a model zip (<c>Model.Save</c>) or an ONNX file; <paramref name="source"/> names it in errors.</summary>
    public static Network Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        byte[] bytes = buffer.ToArray();
        bool zip = bytes.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(bytes) == 0x04034B50; // "PK\3\4"
        ModelProto model = zip ? FromModelZip(bytes, source) : Parse(bytes, source);
        return ReadNetwork(model, source);
    }

    /// <summary>The network of a model RandAD's exporter wrote.</summary>
    public static Network ReadNetwork(ModelProto model, string source)
    {
        string json = model.MetadataProps.FirstOrDefault(p => p.Key == SpecKey)?.Value
            ?? throw new InvalidDataException($"{source}: no '{SpecKey}' metadata; the model was not written by RandAD's exporter.");
        NetworkSpec spec = NetworkSpec.FromJson(json);
        Network network = Network.Create(spec, seed: 0);
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto tensor in model.Graph.Initializer)
        {
            initializers.TryAdd(tensor.Name, tensor);
        }

        IReadOnlyList<Layer> layers = network.Layers;
        ReadOnlySpan<ParameterBlock> blocks = network.Blocks;
        int offset = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            int count = layers[i].Parameters.Count;
            Read(layers[i], blocks.Slice(offset, count), LayerExporters.Prefix(layers, i), initializers, source);
            offset += count;
        }

        return network;
    }

    private static void Read(Layer layer, ReadOnlySpan<ParameterBlock> blocks, string prefix, Dictionary<string, TensorProto> initializers, string source)
    {
        switch (layer)
        {
            case DenseLayer:
                Copy(initializers, prefix + ".weight", blocks[0], source); // Gemm's [inputs, outputs], as the engine stores it
                Copy(initializers, prefix + ".bias", blocks[1], source);
                break;
            case Conv2DLayer conv:
                {
                    // ONNX's [F, C, kh, kw] back to the engine's [F, kh·kw·C] (patch order kh, kw, c).
                    ConvGeometry g = conv.Geometry;
                    int filters = conv.OutputShape.Channels, c = g.Channels, kh = g.KernelHeight, kw = g.KernelWidth;
                    float[] onnx = Values(initializers, prefix + ".weight", source);
                    Span<float> engine = Target(blocks[0], prefix + ".weight", source, onnx.Length);
                    for (int f = 0; f < filters; f++)
                    {
                        for (int a = 0; a < kh; a++)
                        {
                            for (int b = 0; b < kw; b++)
                            {
                                for (int ch = 0; ch < c; ch++)
                                {
                                    engine[(f * g.PatchSize) + ((((a * kw) + b) * c) + ch)] = onnx[(((((f * c) + ch) * kh) + a) * kw) + b];
                                }
                            }
                        }
                    }

                    Copy(initializers, prefix + ".bias", blocks[1], source);
                    break;
                }

            case BatchNormLayer:
                Copy(initializers, prefix + ".scale", blocks[0], source);
                Copy(initializers, prefix + ".bias", blocks[1], source);
                Copy(initializers, prefix + ".running_mean", blocks[2], source);
                Copy(initializers, prefix + ".running_var", blocks[3], source);
                break;
            case RecurrentLayer:
                {
                    // W = W_ihᵀ [1, H, D], R = W_hhᵀ [1, H, H], B = [b, 0] [1, 2H].
                    int d = layer.InputShape.StepSize, h = layer.OutputShape.Size;
                    LayerExporters.Transpose(Values(initializers, prefix + ".W", source), h, d).CopyTo(Target(blocks[0], prefix + ".W", source, h * d));
                    LayerExporters.Transpose(Values(initializers, prefix + ".R", source), h, h).CopyTo(Target(blocks[1], prefix + ".R", source, h * h));
                    float[] bias = Values(initializers, prefix + ".B", source);
                    bias.AsSpan(0, h).CopyTo(Target(blocks[2], prefix + ".B", source, bias.Length / 2));
                    break;
                }

            default:
                if (blocks.Length > 0)
                {
                    throw new NotSupportedException($"{source}: layer '{layer.Description}' has parameters but no ONNX reader.");
                }

                break;
        }
    }

    private static void Copy(Dictionary<string, TensorProto> initializers, string name, ParameterBlock block, string source)
    {
        float[] values = Values(initializers, name, source);
        values.CopyTo(Target(block, name, source, values.Length));
    }

    /// <summary>The block's values, checked to hold exactly <paramref name="length"/> floats.</summary>
    private static Span<float> Target(ParameterBlock block, string name, string source, int length) =>
        block.Length == length
            ? block.Values
            : throw new InvalidDataException($"{source}: initializer '{name}' has {length} values; the architecture's parameter has {block.Length}.");

    private static float[] Values(Dictionary<string, TensorProto> initializers, string name, string source)
    {
        if (!initializers.TryGetValue(name, out TensorProto? tensor))
        {
            throw new InvalidDataException($"{source}: no initializer '{name}'; the model was not written by this version of RandAD's exporter.");
        }

        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"{source}: initializer '{name}' is not float.");
        }

        if (tensor.FloatData.Count > 0)
        {
            return [.. tensor.FloatData];
        }

        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        float[] values = new float[raw.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * sizeof(float)));
        }

        return values;
    }

    private static ModelProto Parse(ReadOnlySpan<byte> bytes, string source)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: neither a model zip nor an ONNX model ({e.Message}).", e);
        }
    }

    /// <summary>The RandAD network among the <c>OnnxModel</c> entries of a model zip.</summary>
    private static ModelProto FromModelZip(byte[] bytes, string source)
    {
        using var archive = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var found = new List<ModelProto>();
        foreach (ZipArchiveEntry entry in archive.Entries.Where(e => e.Name == "OnnxModel"))
        {
            using var content = new MemoryStream();
            using (Stream stream = entry.Open())
            {
                stream.CopyTo(content);
            }

            byte[] data = content.ToArray();
            int length = data.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(data) : -1;
            if (length != data.Length - 4)
            {
                continue;
            }

            ModelProto model = Parse(data.AsSpan(4), $"{source} ({entry.FullName})");
            if (model.MetadataProps.Any(p => p.Key == SpecKey))
            {
                found.Add(model);
            }
        }

        return found.Count switch
        {
            1 => found[0],
            0 => throw new InvalidDataException($"{source}: the model zip holds no RandAD network (no RandAD trainer was saved in it)."),
            _ => throw new InvalidDataException($"{source}: the model zip holds {found.Count} RandAD networks; export the one wanted with OnnxExport and read that file."),
        };
    }
}
