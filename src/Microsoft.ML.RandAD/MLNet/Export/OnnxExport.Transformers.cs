using Google.Protobuf;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.MLNet.Export;

namespace Microsoft.ML.RandAD.Onnx;

// The overloads that take a RandAD prediction transformer live with the ML.NET layer that defines it; the
// Onnx layer below knows networks only.
public static partial class OnnxExport
{
    /// <summary>
    /// Writes the network of a RandAD prediction transformer (what a RandAD trainer's <c>Fit</c> returns) to a file,
    /// atomically. The task follows the transformer (multiclass, binary, regression); a multiclass model whose label
    /// values are known also gets <see cref="OnnxNames.PredictedLabelValue"/>. The input is the feature vector
    /// (<see cref="OnnxExportOptions.InputName"/>); for the preprocessing in front as well, use
    /// <c>mlContext.Model.ConvertToOnnxWithRandAD</c>.
    /// </summary>
    /// <param name="transformer">The fitted RandAD prediction transformer.</param>
    /// <param name="path">The .onnx file to create or replace; its folder must exist.</param>
    /// <param name="options">Names, opset, form and metadata; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options do not fit the network.</exception>
    public static void Save(RandADPredictionTransformer transformer, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        Save(transformer.Model.Network, path, ExportedScorer.Options(transformer, options), static stream => stream);
    }

    /// <summary>Writes the network of a RandAD prediction transformer to a stream (see <see cref="Save(RandADPredictionTransformer, string, OnnxExportOptions?)"/>).</summary>
    /// <param name="transformer">The fitted RandAD prediction transformer.</param>
    /// <param name="stream">A writable stream (left open).</param>
    /// <param name="options">Names, opset, form and metadata; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options do not fit the network.</exception>
    public static void Save(RandADPredictionTransformer transformer, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        Save(transformer.Model.Network, stream, ExportedScorer.Options(transformer, options));
    }

    /// <summary>The network of a RandAD prediction transformer as ONNX bytes (see <see cref="Save(RandADPredictionTransformer, string, OnnxExportOptions?)"/>).</summary>
    /// <param name="transformer">The fitted RandAD prediction transformer.</param>
    /// <param name="options">Names, opset, form and metadata; <see langword="null"/> for the defaults.</param>
    /// <returns>The serialized ModelProto.</returns>
    /// <exception cref="ArgumentException">The options do not fit the network.</exception>
    public static byte[] ToBytes(RandADPredictionTransformer transformer, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return OnnxModelBuilder.Build(transformer.Model.Network, ExportedScorer.Options(transformer, options)).ToByteArray();
    }
}
