using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>Producer, opset, names, symbolic batch dimension, descriptions and metadata_props of exported models.</summary>
[TestClass]
public sealed class OnnxMetadataTests
{
    private static readonly NetworkSpec CnnSpec = new(
        InputSpec.Image(3, 6, 6),
        [new Conv2DSpec(4, 3, 1, 1), new BatchNormSpec(), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(5)],
        new LossSpec(LossKind.SoftmaxCrossEntropy));

    [TestMethod]
    public void ModelCarriesProducerOpsetAndDescriptions()
    {
        Network network = OnnxParityCheck.Trained(CnnSpec, seed: 3);
        ModelProto model = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(network));

        Assert.AreEqual("Microsoft.ML.RandAD", model.ProducerName);
        Assert.IsFalse(string.IsNullOrEmpty(model.ProducerVersion));
        Assert.AreEqual(8L, model.IrVersion);
        Assert.AreEqual(1, model.OpsetImport.Count);
        Assert.AreEqual(string.Empty, model.OpsetImport[0].Domain);
        Assert.AreEqual(17L, model.OpsetImport[0].Version);
        StringAssert.Contains(model.DocString, "Conv2D");
        Assert.AreEqual("randad_network", model.Graph.Name);

        ValueInfoProto input = model.Graph.Input.Single();
        Assert.AreEqual("features", input.Name);
        StringAssert.Contains(input.DocString, "planar");
        Assert.AreEqual(2, input.Type.TensorType.Shape.Dim.Count);
        Assert.AreEqual(OnnxNames.BatchDimension, input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.AreEqual(3L * 6 * 6, input.Type.TensorType.Shape.Dim[1].DimValue);

        CollectionAssert.AreEqual(new[] { "logits", "probabilities", "predicted_label" }, model.Graph.Output.Select(o => o.Name).ToArray());
        Assert.IsTrue(model.Graph.Output.All(o => o.DocString.Length > 0 && o.Type.TensorType.Shape.Dim[0].DimParam == OnnxNames.BatchDimension));
        Assert.AreEqual((int)TensorProto.Types.DataType.Int64, model.Graph.Output[2].Type.TensorType.ElemType);

        Dictionary<string, string> metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.AreEqual(CnnSpec, NetworkSpec.FromJson(metadata["randad.spec"]));
        Assert.AreEqual("Multiclass", metadata["randad.task"]);
        Assert.AreEqual("logits,probabilities,predicted_label", metadata["randad.outputs"]);
        Assert.AreEqual("false", metadata["randad.single_row"]);
        Assert.AreEqual(network.Parameters.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata["randad.parameters"]);
        Assert.AreEqual("3", metadata["randad.training_steps"]);
    }

    [TestMethod]
    public void OnnxRuntimeSeesTheMetadataAndTheDynamicBatch()
    {
        Network network = OnnxParityCheck.Trained(NetworkSpec.Mlp(4, [3], 1, new LossSpec(LossKind.BinaryCrossEntropy)), seed: 2);
        var options = new OnnxExportOptions
        {
            InputName = "x",
            ModelName = "churn",
            DocString = "Churn model.",
            ModelVersion = 7,
            Opset = 13,
            Metadata = new Dictionary<string, string> { ["owner"] = "team-a" },
        };
        using var session = new InferenceSession(OnnxExport.ToBytes(network, options));

        ModelMetadata metadata = session.ModelMetadata;
        Assert.AreEqual("Microsoft.ML.RandAD", metadata.ProducerName);
        Assert.AreEqual("churn", metadata.GraphName);
        Assert.AreEqual("Churn model.", metadata.Description);
        Assert.AreEqual(7L, metadata.Version);
        Assert.AreEqual("team-a", metadata.CustomMetadataMap["owner"]);
        Assert.AreEqual("Binary", metadata.CustomMetadataMap["randad.task"]);

        NodeMetadata input = session.InputMetadata["x"];
        CollectionAssert.AreEqual(new[] { -1, 4 }, input.Dimensions);
        Assert.AreEqual(OnnxNames.BatchDimension, input.SymbolicDimensions[0]);
        CollectionAssert.AreEqual(new[] { "score", "probability", "predicted_label" }, session.OutputNames.ToArray());
        Assert.AreEqual(typeof(bool), session.OutputMetadata["predicted_label"].ElementType);
        CollectionAssert.AreEqual(new[] { -1 }, session.OutputMetadata["score"].Dimensions);
    }

    [TestMethod]
    public void RegressionWithSeveralOutputsHasAMatrixScore()
    {
        Network network = Network.Create(NetworkSpec.Mlp(4, [], 3, new LossSpec(LossKind.MeanSquaredError)), seed: 1);
        using var session = new InferenceSession(OnnxExport.ToBytes(network));
        CollectionAssert.AreEqual(new[] { "score" }, session.OutputNames.ToArray());
        CollectionAssert.AreEqual(new[] { -1, 3 }, session.OutputMetadata["score"].Dimensions);
    }

    [TestMethod]
    public void InvalidOptionsAreClearErrors()
    {
        Network network = Network.Create(NetworkSpec.Mlp(4, [3], 2, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxExport.ToBytes(network, new OnnxExportOptions { Opset = 12 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxExport.ToBytes(network, new OnnxExportOptions { Opset = 22 }));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.ToBytes(network, new OnnxExportOptions { Task = OnnxTask.Binary })).Message, "exactly 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.ToBytes(network, new OnnxExportOptions { InputName = "logits" })).Message, "logits");
        Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.ToBytes(network, new OnnxExportOptions { InputName = " " }));
        Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.ToBytes(network, new OnnxExportOptions { Metadata = new Dictionary<string, string> { ["randad.spec"] = "x" } }));
        Assert.ThrowsExactly<ArgumentNullException>(() => OnnxExport.ToBytes((Network)null!));

        Network regression = Network.Create(NetworkSpec.Mlp(4, [3], 1, new LossSpec(LossKind.MeanSquaredError)), seed: 1);
        Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.ToBytes(regression, new OnnxExportOptions { Task = OnnxTask.Multiclass }));
    }

    [TestMethod]
    public void NonFiniteParametersAreRefusedWithTheirName()
    {
        Network network = Network.Create(NetworkSpec.Mlp(4, [3], 2, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 1);
        network.Parameters[^1] = float.NaN; // bias of the output layer
        var error = Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.ToBytes(network));
        StringAssert.Contains(error.Message, "layer2.bias");
        StringAssert.Contains(error.Message, "NaN");
    }

    [TestMethod]
    public void ExportIsDeterministicAndLeavesTheNetworkAsItWas()
    {
        Network network = OnnxParityCheck.Trained(CnnSpec, seed: 4);
        float[] before = (float[])network.Parameters.Clone();
        long steps = network.StepCount;

        byte[] first = OnnxExport.ToBytes(network);
        byte[] second = OnnxExport.ToBytes(network);
        using var stream = new MemoryStream();
        OnnxExport.Save(network, stream);

        CollectionAssert.AreEqual(first, second);
        CollectionAssert.AreEqual(first, stream.ToArray());
        CollectionAssert.AreEqual(before, network.Parameters);
        Assert.AreEqual(steps, network.StepCount);
    }
}
