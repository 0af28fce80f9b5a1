using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.RandAD.Onnx.Proto;
using static Microsoft.ML.RandAD.Tests.Onnx.OnnxPipelineParityTests;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// The shape of whole-pipeline and transformer exports: metadata, opsets, label values of several types, the
/// network alone from its transformer, and input data that is itself a derived view.
/// </summary>
[TestClass]
public sealed class OnnxPipelineExportTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly IDataView Data = RawData(Ml, 90, seed: 11);

    [TestMethod]
    public void PipelineModelRecordsItsStepsAndOpsets()
    {
        ITransformer model = Ml.Transforms.Conversion.MapValueToKey("Label", "Class")
            .Append(Ml.Transforms.Concatenate("Features", "A", "C"))
            .Append(Ml.Transforms.NormalizeMinMax("Features"))
            .Append(Ml.MulticlassClassification.Trainers.RandAD(hiddenLayerSizes: [4], numberOfIterations: 1))
            .Fit(Data);
        ModelProto onnx = ModelProto.Parser.ParseFrom(PipelineParityCheck.Export(Ml, model, Data));

        Dictionary<string, string> metadata = onnx.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.AreEqual("0: ValueToKeyMappingTransformer; 1: ColumnConcatenatingTransformer; 2: NormalizingTransformer; 3: network", metadata["randad.pipeline"]);
        Assert.AreEqual("Features", metadata["randad.feature_column"]);
        Assert.AreEqual("Multiclass", metadata["randad.task"]);
        Assert.AreEqual((long)OnnxExportOptions.DefaultOpset, OnnxGraphJoin.Opset(onnx, string.Empty));
        Assert.AreEqual(2L, OnnxGraphJoin.Opset(onnx, "ai.onnx.ml"));
        Assert.AreEqual(OnnxModelBuilder.IrVersionFor(OnnxExportOptions.DefaultOpset), onnx.IrVersion);
        Assert.AreEqual("randad_pipeline", onnx.Graph.Name);
        CollectionAssert.AreEquivalent(new[] { "A", "C" }, onnx.Graph.Input.Select(i => i.Name).ToArray());
    }

    [TestMethod]
    public void NumericLabelsComeBackAsTheirValues()
    {
        // A Single label mapped to keys: predicted_label_value gives the Single values back.
        IDataView data = Ml.Transforms.Expression("Bucket", "a => floor(a)", "A").Fit(Data).Transform(Data);
        ITransformer model = Ml.Transforms.Conversion.MapValueToKey("Label", "Bucket")
            .Append(Ml.Transforms.Concatenate("Features", "A", "C"))
            .Append(Ml.MulticlassClassification.Trainers.RandAD(hiddenLayerSizes: [6], numberOfIterations: 2))
            .Append(Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        float[] expected = [.. model.Transform(data).GetColumn<float>("PredictedLabel")];

        using var session = new InferenceSession(PipelineParityCheck.Export(Ml, model, data));
        Dictionary<string, Array> outputs = PipelineParityCheck.RunSession(session, data, 0, 90);
        CollectionAssert.AreEqual(expected, (float[])outputs[OnnxNames.PredictedLabelValue]);
    }

    [TestMethod]
    public void TransformerAloneExportsTheNetworkWithLabelValues()
    {
        var prep = Ml.Transforms.Conversion.MapValueToKey("Label", "Class").Append(Ml.Transforms.Concatenate("Features", "A", "B", "C")).Fit(Data);
        IDataView prepared = prep.Transform(Data);
        RandADMulticlassPredictionTransformer network = Ml.MulticlassClassification.Trainers.RandAD(hiddenLayerSizes: [6], numberOfIterations: 2).Fit(prepared);
        string[] expected = [.. Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(network.Transform(prepared)).Transform(network.Transform(prepared)).GetColumn<string>("PredictedLabel")];

        using var session = new InferenceSession(OnnxExport.ToBytes(network));
        Assert.AreEqual(OnnxNames.Features, session.InputMetadata.Keys.Single());
        float[] features = [.. PipelineParityCheck.FloatRows(prepared, "Features").SelectMany(r => r)];
        Dictionary<string, Array> outputs = OnnxParityCheck.Run(session, OnnxNames.Features, features, 90, 7);
        CollectionAssert.AreEqual(expected, (string[])outputs[OnnxNames.PredictedLabelValue]);

        // The pipeline export of the transformer alone reads the feature column by its own name.
        using var alone = new InferenceSession(PipelineParityCheck.Export(Ml, network, prepared));
        Assert.AreEqual("Features", alone.InputMetadata.Keys.Single());

        // Single-row form from the transformer, as ApplyOnnxModel takes it.
        using var single = new InferenceSession(OnnxExport.ToBytes(network, new OnnxExportOptions { SingleRow = true }));
        CollectionAssert.AreEqual(new[] { 1 }, single.OutputMetadata[OnnxNames.PredictedLabelValue].Dimensions);
    }

    [TestMethod]
    public void CategoricalAndMissingValueStepsExport()
    {
        // One-hot encoding of a text column and missing-value replacement: ML.NET writes them with ai.onnx.ml
        // operators and opset-12 standard ones, all carried into the joined opset-17 model.
        IDataView data = Ml.Transforms.Expression("Color", "b => b > 12 ? \"warm\" : \"cold\"", "B").Fit(Data).Transform(Data);
        ITransformer model = Ml.Transforms.Categorical.OneHotEncoding("ColorKey", "Color")
            .Append(Ml.Transforms.ReplaceMissingValues("C"))
            .Append(Ml.Transforms.Concatenate("Features", "A", "C", "ColorKey"))
            .Append(Ml.Transforms.NormalizeMinMax("Features"))
            .Append(Ml.Regression.Trainers.RandAD(labelColumnName: "Target", hiddenLayerSizes: [4], numberOfIterations: 1))
            .Fit(data);
        float[] expected = [.. model.Transform(data).GetColumn<float>("Score")];
        byte[] onnx = PipelineParityCheck.Export(Ml, model, data);
        using var session = new InferenceSession(onnx);
        CollectionAssert.AreEquivalent(new[] { "A", "C", "Color" }, session.InputMetadata.Keys.ToArray());
        using var a = OrtValue.CreateTensorValueFromMemory(PipelineParityCheck.FloatRows(data, "A").SelectMany(r => r).ToArray(), [90, 1]);
        using var c = OrtValue.CreateTensorValueFromMemory(PipelineParityCheck.FloatRows(data, "C").SelectMany(r => r).ToArray(), [90, 5]);
        using var color = OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(data.GetColumn<string>("Color").ToArray(), [90, 1]));
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["A", "C", "Color"], [a, c, color], [OnnxNames.Score]);
        PipelineParityCheck.Compare(expected, results[0].GetTensorDataAsSpan<float>().ToArray(), relative: true, "one-hot pipeline");
    }

    [TestMethod]
    public void SplitDataIsAcceptedAsInputData()
    {
        // TrainTestSplit returns filtered views; the converter must still start at the raw columns.
        var split = Ml.Data.TrainTestSplit(Data, testFraction: 0.3, seed: 1);
        ITransformer model = Ml.Transforms.Concatenate("Features", "A", "C")
            .Append(Ml.Regression.Trainers.RandAD(labelColumnName: "Target", hiddenLayerSizes: [4], numberOfIterations: 1))
            .Fit(split.TrainSet);
        float[] expected = [.. model.Transform(split.TestSet).GetColumn<float>("Score")];
        using var session = new InferenceSession(PipelineParityCheck.Export(Ml, model, split.TestSet));
        float[] actual = (float[])PipelineParityCheck.RunSession(session, split.TestSet, 0, expected.Length)[OnnxNames.Score];
        PipelineParityCheck.Compare(expected, actual, relative: true, "split test set");
    }
}
