using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Onnx;
using static Microsoft.ML.RandAD.Tests.Onnx.OnnxPipelineParityTests;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// What the whole-pipeline export refuses, and how: a step ML.NET's converter cannot write is named by index and
/// type; steps after the RandAD step other than MapKeyToValue(PredictedLabel) are named; ML.NET's own ConvertToOnnx
/// throws instead of writing its truncated graph, and <see cref="RandADOnnx.Check(byte[])"/> recognizes that graph.
/// </summary>
[TestClass]
public sealed class OnnxPipelineErrorTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly IDataView Data = RawData(Ml, 60, seed: 7);

    [TestMethod]
    public void StepTheConverterCannotWriteIsNamed()
    {
        ITransformer model = Ml.Transforms.Conversion.MapValueToKey("Label", "Class")
            .Append(Ml.Transforms.CustomMapping<OnnxPipelineParityTests.RawRow, Doubled>((row, output) => output.A2 = 2 * row.A, contractName: null))
            .Append(Ml.Transforms.Concatenate("Features", "A2", "C"))
            .Append(Trainer())
            .Fit(Data);

        var error = Assert.ThrowsExactly<NotSupportedException>(() => Export(model));
        StringAssert.Contains(error.Message, "step 1 (CustomMappingTransformer<RawRow, Doubled>)");
    }

    [TestMethod]
    public void StepThatRewritesAColumnInPlaceIsNamedNotSkipped()
    {
        // ML.NET's converter would stop at the custom step and start the graph from the raw 'A', silently skipping
        // the doubling: the export must refuse instead.
        ITransformer model = Ml.Transforms.CustomMapping<OnnxPipelineParityTests.RawRow, InPlace>((row, output) => output.A = 2 * row.A, contractName: null)
            .Append(Ml.Transforms.Conversion.MapValueToKey("Label", "Class"))
            .Append(Ml.Transforms.Concatenate("Features", "A", "C"))
            .Append(Trainer())
            .Fit(Data);

        var error = Assert.ThrowsExactly<NotSupportedException>(() => Export(model));
        StringAssert.Contains(error.Message, "step 0 (CustomMappingTransformer<RawRow, InPlace>)");
    }

    [TestMethod]
    public void StepAfterTheNetworkIsNamedUnlessItMapsThePredictedLabel()
    {
        ITransformer model = Ml.Transforms.Conversion.MapValueToKey("Label", "Class")
            .Append(Ml.Transforms.Concatenate("Features", "A", "C"))
            .Append(Trainer())
            .Append(Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Append(Ml.Transforms.CopyColumns("Copy", "Score"))
            .Fit(Data);

        var error = Assert.ThrowsExactly<NotSupportedException>(() => Export(model));
        StringAssert.Contains(error.Message, "step 4 (ColumnCopyingTransformer) comes after the RandAD step 2");
    }

    [TestMethod]
    public void ModelWithoutRandADIsRefused()
    {
        ITransformer model = Ml.Transforms.Concatenate("Features", "A", "C").Fit(Data);
        var error = Assert.ThrowsExactly<ArgumentException>(() => Export(model));
        StringAssert.Contains(error.Message, "no RandAD prediction transformer");
    }

    [TestMethod]
    public void MlNetConvertToOnnxThrowsInsteadOfWritingATruncatedGraph()
    {
        ITransformer model = Ml.Transforms.Conversion.MapValueToKey("Label", "Class")
            .Append(Ml.Transforms.Concatenate("Features", "A", "C"))
            .Append(Trainer())
            .Append(Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(Data);

        using var stream = new MemoryStream();
        var error = Assert.ThrowsExactly<NotSupportedException>(() => Ml.Model.ConvertToOnnx(model, Data, stream));
        StringAssert.Contains(error.Message, "ConvertToOnnxWithRandAD");

        // The transformer still transforms normally outside the converter.
        Assert.IsNotNull(model.Transform(Data).Schema.GetColumnOrNull("Score"));
    }

    [TestMethod]
    public void CheckRecognizesTheTruncatedGraph()
    {
        // The truncated graph, made the way ML.NET's converter makes it: a step after ours, converted on our output.
        var prep = Ml.Transforms.Conversion.MapValueToKey("Label", "Class").Append(Ml.Transforms.Concatenate("Features", "A", "C")).Fit(Data);
        IDataView prepared = prep.Transform(Data);
        var network = Trainer().Fit(prepared);
        IDataView scored = network.Transform(prepared);
        var after = Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored);
        using var stream = new MemoryStream();
        Ml.Model.ConvertToOnnx(after, scored, stream);
        byte[] truncated = stream.ToArray();
        using (var session = new InferenceSession(truncated))
        {
            CollectionAssert.Contains(session.InputMetadata.Keys.ToArray(), "Score", "the signature: the score column is a graph input");
        }

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => RandADOnnx.Check(truncated));
        StringAssert.Contains(error.Message, "'Score'");
        StringAssert.Contains(error.Message, "ConvertToOnnxWithRandAD");

        RandADOnnx.Check(Export(prep.Append(network)));
        Assert.ThrowsExactly<InvalidDataException>(() => RandADOnnx.Check([1, 2, 3, 4, 5]));
    }

    [TestMethod]
    public void FailedExportLeavesNoFileAndKeepsAnExistingOne()
    {
        ITransformer model = Ml.Transforms.CustomMapping<OnnxPipelineParityTests.RawRow, Doubled>((row, output) => output.A2 = 2 * row.A, contractName: null)
            .Append(Ml.Transforms.Concatenate("Features", "A2", "C"))
            .Append(Ml.Regression.Trainers.RandAD(labelColumnName: "Target", hiddenLayerSizes: [4], numberOfIterations: 1))
            .Fit(Data);
        string folder = Directory.CreateTempSubdirectory("randad-onnx-").FullName;
        try
        {
            string path = Path.Combine(folder, "model.onnx");
            Assert.ThrowsExactly<NotSupportedException>(() => Ml.Model.ConvertToOnnxWithRandAD(model, Data, path));
            Assert.IsFalse(File.Exists(path));
            File.WriteAllText(path, "before");
            Assert.ThrowsExactly<NotSupportedException>(() => Ml.Model.ConvertToOnnxWithRandAD(model, Data, path));
            Assert.AreEqual("before", File.ReadAllText(path));
            Assert.HasCount(1, Directory.GetFiles(folder), "no temporary file left behind");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SingleRowFormIsForTheNetworkAlone()
    {
        ITransformer model = Ml.Transforms.Concatenate("Features", "A", "C").Append(Ml.Regression.Trainers.RandAD(labelColumnName: "Target", hiddenLayerSizes: [4], numberOfIterations: 1)).Fit(Data);
        using var stream = new MemoryStream();
        Assert.ThrowsExactly<ArgumentException>(() => Ml.Model.ConvertToOnnxWithRandAD(model, Data, stream, new OnnxExportOptions { SingleRow = true }));
    }

    private static RandADMulticlassTrainer Trainer() => Ml.MulticlassClassification.Trainers.RandAD(hiddenLayerSizes: [4], numberOfIterations: 1);

    private static byte[] Export(ITransformer model, IDataView? data = null) => PipelineParityCheck.Export(Ml, model, data ?? Data);

    private sealed class Doubled
    {
        public float A2 { get; set; }
    }

    private sealed class InPlace
    {
        public float A { get; set; }
    }
}
