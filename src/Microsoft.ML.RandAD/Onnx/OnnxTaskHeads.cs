using static Microsoft.ML.RandAD.Onnx.OnnxGraphBuilder;
using DataType = Microsoft.ML.RandAD.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// The task's outputs computed from the last layer's [N, K] values (names in <see cref="OnnxNames"/>). In the
/// single-row form, [N, K] outputs become [K] and per-row outputs [1] (never rank 0, which OnnxTransformer rejects).
/// </summary>
internal static class OnnxTaskHeads
{
    public static IReadOnlyList<string> OutputNames(OnnxTask task, OnnxLabelValues? labels) => task switch
    {
        OnnxTask.Multiclass when labels is not null => [OnnxNames.Logits, OnnxNames.Probabilities, OnnxNames.PredictedLabel, OnnxNames.PredictedLabelValue],
        OnnxTask.Multiclass => [OnnxNames.Logits, OnnxNames.Probabilities, OnnxNames.PredictedLabel],
        OnnxTask.Binary => [OnnxNames.Score, OnnxNames.Probability, OnnxNames.PredictedLabel],
        _ => [OnnxNames.Score],
    };

    public static void Add(OnnxGraphBuilder g, GraphTensor last, OnnxTask task, bool singleRow, OnnxLabelValues? labels)
    {
        long k = last.Shape.Size;
        long[] perRow = singleRow ? [1] : [Batch];
        long[] perClass = singleRow ? [k] : [Batch, k];
        switch (task)
        {
            case OnnxTask.Multiclass:
                DropRow(g, last.Name, OnnxNames.Logits, singleRow);
                string probabilities = g.Add("Softmax", "softmax", [last.Name], Int("axis", -1));
                DropRow(g, probabilities, OnnxNames.Probabilities, singleRow);
                g.AddNode("ArgMax", OnnxNames.PredictedLabel, [last.Name], [OnnxNames.PredictedLabel], Int("axis", 1), Int("keepdims", 0));
                g.Output(OnnxNames.Logits, DataType.Float, $"The network's {k} raw outputs (class logits).", perClass);
                g.Output(OnnxNames.Probabilities, DataType.Float, $"Softmax of the logits: the {k} class probabilities (ML.NET's multiclass Score column).", perClass);
                g.Output(OnnxNames.PredictedLabel, DataType.Int64, "0-based index of the largest logit (the first on ties); ML.NET's PredictedLabel key is this + 1.", perRow);
                if (labels is not null)
                {
                    labels.AddEncoder(g, OnnxNames.PredictedLabel, OnnxNames.PredictedLabelValue);
                    g.Output(OnnxNames.PredictedLabelValue, labels.Type, "The predicted class as the original label value (ML.NET's MapKeyToValue of PredictedLabel).", perRow);
                }

                break;
            case OnnxTask.Binary:
                g.AddNode("Squeeze", OnnxNames.Score, [last.Name, g.Int64s(1)], [OnnxNames.Score]);
                g.AddNode("Sigmoid", OnnxNames.Probability, [OnnxNames.Score], [OnnxNames.Probability]);
                g.AddNode("Greater", OnnxNames.PredictedLabel, [OnnxNames.Score, g.Scalar(0f)], [OnnxNames.PredictedLabel]);
                g.Output(OnnxNames.Score, DataType.Float, "The logit (ML.NET's binary Score column).", perRow);
                g.Output(OnnxNames.Probability, DataType.Float, "Sigmoid of the score: the probability of the positive class.", perRow);
                g.Output(OnnxNames.PredictedLabel, DataType.Bool, "True when the score is above 0 (probability above 0.5).", perRow);
                break;
            default:
                if (k == 1)
                {
                    g.AddNode("Squeeze", OnnxNames.Score, [last.Name, g.Int64s(1)], [OnnxNames.Score]);
                    g.Output(OnnxNames.Score, DataType.Float, "The predicted value.", perRow);
                }
                else
                {
                    DropRow(g, last.Name, OnnxNames.Score, singleRow);
                    g.Output(OnnxNames.Score, DataType.Float, $"The {k} predicted values.", perClass);
                }

                break;
        }
    }

    /// <summary>Names <paramref name="source"/> [N, K] as the output <paramref name="output"/>: as it is, or [K] for a single row.</summary>
    private static void DropRow(OnnxGraphBuilder g, string source, string output, bool singleRow)
    {
        if (singleRow)
        {
            g.AddNode("Squeeze", output, [source, g.Int64s(0)], [output]);
        }
        else
        {
            g.AddNode("Identity", output, [source], [output]);
        }
    }
}
