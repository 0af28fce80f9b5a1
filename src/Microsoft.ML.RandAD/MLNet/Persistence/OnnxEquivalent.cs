using Google.Protobuf;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Export;
using Microsoft.ML.RandAD.MLNet.Scoring;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.MLNet.Persistence;

/// <summary>
/// How a RandAD transformer saves: ML.NET keeps its save/load machinery internal (MLNET-NOTES.md), so the
/// transformer writes an equivalent chain of ML.NET's own, loadable transformers instead:
/// <list type="number">
/// <item><c>ApplyOnnxModel</c> holding the network as in-memory ONNX bytes (RandAD's exporter, single-row form:
/// input [D] named after the feature column, outputs renamed to <c>RandAD.Saved.*</c> so they cannot clash);</item>
/// <item>multiclass: <c>CopyColumns</c> probabilities → <c>Score</c>; a <c>CustomMapping</c> turns the [1] argmax
/// into a scalar; <c>MapValue(..., treatValuesAsKeyType: true)</c> maps it to the label's values, rebuilding the
/// <c>PredictedLabel</c> key (same values, same order); binary and regression: a <c>CustomMapping</c> turns the [1]
/// outputs into the scalar <c>Score</c>/<c>Probability</c>/<c>PredictedLabel</c>;</item>
/// <item><c>DropColumns</c> removes the temporary columns.</item>
/// </list>
/// <c>Model.Load</c> therefore returns ML.NET types (a nested <c>TransformerChain</c>) that score through ONNX
/// Runtime; loading needs this assembly for the custom mappings. ONNX Runtime's kernels round differently from
/// the engine's: scores agree to ~1e-6, so a predicted label can only differ where two classes tie to that precision.
/// </summary>
internal static class OnnxEquivalent
{
    public const string Prefix = "RandAD.Saved.";
    public const string ScoreColumn = Prefix + "Score";
    public const string ProbabilityColumn = Prefix + "Probability";
    public const string PredictedLabelColumn = Prefix + "PredictedLabel";
    public const string ProbabilitiesColumn = Prefix + "Probabilities";
    public const string PredictedIndexColumn = Prefix + "PredictedIndex";
    public const string PredictedKeyIndexColumn = Prefix + "PredictedKeyIndex";

    public static void Save(RandADPredictionTransformer transformer, ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var ml = new MLContext(seed: 0);
        ITransformer chain = Build(ml, transformer);
        try
        {
            chain.Save(ctx);
        }
        finally
        {
            // OnnxTransformer keeps a temporary model file until disposed.
            (chain as IDisposable)?.Dispose();
        }
    }

    /// <summary>The equivalent chain of ML.NET transformers (fitted on an empty view with the feature column).</summary>
    internal static ITransformer Build(MLContext ml, RandADPredictionTransformer transformer)
    {
        string features = transformer.FeatureColumnName;
        OnnxTask task = ExportedScorer.Task(transformer);
        Dictionary<string, string> outputs = task switch
        {
            OnnxTask.Multiclass => new()
            {
                [OnnxNames.Probabilities] = ProbabilitiesColumn,
                [OnnxNames.PredictedLabel] = PredictedIndexColumn,
            },
            OnnxTask.Binary => new()
            {
                [OnnxNames.Score] = ScoreColumn,
                [OnnxNames.Probability] = ProbabilityColumn,
                [OnnxNames.PredictedLabel] = PredictedLabelColumn,
            },
            _ => new() { [OnnxNames.Score] = ScoreColumn },
        };

        ModelProto model = OnnxModelBuilder.Build(transformer.Model.Network, new OnnxExportOptions { Task = task, SingleRow = true, InputName = features });
        RenameOutputs(model, outputs);
        IEstimator<ITransformer> chain = ml.Transforms.ApplyOnnxModel([.. outputs.Values], [features], new MemoryStream(model.ToByteArray()));
        chain = transformer switch
        {
            RandADMulticlassPredictionTransformer multiclass => chain
                .Append(ml.Transforms.CopyColumns(MulticlassScoreColumns.Score, ProbabilitiesColumn))
                .Append(ml.Transforms.CustomMapping<SavedPredictedIndex, SavedPredictedKeyIndex>(SavedMulticlassMapping.Map, SavedMulticlassMapping.ContractName))
                .Append(SavedKeyMapping.Create(ml, multiclass.MulticlassColumns, PredictedKeyIndexColumn, MulticlassScoreColumns.PredictedLabel))
                .Append(ml.Transforms.DropColumns(ProbabilitiesColumn, PredictedIndexColumn, PredictedKeyIndexColumn)),
            RandADBinaryPredictionTransformer => chain
                .Append(ml.Transforms.CustomMapping<SavedBinaryOutputs, SavedBinaryScores>(SavedBinaryMapping.Map, SavedBinaryMapping.ContractName))
                .Append(ml.Transforms.DropColumns(ScoreColumn, ProbabilityColumn, PredictedLabelColumn)),
            _ => chain
                .Append(ml.Transforms.CustomMapping<SavedRegressionOutput, SavedRegressionScore>(SavedRegressionMapping.Map, SavedRegressionMapping.ContractName))
                .Append(ml.Transforms.DropColumns(ScoreColumn)),
        };

        return chain.Fit(EmptyFeatures(ml, features, transformer.Model.FeatureCount));
    }

    /// <summary>Renames graph outputs (and every node edge that carries them).</summary>
    private static void RenameOutputs(ModelProto model, IReadOnlyDictionary<string, string> names)
    {
        foreach (NodeProto node in model.Graph.Node)
        {
            Rename(node.Input, names);
            Rename(node.Output, names);
        }

        foreach (ValueInfoProto output in model.Graph.Output)
        {
            output.Name = names.TryGetValue(output.Name, out string? name) ? name : output.Name;
        }
    }

    private static void Rename(Google.Protobuf.Collections.RepeatedField<string> edges, IReadOnlyDictionary<string, string> names)
    {
        for (int i = 0; i < edges.Count; i++)
        {
            if (names.TryGetValue(edges[i], out string? name))
            {
                edges[i] = name;
            }
        }
    }

    private static IDataView EmptyFeatures(MLContext ml, string name, int size)
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(FeatureRow));
        definition[0].ColumnName = name;
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return ml.Data.LoadFromEnumerable(new List<FeatureRow>(), definition);
    }

    private sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }
}
