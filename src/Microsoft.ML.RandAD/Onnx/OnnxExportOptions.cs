namespace Microsoft.ML.RandAD.Onnx;

/// <summary>Which outputs an exported graph computes from the network's raw outputs.</summary>
public enum OnnxTask
{
    /// <summary>
    /// <see cref="OnnxNames.Logits"/>, <see cref="OnnxNames.Probabilities"/> (softmax) and
    /// <see cref="OnnxNames.PredictedLabel"/> (0-based argmax, int64).
    /// </summary>
    Multiclass,

    /// <summary>
    /// <see cref="OnnxNames.Score"/> (the logit), <see cref="OnnxNames.Probability"/> (sigmoid) and
    /// <see cref="OnnxNames.PredictedLabel"/> (bool, score &gt; 0).
    /// </summary>
    Binary,

    /// <summary><see cref="OnnxNames.Score"/>: the network's output as it is.</summary>
    Regression,
}

/// <summary>How <see cref="OnnxExport"/> writes a network.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The opset used when none is given: well supported by ONNX Runtime 1.17 and later.</summary>
    public const int DefaultOpset = 17;

    /// <summary>Lowest supported opset (the graph relies on opset-13 Softmax, Squeeze and Unsqueeze).</summary>
    public const int MinimumOpset = 13;

    /// <summary>Highest supported opset (every operator the exporter writes is checked unchanged up to it).</summary>
    public const int MaximumOpset = 21;

    /// <summary>
    /// The outputs to compute. <see langword="null"/> (the default) derives it from the network's loss:
    /// softmax cross-entropy → <see cref="OnnxTask.Multiclass"/>, binary cross-entropy → <see cref="OnnxTask.Binary"/>,
    /// squared error and Huber → <see cref="OnnxTask.Regression"/>.
    /// </summary>
    public OnnxTask? Task { get; set; }

    /// <summary>Name of the graph input (the feature vector). Default <see cref="OnnxNames.Features"/>.</summary>
    public string InputName { get; set; } = OnnxNames.Features;

    /// <summary>The ai.onnx opset, from <see cref="MinimumOpset"/> to <see cref="MaximumOpset"/>. Default <see cref="DefaultOpset"/>.</summary>
    public int Opset { get; set; } = DefaultOpset;

    /// <summary>Name of the graph; <see langword="null"/> gives <c>randad_network</c>.</summary>
    public string? ModelName { get; set; }

    /// <summary>Documentation of the model; <see langword="null"/> gives a summary of the layers.</summary>
    public string? DocString { get; set; }

    /// <summary>The model version written to <c>ModelProto.model_version</c>. Default 1.</summary>
    public long ModelVersion { get; set; } = 1;

    /// <summary>
    /// Whether the graph scores one row: input <c>[D]</c> instead of <c>[batch, D]</c>, and outputs without the
    /// batch dimension (<c>[K]</c> for class-wise outputs, <c>[1]</c> for per-row values; never rank 0). This is
    /// the form ML.NET's <c>ApplyOnnxModel</c> maps cleanly to columns (see <see cref="OnnxExport"/>).
    /// </summary>
    public bool SingleRow { get; set; }

    /// <summary>
    /// Extra <c>metadata_props</c> entries. Keys must not start with <c>randad.</c>, which the exporter writes itself.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; set; }

    /// <summary>
    /// Multiclass: the original label of each class, which adds the output <see cref="OnnxNames.PredictedLabelValue"/>.
    /// Set by the ML.NET side from the trained label's key values; <see langword="null"/> leaves the output out.
    /// </summary>
    internal OnnxLabelValues? LabelValues { get; set; }

    /// <summary>A copy (the exporters adjust a copy, never the caller's options).</summary>
    internal OnnxExportOptions Clone() => (OnnxExportOptions)MemberwiseClone();
}
