using Google.Protobuf;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Checks an ONNX file for the wrong result of exporting a RandAD pipeline with ML.NET's own
/// <c>mlContext.Model.ConvertToOnnx</c>, for files written before that call was refused or by other tools.
/// </summary>
/// <remarks>
/// ML.NET's converter only knows its own transformers. Handed a pipeline that holds a RandAD transformer, it writes
/// a graph that starts <i>after</i> the network: the score columns (<c>Score</c>, <c>PredictedLabel</c>,
/// <c>Probability</c>) become graph <b>inputs</b> passed straight through, and the preprocessing and the network
/// are missing. Such a file loads and runs, but predicts nothing. RandAD's transformers make that call throw; the
/// right one is <c>mlContext.Model.ConvertToOnnxWithRandAD</c>.
/// </remarks>
public static class RandADOnnx
{
    /// <summary>The columns only a trainer writes: as inputs of an ML.NET-written graph they mark the truncated export.</summary>
    private static readonly string[] ScoreColumns = ["Score", "PredictedLabel", "Probability"];

    /// <summary>Checks an ONNX file (see <see cref="Check(byte[])"/>).</summary>
    /// <param name="path">The .onnx file.</param>
    /// <exception cref="InvalidOperationException">The file is the truncated graph of ML.NET's <c>ConvertToOnnx</c>.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model.</exception>
    public static void Check(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Check(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Throws when <paramref name="model"/> is the truncated graph ML.NET's <c>ConvertToOnnx</c> writes for a pipeline
    /// holding a RandAD trainer (written by ML.NET, with score columns among its inputs); returns otherwise.
    /// </summary>
    /// <param name="model">The serialized ModelProto.</param>
    /// <exception cref="InvalidOperationException">The model is that truncated graph; the message says what to call instead.</exception>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static void Check(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Check(model, "The model");
    }

    private static void Check(byte[] bytes, string what)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{what} is not an ONNX model: {e.Message}", e);
        }

        if (model.Graph is null)
        {
            throw new InvalidDataException($"{what} is not an ONNX model: it has no graph.");
        }

        string[] scoreInputs = [.. model.Graph.Input.Select(i => i.Name).Where(ScoreColumns.Contains)];
        if (model.ProducerName == "ML.NET" && scoreInputs.Length > 0)
        {
            throw new InvalidOperationException(
                $"{what} is the truncated graph ML.NET's Model.ConvertToOnnx writes for a pipeline with a RandAD trainer: " +
                $"the score column(s) {string.Join(", ", scoreInputs.Select(n => $"'{n}'"))} are graph inputs, and the preprocessing and " +
                "the network are missing, so it predicts nothing. Export with mlContext.Model.ConvertToOnnxWithRandAD(model, data, path) instead.");
        }
    }
}
