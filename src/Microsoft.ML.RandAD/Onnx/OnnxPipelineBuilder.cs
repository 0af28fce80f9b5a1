using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx.Proto;
using DataType = Microsoft.ML.RandAD.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Builds the ONNX model of a whole trained pipeline: ML.NET's steps in front of the network, written by ML.NET's
/// converter (<see cref="PreprocessingConverter"/>), joined at the feature column to the network's graph
/// (<see cref="OnnxModelBuilder"/>) by <see cref="OnnxGraphJoin"/>. The model's inputs are the raw columns the
/// steps read (as ML.NET writes them: <c>[-1, size]</c> per column), its outputs the task's (<see cref="OnnxNames"/>).
/// </summary>
internal static class OnnxPipelineBuilder
{
    /// <summary>The model of <paramref name="preprocessing"/> followed by <paramref name="network"/>.</summary>
    /// <param name="preprocessing">The fitted steps before the network, in order (may be empty).</param>
    /// <param name="inputSchema">The schema of the data the first step reads (the raw columns).</param>
    /// <param name="featureColumn">The column the network reads.</param>
    /// <param name="network">The trained network.</param>
    /// <param name="options">Task, opset, names and metadata; the single-row form is refused.</param>
    public static ModelProto Build(IReadOnlyList<ITransformer> preprocessing, DataViewSchema inputSchema, string featureColumn, Network network, OnnxExportOptions options)
    {
        if (options.SingleRow)
        {
            throw new ArgumentException("A whole-pipeline export is batched (ML.NET's converter writes [-1, size] inputs); SingleRow applies to the network alone.", nameof(options));
        }

        OnnxExportOptions networkOptions = options.Clone();
        networkOptions.InputName = featureColumn;
        ModelProto back = OnnxModelBuilder.Build(network, networkOptions);
        back.Graph.Name = options.ModelName ?? "randad_pipeline";
        AddMetadata(back, "feature_column", featureColumn);
        AddMetadata(back, "pipeline", string.Join("; ", preprocessing.Select((step, i) => $"{i}: {PreprocessingConverter.StepName(step)}").Append($"{preprocessing.Count}: network")));
        if (preprocessing.Count == 0)
        {
            return back; // the network alone, its input named after the feature column
        }

        ModelProto front = PreprocessingConverter.Convert(preprocessing, inputSchema, featureColumn);
        string features = PreprocessingConverter.OutputName(featureColumn);
        CheckFeatures(front.Graph.Output.First(o => o.Name == features), featureColumn, network.InputSize);
        ModelProto model = new OnnxGraphJoin(features).Join(front, back);
        model.Graph.DocString = $"ML.NET preprocessing ({preprocessing.Count} steps, written by ML.NET's converter) joined to the {back.Graph.DocString}";
        return model;
    }

    private static void CheckFeatures(ValueInfoProto features, string column, int size)
    {
        TypeProto.Types.Tensor? tensor = features.Type?.TensorType;
        var dims = tensor?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
        if (tensor is null || tensor.ElemType != (int)DataType.Float || dims.Length != 2 || dims[1] != size)
        {
            string found = tensor is null ? "not a tensor" : $"element type {(DataType)tensor.ElemType}, shape [{string.Join(", ", dims)}]";
            throw new NotSupportedException($"ML.NET's converter wrote column '{column}' as {found}; the network reads {size} floats per row.");
        }
    }

    private static void AddMetadata(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxModelBuilder.MetadataPrefix + key, Value = value });
}
