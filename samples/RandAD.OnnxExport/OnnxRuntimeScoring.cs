using Microsoft.ML.OnnxRuntime;

namespace RandAD.OnnxExport;

/// <summary>Scores raw pixel rows with an exported pipeline in ONNX Runtime, a batch at a time, as a service outside ML.NET would.</summary>
internal static class OnnxRuntimeScoring
{
    /// <summary>The model's probabilities ([rows × classes]) and predicted label values (class names).</summary>
    public static (float[] Probabilities, string[] Labels) Score(InferenceSession session, IReadOnlyList<PixelRows.Row> rows, int batchSize)
    {
        int classes = session.OutputMetadata["probabilities"].Dimensions[^1];
        float[] probabilities = new float[rows.Count * classes];
        string[] labels = new string[rows.Count];
        float[] input = new float[batchSize * PixelRows.Size];
        using var runOptions = new RunOptions();
        for (int start = 0; start < rows.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, rows.Count - start);
            for (int r = 0; r < count; r++)
            {
                rows[start + r].Pixels.CopyTo(input, r * PixelRows.Size);
            }

            using OrtValue pixels = OrtValue.CreateTensorValueFromMemory(input[..(count * PixelRows.Size)], [count, PixelRows.Size]);
            using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, ["Pixels"], [pixels], ["probabilities", "predicted_label_value"]);
            results[0].GetTensorDataAsSpan<float>().CopyTo(probabilities.AsSpan(start * classes));
            results[1].GetStringTensorAsArray().CopyTo(labels, start);
        }

        return (probabilities, labels);
    }
}
