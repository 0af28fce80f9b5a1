using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.RandAD.Onnx.Proto;
using DataType = Microsoft.ML.RandAD.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// <see cref="OnnxGraphJoin"/> on hand-made front graphs: opset-12 nodes whose attributes became inputs are
/// rewritten (the joined model runs in ONNX Runtime and computes the network on the front's value), operators whose
/// meaning changed are refused by name, unused front inputs are pruned, and clashing names are kept apart.
/// </summary>
[TestClass]
public sealed class OnnxGraphJoinTests
{
    [TestMethod]
    public void AttributeFormNodesOfOpset12RunAtTheNetworksOpset()
    {
        // features = ReduceSum(Unsqueeze(x, axes=[1]), axes=[1], keepdims=0) * 2: the identity times two, through
        // the three operators whose axes became inputs at opset 13.
        var front = Front(out GraphProto graph);
        graph.Node.Add(Node("Unsqueeze", ["x"], ["x3"], Ints("axes", 1)));
        graph.Node.Add(Node("ReduceSum", ["x3"], ["sum"], Ints("axes", 1), Int("keepdims", 0)));
        graph.Node.Add(Node("Mul", ["sum", "two"], ["feat"]));
        graph.Initializer.Add(new TensorProto { Name = "two", DataType = (int)DataType.Float, FloatData = { 2f } });

        Network network = OnnxParityCheck.Trained(NetworkSpec.Mlp(3, [5], 1, new LossSpec(LossKind.MeanSquaredError)), seed: 3);
        ModelProto joined = new OnnxGraphJoin("feat").Join(front, OnnxModelBuilder.Build(network, new OnnxExportOptions()));

        Assert.AreEqual(17L, OnnxGraphJoin.Opset(joined, string.Empty));
        CollectionAssert.AreEqual(new[] { "x" }, joined.Graph.Input.Select(i => i.Name).ToArray(), "the unused input 'ignored' is pruned");
        Assert.IsFalse(joined.Graph.Node.Any(n => n.Attribute.Any(a => a.Name == "axes")), "axes moved to inputs");

        float[] x = OnnxParityCheck.Features(4, 3, new Random(1));
        using var session = new InferenceSession(joined.ToByteArray());
        using var input = OrtValue.CreateTensorValueFromMemory(x, [4, 3]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x"], [input], [OnnxNames.Score]);
        float[] expected = OnnxParityCheck.EngineOutputs(network, [.. x.Select(v => 2 * v)], 4);
        float[] actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-5f, $"row {i}");
        }
    }

    [TestMethod]
    public void OperatorWhoseMeaningChangedIsRefusedByName()
    {
        var front = Front(out GraphProto graph);
        graph.Node.Add(Node("Softmax", ["x"], ["feat"], name: "old_softmax"));
        Network network = Network.Create(NetworkSpec.Mlp(3, [2], 1, new LossSpec(LossKind.MeanSquaredError)), seed: 1);
        var error = Assert.ThrowsExactly<NotSupportedException>(() => new OnnxGraphJoin("feat").Join(front, OnnxModelBuilder.Build(network, new OnnxExportOptions())));
        StringAssert.Contains(error.Message, "'old_softmax' (Softmax)");
    }

    [TestMethod]
    public void ClashingNamesAreKeptApartAndOutputClashesRefused()
    {
        // The front uses the network's own value and node names; the back's get suffixes, the graph still runs.
        var front = Front(out GraphProto graph);
        graph.Node.Add(Node("Identity", ["x"], ["layer0.weight"], name: "layer0_dense"));
        graph.Node.Add(Node("Identity", ["layer0.weight"], ["feat"]));
        Network network = Network.Create(NetworkSpec.Mlp(3, [2], 1, new LossSpec(LossKind.MeanSquaredError)), seed: 1);
        ModelProto joined = new OnnxGraphJoin("feat").Join(front, OnnxModelBuilder.Build(network, new OnnxExportOptions()));
        Assert.AreEqual(joined.Graph.Node.Count, joined.Graph.Node.Select(n => n.Name).Distinct().Count(), "node names unique");
        using (new InferenceSession(joined.ToByteArray()))
        {
        }

        var clash = Front(out GraphProto clashing);
        clashing.Input.Add(Info(OnnxNames.Score, 1));
        clashing.Node.Add(Node("Add", ["x", OnnxNames.Score], ["feat"]));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => new OnnxGraphJoin("feat").Join(clash, OnnxModelBuilder.Build(network, new OnnxExportOptions())));
        StringAssert.Contains(error.Message, "'score'");
    }

    /// <summary>An opset-12 model (as ML.NET writes) with inputs x [-1, 3] and an unused 'ignored'.</summary>
    private static ModelProto Front(out GraphProto graph)
    {
        graph = new GraphProto { Name = "front" };
        graph.Input.Add(Info("x", 3));
        graph.Input.Add(Info("ignored", 1));
        var model = new ModelProto { IrVersion = 6, ProducerName = "test", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 12 });
        return model;
    }

    private static ValueInfoProto Info(string name, long size) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)DataType.Float,
                Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = -1 }, new TensorShapeProto.Types.Dimension { DimValue = size } } },
            },
        },
    };

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        Node(op, inputs, outputs, op.ToLowerInvariant(), attributes);

    private static NodeProto Node(string op, string[] inputs, string[] outputs, string name, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values) => OnnxGraphBuilder.Ints(name, values);

    private static AttributeProto Int(string name, long value) => OnnxGraphBuilder.Int(name, value);
}
