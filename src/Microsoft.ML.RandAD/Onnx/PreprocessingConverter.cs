using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Onnx.Proto;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Writes the ML.NET steps in front of the network with ML.NET's own converter (<c>Model.ConvertToOnnx</c> from
/// Microsoft.ML.OnnxConverter) and checks that it really converted all of them; when it did not, finds the first
/// step it cannot write and names it.
/// </summary>
/// <remarks>
/// <para>
/// ML.NET's converter walks back from the last step's output and silently stops at the first step that cannot
/// write itself (it only logs "Had to stop walkback"), or at a data view that is not one of ML.NET's transforms;
/// the graph then starts from that point's columns and the steps before it vanish, which can be silently wrong
/// (a step that rewrote a column in place would simply be skipped). So a conversion counts as good only when
/// nothing was logged, nothing threw, and the graph's inputs are exactly the input schema's columns.
/// </para>
/// <para>
/// The steps are applied to a row-less view of the input schema (<see cref="SchemaOnlyDataView"/>), so the graph
/// starts at the input columns even when the data handed in is itself a filtered or split view.
/// </para>
/// </remarks>
internal static class PreprocessingConverter
{
    /// <summary>What ML.NET names the graph output of column <paramref name="column"/>.</summary>
    public static string OutputName(string column) => column + ".output";

    /// <summary>The preprocessing graph, whose output <see cref="OutputName"/>(<paramref name="featureColumn"/>) is the feature vector.</summary>
    /// <exception cref="NotSupportedException">A step (named by index and type) or the input schema cannot be converted.</exception>
    public static ModelProto Convert(IReadOnlyList<ITransformer> steps, DataViewSchema inputSchema, string featureColumn)
    {
        (ModelProto? model, string? problem) = TryConvert(steps, steps.Count, inputSchema, featureColumn);
        if (model is not null)
        {
            return model;
        }

        // Find the first prefix ML.NET cannot convert (all columns kept, so a step is judged on its own outputs).
        for (int count = 0; count <= steps.Count; count++)
        {
            (ModelProto? prefix, string? prefixProblem) = TryConvert(steps, count, inputSchema, keep: null);
            if (prefix is null && count == 0)
            {
                throw new NotSupportedException(
                    $"Cannot export the pipeline to ONNX: ML.NET's converter cannot take the input columns (it declares every one as a graph input, " +
                    $"used or not: pass data without the columns ONNX cannot hold). ML.NET said: {prefixProblem}");
            }

            if (prefix is null)
            {
                throw new NotSupportedException(
                    $"Cannot export the pipeline to ONNX: step {count - 1} ({StepName(steps[count - 1])}) cannot be written by ML.NET's ONNX converter. " +
                    $"Remove it or move it out of the exported model (see README, ONNX). ML.NET said: {prefixProblem}");
            }
        }

        throw new NotSupportedException(
            $"Cannot export the pipeline to ONNX: ML.NET's converter wrote every step but no '{featureColumn}' column the network could read. ML.NET said: {problem}");
    }

    /// <summary>A step's type as a reader knows it: <c>NormalizingTransformer</c>, <c>CustomMappingTransformer&lt;In, Out&gt;</c>.</summary>
    public static string StepName(ITransformer step)
    {
        Type type = step.GetType();
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(t => t.Name))}>";
    }

    private static (ModelProto? Model, string? Problem) TryConvert(IReadOnlyList<ITransformer> steps, int count, DataViewSchema inputSchema, string? keep)
    {
        var ml = new MLContext(seed: 0);
        var stopped = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning && e.RawMessage.Contains("stop walkback", StringComparison.Ordinal))
            {
                stopped.Add(e.RawMessage);
            }
        };

        var chain = new TransformerChain<ITransformer>([.. steps.Take(count)]);
        var input = new SchemaOnlyDataView(inputSchema);
        using var stream = new MemoryStream();
        try
        {
            if (keep is null)
            {
                ml.Model.ConvertToOnnx(chain, input, stream);
            }
            else
            {
                ml.Model.ConvertToOnnx(chain, input, stream, keep);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, e.Message);
        }

        if (stopped.Count > 0)
        {
            return (null, stopped[0]);
        }

        ModelProto model = ModelProto.Parser.ParseFrom(stream.ToArray());
        if (model.Graph.Input.Count != inputSchema.Count)
        {
            return (null, $"the converted graph starts from {model.Graph.Input.Count} columns instead of the {inputSchema.Count} input columns (a step that is not one of ML.NET's transforms?).");
        }

        if (keep is not null && !model.Graph.Output.Any(o => o.Name == OutputName(keep)))
        {
            return (null, $"the converted graph has no output '{OutputName(keep)}'.");
        }

        return (model, null);
    }
}
