using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Rewrites the standard-domain nodes of a graph written for an older ai.onnx opset so they mean the same at a newer
/// one. A model has a single ai.onnx opset, and ML.NET's converter writes opset 12 while the network needs 13 or
/// later: joining the two raises ML.NET's part, so the operators that changed incompatibly in between must follow.
/// </summary>
/// <remarks>
/// The changes between opsets 9 and 21 that can be rewritten are attributes that became inputs (<c>axes</c> of
/// Squeeze, Unsqueeze and the Reduce family, <c>split</c> of Split). Operators whose meaning changed (Softmax,
/// LogSoftmax and Hardmax at 13 coerce differently) are refused with their node named rather than guessed at.
/// Every other operator ML.NET writes kept its meaning across these opsets.
/// </remarks>
internal static class OnnxOpsetUpgrade
{
    /// <summary>Operator → (opset from which the attribute is an input, attribute name, input position).</summary>
    private static readonly Dictionary<string, (int Opset, string Attribute, int Input)> AttributeBecameInput = new(StringComparer.Ordinal)
    {
        ["Squeeze"] = (13, "axes", 1),
        ["Unsqueeze"] = (13, "axes", 1),
        ["ReduceSum"] = (13, "axes", 1),
        ["Split"] = (13, "split", 1),
        ["ReduceMean"] = (18, "axes", 1),
        ["ReduceMax"] = (18, "axes", 1),
        ["ReduceMin"] = (18, "axes", 1),
        ["ReduceProd"] = (18, "axes", 1),
        ["ReduceL1"] = (18, "axes", 1),
        ["ReduceL2"] = (18, "axes", 1),
        ["ReduceLogSum"] = (18, "axes", 1),
        ["ReduceLogSumExp"] = (18, "axes", 1),
        ["ReduceSumSquare"] = (18, "axes", 1),
    };

    /// <summary>Operators whose meaning changed at the given opset in a way not rewritten here.</summary>
    private static readonly Dictionary<string, int> MeaningChanged = new(StringComparer.Ordinal)
    {
        ["Softmax"] = 13,
        ["LogSoftmax"] = 13,
        ["Hardmax"] = 13,
        ["Upsample"] = 10, // removed in favour of Resize
    };

    /// <summary>
    /// Rewrites the ai.onnx nodes of <paramref name="graph"/> from opset <paramref name="from"/> to <paramref name="to"/>;
    /// new initializers get names from <paramref name="newName"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">A node uses an operator whose meaning changed in between.</exception>
    public static void Upgrade(GraphProto graph, long from, long to, Func<string, string> newName)
    {
        if (from >= to)
        {
            return;
        }

        foreach (NodeProto node in graph.Node)
        {
            if (node.Domain is not ("" or "ai.onnx"))
            {
                continue;
            }

            if (MeaningChanged.TryGetValue(node.OpType, out int changedAt) && from < changedAt && to >= changedAt)
            {
                throw new NotSupportedException(
                    $"Node '{node.Name}' ({node.OpType}) was written for ai.onnx opset {from}; its meaning changed at opset {changedAt}, and the joined model needs opset {to}.");
            }

            if (AttributeBecameInput.TryGetValue(node.OpType, out var change) && from < change.Opset && to >= change.Opset)
            {
                MoveAttributeToInput(graph, node, change.Attribute, change.Input, newName);
            }
        }
    }

    private static void MoveAttributeToInput(GraphProto graph, NodeProto node, string attributeName, int input, Func<string, string> newName)
    {
        AttributeProto? attribute = node.Attribute.FirstOrDefault(a => a.Name == attributeName);
        if (attribute is null)
        {
            return; // absent axes/split: the default (all axes, equal parts) is the same either way
        }

        node.Attribute.Remove(attribute);
        string name = newName($"{node.Name}_{attributeName}");
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(attribute.Ints.Count);
        tensor.Int64Data.AddRange(attribute.Ints);
        graph.Initializer.Add(tensor);
        while (node.Input.Count < input)
        {
            node.Input.Add(string.Empty); // optional inputs in between stay unset
        }

        node.Input.Insert(input, name);
    }
}
