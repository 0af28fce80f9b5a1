using Google.Protobuf;
using Microsoft.ML.RandAD.MLNet.Export;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.Model.ConvertToOnnxWithRandAD(...)</c>: exports a fitted pipeline that ends in a RandAD trainer as
/// one ONNX model whose inputs are the raw columns — the call to use instead of ML.NET's <c>ConvertToOnnx</c>,
/// which cannot see inside a RandAD transformer (and is refused by it).
/// </summary>
/// <remarks>
/// <para>
/// The steps in front of the RandAD step (concatenation, normalizers, key mapping, …) are written by ML.NET's own
/// converter (Microsoft.ML.OnnxConverter), the network by RandAD's; the two graphs are joined at the feature column.
/// Inputs: the columns the preprocessing reads, as ML.NET's converter declares them (<c>[-1, size]</c> per column,
/// unused columns left out). Outputs, batched (<see cref="OnnxNames"/>): multiclass <c>logits</c>,
/// <c>probabilities</c> [N, K], <c>predicted_label</c> [N] (0-based int64) and, when the label's key values are
/// text or numbers, <c>predicted_label_value</c> [N] (the original label, as <c>MapKeyToValue</c> gives it);
/// binary <c>score</c>, <c>probability</c>, <c>predicted_label</c>; regression <c>score</c>.
/// </para>
/// <para>
/// A step ML.NET's converter cannot write (e.g. <c>CustomMapping</c>) fails the export with an error that names it
/// by index and type; after the RandAD step only <c>MapKeyToValue("PredictedLabel")</c> is accepted. The model must
/// be the fitted pipeline itself, not one reloaded by <c>Model.Load</c> (that holds ML.NET's <c>ApplyOnnxModel</c>
/// instead of the RandAD transformer).
/// </para>
/// </remarks>
public static class RandADOnnxCatalog
{
    /// <summary>Writes the whole pipeline as one ONNX model to a file, atomically (a failed export leaves no file).</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The fitted pipeline (or the RandAD prediction transformer alone).</param>
    /// <param name="inputData">Data with the raw input columns (only its schema is read).</param>
    /// <param name="path">The .onnx file to create or replace; its folder must exist.</param>
    /// <param name="options">Opset, model name, documentation and metadata; <see langword="null"/> for the defaults. <see cref="OnnxExportOptions.SingleRow"/> does not apply.</param>
    /// <exception cref="NotSupportedException">A step cannot be exported; the message names it.</exception>
    /// <exception cref="ArgumentException">The model holds no RandAD step, or the options do not fit.</exception>
    public static void ConvertToOnnxWithRandAD(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ModelProto onnx = Build(catalog, model, inputData, options); // every error before the disk is touched
        AtomicFile.Write(path, onnx.WriteTo);
    }

    /// <summary>Writes the whole pipeline as one ONNX model to a stream (left open).</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The fitted pipeline (or the RandAD prediction transformer alone).</param>
    /// <param name="inputData">Data with the raw input columns (only its schema is read).</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">Opset, model name, documentation and metadata; <see langword="null"/> for the defaults. <see cref="OnnxExportOptions.SingleRow"/> does not apply.</param>
    /// <exception cref="NotSupportedException">A step cannot be exported; the message names it.</exception>
    /// <exception cref="ArgumentException">The model holds no RandAD step, or the options do not fit.</exception>
    public static void ConvertToOnnxWithRandAD(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        Build(catalog, model, inputData, options).WriteTo(stream);
    }

    private static ModelProto Build(ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, OnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputData);
        PipelineParts parts = PipelineParts.Split(model, inputData.Schema);
        OnnxExportOptions exportOptions = ExportedScorer.Options(parts.Network, options);
        return OnnxPipelineBuilder.Build(parts.Preprocessing, inputData.Schema, parts.Network.FeatureColumnName, parts.Network.Model.Network, exportOptions);
    }
}
