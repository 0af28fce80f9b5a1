using Google.Protobuf;
using Microsoft.ML.RandAD.Onnx.Proto;
using static Microsoft.ML.RandAD.Onnx.OnnxGraphBuilder;
using DataType = Microsoft.ML.RandAD.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// The original label of each class index (what ML.NET's <c>MapValueToKey</c> mapped to keys 1..K), for the
/// multiclass output <see cref="OnnxNames.PredictedLabelValue"/>: an ai.onnx.ml <c>LabelEncoder</c> from the
/// 0-based predicted index to the value, the same thing <c>MapKeyToValue("PredictedLabel")</c> does in ML.NET.
/// LabelEncoder (ai.onnx.ml opset 2) maps int64 to strings, floats or int64s, so those are the value kinds.
/// </summary>
internal sealed class OnnxLabelValues
{
    private OnnxLabelValues(DataType type, int count, Action<NodeProto> attributes)
    {
        Type = type;
        Count = count;
        _attributes = attributes;
    }

    private readonly Action<NodeProto> _attributes;

    /// <summary>The ai.onnx.ml opset whose LabelEncoder takes int64 keys to string, float or int64 values.</summary>
    public const int MlOpset = 2;

    public DataType Type { get; }

    public int Count { get; }

    public static OnnxLabelValues FromStrings(IReadOnlyList<string> values) =>
        new(DataType.String, values.Count, node =>
        {
            node.Attribute.Add(Strings("values_strings", [.. values]));
            node.Attribute.Add(new AttributeProto { Name = "default_string", Type = AttributeProto.Types.AttributeType.String, S = ByteString.Empty });
        });

    public static OnnxLabelValues FromFloats(IReadOnlyList<float> values) =>
        new(DataType.Float, values.Count, node =>
        {
            var list = new AttributeProto { Name = "values_floats", Type = AttributeProto.Types.AttributeType.Floats };
            list.Floats.AddRange(values);
            node.Attribute.Add(list);
            node.Attribute.Add(Float("default_float", float.NaN));
        });

    public static OnnxLabelValues FromInt64s(IReadOnlyList<long> values) =>
        new(DataType.Int64, values.Count, node =>
        {
            node.Attribute.Add(Ints("values_int64s", [.. values]));
            node.Attribute.Add(Int("default_int64", -1));
        });

    /// <summary>Appends the LabelEncoder from <paramref name="index"/> (0-based class, int64) to <paramref name="output"/>.</summary>
    public void AddEncoder(OnnxGraphBuilder g, string index, string output)
    {
        g.AddNode("LabelEncoder", output, [index], [output], Ints("keys_int64s", [.. Enumerable.Range(0, Count).Select(i => (long)i)]));
        NodeProto node = g.Graph.Node[^1];
        node.Domain = "ai.onnx.ml";
        _attributes(node);
    }
}
