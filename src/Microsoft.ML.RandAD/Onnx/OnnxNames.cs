namespace Microsoft.ML.RandAD.Onnx;

/// <summary>
/// Names of the values in an exported graph. Shapes below are for the batched form (<c>N</c> is the symbolic
/// batch dimension <see cref="BatchDimension"/>); the single-row form drops <c>N</c> from <c>[N, K]</c> and keeps
/// <c>[N]</c> values as <c>[1]</c>.
/// </summary>
public static class OnnxNames
{
    /// <summary>Default graph input: <c>[N, D]</c> floats, the flat feature vector (images planar C, H, W).</summary>
    public const string Features = "features";

    /// <summary>Multiclass: the network's raw outputs, <c>[N, K]</c> floats.</summary>
    public const string Logits = "logits";

    /// <summary>Multiclass: softmax of the logits, <c>[N, K]</c> floats (what ML.NET's multiclass <c>Score</c> column holds).</summary>
    public const string Probabilities = "probabilities";

    /// <summary>
    /// Multiclass: the 0-based index of the largest logit (first one on ties), <c>[N]</c> int64 — ML.NET's
    /// <c>PredictedLabel</c> key is this plus 1. Binary: <c>score &gt; 0</c>, <c>[N]</c> bool.
    /// </summary>
    public const string PredictedLabel = "predicted_label";

    /// <summary>
    /// Binary: the logit, <c>[N]</c> floats. Regression: the prediction, <c>[N]</c> floats for one output,
    /// <c>[N, K]</c> for a network with K outputs.
    /// </summary>
    public const string Score = "score";

    /// <summary>
    /// Multiclass, when the label values are known (exports of a trained ML.NET pipeline): the predicted class as
    /// the original label value (what <c>MapKeyToValue("PredictedLabel")</c> gives in ML.NET), <c>[N]</c> strings,
    /// floats or int64s as the label was.
    /// </summary>
    public const string PredictedLabelValue = "predicted_label_value";

    /// <summary>Binary: sigmoid of the score, <c>[N]</c> floats.</summary>
    public const string Probability = "probability";

    /// <summary>The symbolic name (<c>dim_param</c>) of the batch dimension.</summary>
    public const string BatchDimension = "N";
}
