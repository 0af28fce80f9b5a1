using Google.Protobuf;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx.Proto;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Exports a trained <see cref="Network"/> as an ONNX model that ONNX Runtime (or ML.NET's <c>ApplyOnnxModel</c>)
/// runs with the same predictions as <see cref="NetworkScorer"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Input</b>: <see cref="OnnxExportOptions.InputName"/> (default <c>features</c>), float <c>[N, D]</c> with a
/// symbolic batch dimension <c>N</c>: the same flat feature vector the network trains on (images planar C, H, W;
/// sequences step-major).
/// </para>
/// <para>
/// <b>Outputs</b> per <see cref="OnnxTask"/> (see <see cref="OnnxNames"/>):
/// multiclass <c>logits</c> [N, K] float, <c>probabilities</c> [N, K] float (softmax), <c>predicted_label</c> [N]
/// int64 (0-based argmax); binary <c>score</c> [N] float (logit), <c>probability</c> [N] float (sigmoid),
/// <c>predicted_label</c> [N] bool (score &gt; 0); regression <c>score</c> [N] float ([N, K] for K outputs).
/// A multiclass RandAD prediction transformer (the overloads that take one) whose label values are known adds
/// <c>predicted_label_value</c> [N]: the original label (<see cref="OnnxNames.PredictedLabelValue"/>).
/// </para>
/// <para>
/// <b>Whole pipeline</b>: to export the ML.NET preprocessing in front of the network too (raw columns in), use
/// <c>mlContext.Model.ConvertToOnnxWithRandAD</c> — never ML.NET's <c>mlContext.Model.ConvertToOnnx</c>, which cannot
/// see inside a RandAD step (<see cref="RandADOnnx"/>).
/// </para>
/// <para>
/// <b>Single-row form</b> (<see cref="OnnxExportOptions.SingleRow"/>): input <c>[D]</c>; [N, K] outputs become
/// <c>[K]</c>, [N] outputs <c>[1]</c>. Checked with ML.NET's OnnxTransformer 5.0.1 (<c>ApplyOnnxModel</c>): a
/// <c>[K]</c> float output becomes a <c>Vector&lt;Single, K&gt;</c> column, a <c>[1]</c> float, int64 or bool
/// output a <c>Vector&lt;T, 1&gt;</c> column, all with the right values row by row; rank-0 outputs throw there,
/// and the batched form's <c>[N, K]</c> outputs come back as <c>Vector&lt;Single, 1, K&gt;</c> — so inside an
/// ML.NET pipeline use the single-row form.
/// </para>
/// <para>
/// <b>Metadata</b>: producer <c>Microsoft.ML.RandAD</c> and its version, the layer summary as the model's doc
/// string, input and output descriptions, and <c>metadata_props</c> <c>randad.spec</c> (the
/// <see cref="NetworkSpec"/> JSON), <c>randad.task</c>, <c>randad.loss</c>, <c>randad.input</c>,
/// <c>randad.outputs</c>, <c>randad.single_row</c>, <c>randad.parameters</c>, <c>randad.training_steps</c>,
/// plus <see cref="OnnxExportOptions.Metadata"/>.
/// </para>
/// <para>Dropout is the identity in the exported graph. Nothing about the network is changed by exporting it.</para>
/// </remarks>
public static partial class OnnxExport
{
    /// <summary>Writes the model to a file, atomically: a failed export leaves no file (and an existing one untouched).</summary>
    /// <param name="network">The trained network.</param>
    /// <param name="path">The .onnx file to create or replace; its folder must exist.</param>
    /// <param name="options">Task, names, opset, form and metadata; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options do not fit the network, or a parameter is NaN or infinite.</exception>
    public static void Save(Network network, string path, OnnxExportOptions? options = null) =>
        Save(network, path, options, static stream => stream);

    /// <summary>Writes the model to a stream (left open, positioned after the model).</summary>
    /// <param name="network">The trained network.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">Task, names, opset, form and metadata; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options do not fit the network, or a parameter is NaN or infinite.</exception>
    public static void Save(Network network, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        ModelProto model = OnnxModelBuilder.Build(network, options);
        model.WriteTo(stream);
    }

    /// <summary>The model as bytes (e.g. for <c>new InferenceSession(bytes)</c> or an in-memory <c>ApplyOnnxModel</c>).</summary>
    /// <param name="network">The trained network.</param>
    /// <param name="options">Task, names, opset, form and metadata; <see langword="null"/> for the defaults.</param>
    /// <returns>The serialized ModelProto.</returns>
    /// <exception cref="ArgumentException">The options do not fit the network, or a parameter is NaN or infinite.</exception>
    public static byte[] ToBytes(Network network, OnnxExportOptions? options = null) =>
        OnnxModelBuilder.Build(network, options).ToByteArray();

    /// <summary>
    /// <see cref="Save(Network, string, OnnxExportOptions?)"/> with the file stream wrapped by
    /// <paramref name="wrap"/> (tests inject a failure mid-write through it).
    /// </summary>
    internal static void Save(Network network, string path, OnnxExportOptions? options, Func<Stream, Stream> wrap)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ModelProto model = OnnxModelBuilder.Build(network, options); // every validation error before the disk is touched
        AtomicFile.Write(path, stream =>
        {
            Stream target = wrap(stream);
            model.WriteTo(target);
            target.Flush();
        });
    }
}
