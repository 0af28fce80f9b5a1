using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Bookkeeping of a graph under construction: unique value names, nodes in topological order (the order they are
/// added), initializers (weights and shared small constants) and the typed graph inputs and outputs.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>Marks the symbolic batch dimension in a list of dimensions.</summary>
    public const long Batch = -1;

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new();

    /// <summary>Adds a node with one output named after <paramref name="hint"/> and returns that name.</summary>
    public string Add(string opType, string hint, IReadOnlyList<string> inputs, params AttributeProto[] attributes)
    {
        string output = NewName(hint);
        AddNode(opType, output, inputs, [output], attributes);
        return output;
    }

    /// <summary>Adds a node whose outputs are named exactly <paramref name="outputs"/> (graph outputs, or "" for unused optional ones).</summary>
    public void AddNode(string opType, string nodeName, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
    }

    /// <summary>Claims an exact name (graph input or output); fails if it is taken.</summary>
    public string Claim(string name)
    {
        if (!_names.Add(name))
        {
            throw new ArgumentException($"The ONNX value name '{name}' is used twice (an output name equals the input name?).");
        }

        return name;
    }

    /// <summary>A float initializer with the given dimensions; names its values in errors if one is not finite.</summary>
    public string Weights(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        int bad = IndexOfNonFinite(values);
        if (bad >= 0)
        {
            throw new ArgumentException($"Cannot export: parameter '{hint}' holds {values[bad]} at index {bad}; the network has diverged or was not trained.");
        }

        string name = NewName(hint);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        if (BitConverter.IsLittleEndian)
        {
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        }
        else
        {
            tensor.FloatData.AddRange(values.ToArray());
        }

        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A shared 1-D int64 constant (shapes, axes, permutations).</summary>
    public string Int64s(params long[] values)
    {
        string key = "i64:" + string.Join(',', values);
        if (_constants.TryGetValue(key, out string? existing))
        {
            return existing;
        }

        string name = NewName("const_i64_" + string.Join('_', values.Select(v => v < 0 ? "m" + (-v) : v.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        _constants[key] = name;
        return name;
    }

    /// <summary>A shared float scalar constant (rank 0, broadcasts against anything).</summary>
    public string Scalar(float value)
    {
        string key = "f32:" + BitConverter.SingleToInt32Bits(value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_constants.TryGetValue(key, out string? existing))
        {
            return existing;
        }

        string name = NewName("const_f32_" + value.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Replace('-', 'm').Replace('.', 'p'));
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        Graph.Initializer.Add(tensor);
        _constants[key] = name;
        return name;
    }

    /// <summary>Declares a graph input.</summary>
    public void Input(string name, TensorProto.Types.DataType type, string doc, params long[] dims) =>
        Graph.Input.Add(TensorInfo(name, type, doc, dims));

    /// <summary>Declares a graph output.</summary>
    public void Output(string name, TensorProto.Types.DataType type, string doc, params long[] dims) =>
        Graph.Output.Add(TensorInfo(name, type, doc, dims));

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Strings(string name, params string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    private static ValueInfoProto TensorInfo(string name, TensorProto.Types.DataType type, string doc, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
        {
            shape.Dim.Add(dim == Batch
                ? new TensorShapeProto.Types.Dimension { DimParam = OnnxNames.BatchDimension, Denotation = "DATA_BATCH" }
                : new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        return new ValueInfoProto
        {
            Name = name,
            DocString = doc,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>Reserves a fresh value name: <paramref name="hint"/>, or it with a numeric suffix.</summary>
    public string NewName(string hint)
    {
        string name = hint;
        for (int i = 1; !_names.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
