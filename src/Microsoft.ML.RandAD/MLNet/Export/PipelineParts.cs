using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Scoring;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.RandAD.MLNet.Export;

/// <summary>
/// A fitted pipeline cut at its RandAD step: the ML.NET steps in front (exported by ML.NET's converter), the RandAD
/// prediction transformer (exported by ours), and the steps after it, of which only <c>MapKeyToValue</c> of
/// <c>PredictedLabel</c> is accepted (the export's <see cref="OnnxNames.PredictedLabelValue"/> output is that).
/// </summary>
internal sealed record PipelineParts(IReadOnlyList<ITransformer> Preprocessing, RandADPredictionTransformer Network)
{
    /// <summary>Cuts <paramref name="model"/> (a transformer or a possibly nested chain) at its RandAD step.</summary>
    /// <exception cref="ArgumentException">No RandAD step, or more than one.</exception>
    /// <exception cref="NotSupportedException">A step after the RandAD step that the export cannot carry (named).</exception>
    public static PipelineParts Split(ITransformer model, DataViewSchema inputSchema)
    {
        List<ITransformer> steps = [.. Flatten(model)];
        int[] network = [.. steps.Select((step, i) => (step, i)).Where(s => s.step is RandADPredictionTransformer).Select(s => s.i)];
        if (network.Length == 0)
        {
            throw new ArgumentException(
                $"The model holds no RandAD prediction transformer (steps: {Describe(steps)}). A model reloaded with Model.Load holds ML.NET's " +
                "ApplyOnnxModel in its place: export the fitted model before saving it. For pipelines without RandAD, ML.NET's ConvertToOnnx is the call.",
                nameof(model));
        }

        if (network.Length > 1)
        {
            throw new ArgumentException($"The model holds {network.Length} RandAD prediction transformers (steps {string.Join(", ", network)}); one is exported with its preprocessing.", nameof(model));
        }

        int at = network[0];
        var parts = new PipelineParts(steps[..at], (RandADPredictionTransformer)steps[at]);
        DataViewSchema schema = parts.Network.GetOutputSchema(new TransformerChain<ITransformer>([.. parts.Preprocessing]).GetOutputSchema(inputSchema));
        for (int i = at + 1; i < steps.Count; i++)
        {
            DataViewSchema next = steps[i].GetOutputSchema(schema);
            if (!IsPredictedLabelToValue(steps[i], schema, next, parts.Network))
            {
                throw new NotSupportedException(
                    $"Cannot export the pipeline to ONNX: step {i} ({PreprocessingConverter.StepName(steps[i])}) comes after the RandAD step {at}; the exported model ends at the " +
                    $"network's outputs ({string.Join(", ", OutputNames(parts.Network))}). Only MapKeyToValue(\"PredictedLabel\") may follow (its result is the " +
                    $"'{OnnxNames.PredictedLabelValue}' output). Export the model without step {i}.");
            }

            schema = next;
        }

        return parts;
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];

    /// <summary>A MapKeyToValue that changes nothing but the PredictedLabel key of a multiclass step.</summary>
    private static bool IsPredictedLabelToValue(ITransformer step, DataViewSchema before, DataViewSchema after, RandADPredictionTransformer network)
    {
        if (step is not KeyToValueMappingTransformer || network is not RandADMulticlassPredictionTransformer)
        {
            return false;
        }

        var changed = after.Where(c => !c.IsHidden)
            .Where(c => before.GetColumnOrNull(c.Name) is not { } old || !old.Type.Equals(c.Type))
            .Select(c => c.Name);
        return changed.SequenceEqual([MulticlassScoreColumns.PredictedLabel]);
    }

    private static IEnumerable<string> OutputNames(RandADPredictionTransformer network) =>
        OnnxTaskHeads.OutputNames(ExportedScorer.Task(network), ExportedScorer.Options(network, null).LabelValues);

    private static string Describe(IEnumerable<ITransformer> steps) =>
        string.Join(", ", steps.Select((s, i) => $"{i}: {PreprocessingConverter.StepName(s)}"));
}
