using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// <see cref="RandADModelParameters.Load(Stream)"/> reads back what the exporter wrote: the same architecture and the same
/// parameter bits for every layer type (Dense, Conv2D with its weight permuted, BatchNorm with its running statistics, IRNN
/// with its transposed weights), in the batched and the single-row form.
/// </summary>
[TestClass]
public sealed class OnnxImportTests
{
    public static IEnumerable<object[]> Forms =>
        from architecture in OnnxParityTests.Architectures
        from singleRow in new[] { false, true }
        select new object[] { architecture[0], architecture[1], singleRow };

    [TestMethod]
    [DynamicData(nameof(Forms))]
    public void EveryArchitectureReadsBackBitForBit(string name, NetworkSpec spec, bool singleRow)
    {
        Network network = OnnxParityCheck.Trained(spec, seed: 21);
        byte[] onnx = OnnxExport.ToBytes(network, new OnnxExportOptions { SingleRow = singleRow });

        RandADModelParameters loaded = RandADModelParameters.Load(new MemoryStream(onnx));

        Assert.AreEqual(spec.ToJson(), loaded.Spec.ToJson(), name);
        KernelTestCases.AssertBitEqual(network.Parameters, loaded.Network.Parameters, $"{name}, single row {singleRow}");
        Assert.HasCount(0, loaded.History);
    }

    [TestMethod]
    public void RandomArchitecturesReadBackBitForBit()
    {
        for (int seed = 1; seed <= 30; seed++)
        {
            NetworkSpec spec = RandomArchitectures.Create(seed);
            var network = Network.Create(spec, (ulong)seed);
            RandADModelParameters loaded = RandADModelParameters.Load(new MemoryStream(OnnxExport.ToBytes(network)));
            KernelTestCases.AssertBitEqual(network.Parameters, loaded.Network.Parameters, $"random architecture {seed}: {spec.ToJson()}");
        }
    }

    [TestMethod]
    public void WhatIsNotARandADModelIsRefusedWithTheReason()
    {
        var garbage = Assert.ThrowsExactly<InvalidDataException>(() => RandADModelParameters.Load(new MemoryStream([1, 2, 3, 4, 5, 6, 7])));
        StringAssert.Contains(garbage.Message, "neither a model zip nor an ONNX model");

        // An ONNX model without the exporter's metadata.
        var model = Microsoft.ML.RandAD.Onnx.Proto.ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(Network.Create(NetworkSpec.Mlp(4, [3], 2, new LossSpec(LossKind.SoftmaxCrossEntropy)), 1)));
        model.MetadataProps.Clear();
        var noSpec = Assert.ThrowsExactly<InvalidDataException>(() => RandADModelParameters.Load(new MemoryStream(Google.Protobuf.MessageExtensions.ToByteArray(model))));
        StringAssert.Contains(noSpec.Message, "no 'randad.spec' metadata");

        // A model zip without a RandAD step.
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Microsoft.ML.RandAD.Tests.MLNet.SyntheticData.Blobs(20, seed: 1));
        ITransformer normalizer = ml.Transforms.NormalizeMinMax("Features").Fit(data);
        using var zip = new MemoryStream();
        ml.Model.Save(normalizer, data.Schema, zip);
        zip.Position = 0;
        var noNetwork = Assert.ThrowsExactly<InvalidDataException>(() => RandADModelParameters.Load(zip));
        StringAssert.Contains(noNetwork.Message, "holds no RandAD network");
    }
}
