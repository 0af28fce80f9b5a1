using Google.Protobuf.Collections;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Joins two ONNX models into one: the value <paramref name="Value"/> of the <b>front</b> model (ML.NET's
/// preprocessing) feeds the input of the <b>back</b> model (the network). The result takes its inputs from the
/// front and its outputs from the back.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The front is pruned to what <c>Value</c> needs: its other nodes, the inputs nothing reads and unused
/// initializers go (ML.NET's converter exports every column it sees, the label too), and so do its value infos.</item>
/// <item>The back's names are kept unless the front already uses them: clashing value and node names get a
/// suffix; a graph output of the back that clashes is an error, since those names are the model's contract.</item>
/// <item>One ai.onnx opset for both: the higher one, the front's nodes rewritten for it
/// (<see cref="OnnxOpsetUpgrade"/>); other domains (ai.onnx.ml) take the higher version of the two.</item>
/// </list>
/// </remarks>
/// <param name="Value">Name of the front's value the back reads.</param>
internal readonly record struct OnnxGraphJoin(string Value)
{
    /// <summary>A copy of the model's own fields (producer, metadata, …) without deep-copying its graph and weights.</summary>
    private static ModelProto CloneWithout(GraphProto graph, ModelProto model)
    {
        model.Graph = null;
        try
        {
            return model.Clone();
        }
        finally
        {
            model.Graph = graph;
        }
    }

    public ModelProto Join(ModelProto front, ModelProto back)
    {
        GraphProto frontGraph = front.Graph.Clone();
        Prune(frontGraph, Value);
        var frontValues = new HashSet<string>(ValueNames(frontGraph), StringComparer.Ordinal);
        var frontNodes = new HashSet<string>(frontGraph.Node.Select(n => n.Name), StringComparer.Ordinal);

        GraphProto backGraph = back.Graph.Clone();
        if (backGraph.Input.Count != 1)
        {
            throw new InvalidOperationException($"The network graph has {backGraph.Input.Count} inputs; exactly one is joined.");
        }

        string backInput = backGraph.Input[0].Name;
        foreach (ValueInfoProto output in backGraph.Output)
        {
            if (frontValues.Contains(output.Name))
            {
                throw new InvalidOperationException(
                    $"The pipeline already has a value named '{output.Name}' (an input column?), which is also the name of a model output; rename that column.");
            }
        }

        var taken = new HashSet<string>(frontValues, StringComparer.Ordinal);
        taken.UnionWith(ValueNames(backGraph));
        var renames = new Dictionary<string, string>(StringComparer.Ordinal) { [backInput] = Value };
        foreach (string name in ValueNames(backGraph))
        {
            if (name != backInput && frontValues.Contains(name))
            {
                renames[name] = Fresh(name, taken);
            }
        }

        RenameValues(backGraph, renames);
        var takenNodes = new HashSet<string>(frontNodes.Concat(backGraph.Node.Select(n => n.Name)), StringComparer.Ordinal);
        foreach (NodeProto node in backGraph.Node.Where(n => frontNodes.Contains(n.Name)))
        {
            node.Name = Fresh(node.Name, takenNodes);
        }

        long opset = Math.Max(Opset(front, string.Empty), Opset(back, string.Empty));
        OnnxOpsetUpgrade.Upgrade(frontGraph, Opset(front, string.Empty), opset, hint => Fresh(hint, taken));

        var graph = new GraphProto { Name = backGraph.Name, DocString = backGraph.DocString };
        graph.Input.AddRange(frontGraph.Input);
        graph.Output.AddRange(backGraph.Output);
        graph.Node.AddRange(frontGraph.Node);
        graph.Node.AddRange(backGraph.Node);
        graph.Initializer.AddRange(frontGraph.Initializer);
        graph.Initializer.AddRange(backGraph.Initializer);
        // The front's value infos are left out: they are optional shape hints, and ML.NET's are sometimes wrong
        // (OneHotEncoding declares [-1, 2] for a [-1, 1, 2] value), which ONNX Runtime warns about on every load.
        graph.ValueInfo.AddRange(backGraph.ValueInfo);

        ModelProto model = CloneWithout(back.Graph, back);
        model.Graph = graph;
        model.IrVersion = Math.Max(front.IrVersion, back.IrVersion);
        model.OpsetImport.Clear();
        foreach (string domain in front.OpsetImport.Concat(back.OpsetImport).Select(o => Domain(o.Domain)).Distinct())
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = Math.Max(Opset(front, domain), Opset(back, domain)) });
        }

        return model;
    }

    /// <summary>The version a model imports for <paramref name="domain"/> ("" and "ai.onnx" are the same), 0 if none.</summary>
    internal static long Opset(ModelProto model, string domain) =>
        model.OpsetImport.Where(o => Domain(o.Domain) == Domain(domain)).Select(o => o.Version).DefaultIfEmpty(0).Max();

    /// <summary>Keeps only what computes <paramref name="value"/>; it becomes the graph's only output.</summary>
    internal static void Prune(GraphProto graph, string value)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            foreach (string output in node.Output.Where(o => o.Length > 0))
            {
                producers[output] = node;
            }
        }

        bool isInput = graph.Input.Any(i => i.Name == value);
        if (!producers.ContainsKey(value) && !isInput)
        {
            throw new InvalidOperationException($"The preprocessing graph computes no value '{value}'.");
        }

        var needed = new HashSet<string>(StringComparer.Ordinal);
        var keep = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([value]);
        while (pending.TryPop(out string? name))
        {
            if (name.Length == 0 || !needed.Add(name) || !producers.TryGetValue(name, out NodeProto? node) || !keep.Add(node))
            {
                continue;
            }

            foreach (string input in node.Input)
            {
                pending.Push(input);
            }
        }

        Retain(graph.Node, keep.Contains);
        Retain(graph.Input, i => needed.Contains(i.Name));
        Retain(graph.Initializer, t => needed.Contains(t.Name));
        Retain(graph.ValueInfo, v => needed.Contains(v.Name) && v.Name != value);
        graph.Output.Clear();
    }

    private static IEnumerable<string> ValueNames(GraphProto graph) =>
        graph.Input.Select(i => i.Name)
            .Concat(graph.Initializer.Select(t => t.Name))
            .Concat(graph.Node.SelectMany(n => n.Input.Concat(n.Output)))
            .Concat(graph.Output.Select(o => o.Name))
            .Where(name => name.Length > 0)
            .Distinct(StringComparer.Ordinal);

    private static void RenameValues(GraphProto graph, IReadOnlyDictionary<string, string> renames)
    {
        string Map(string name) => renames.TryGetValue(name, out string? renamed) ? renamed : name;
        foreach (NodeProto node in graph.Node)
        {
            MapAll(node.Input, Map);
            MapAll(node.Output, Map);
        }

        foreach (TensorProto initializer in graph.Initializer)
        {
            initializer.Name = Map(initializer.Name);
        }

        foreach (ValueInfoProto info in graph.ValueInfo.Concat(graph.Output))
        {
            info.Name = Map(info.Name);
        }

        graph.Input.Clear(); // the one input is now the front's value
    }

    private static void MapAll(RepeatedField<string> names, Func<string, string> map)
    {
        for (int i = 0; i < names.Count; i++)
        {
            names[i] = map(names[i]);
        }
    }

    private static void Retain<T>(RepeatedField<T> items, Func<T, bool> keep)
    {
        T[] kept = [.. items.Where(keep)];
        items.Clear();
        items.AddRange(kept);
    }

    private static string Fresh(string hint, HashSet<string> taken)
    {
        string name = hint;
        for (int i = 1; !taken.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    private static string Domain(string domain) => domain == "ai.onnx" ? string.Empty : domain;
}
