using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Scoring;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Trains a neural network for binary classification with the RandAD engine (one logit, cross-entropy loss).
/// Created by <c>mlContext.BinaryClassification.Trainers.RandAD(...)</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Trainer characteristics
/// | | |
/// | -- | -- |
/// | Machine learning task | Binary classification |
/// | Is normalization required? | Yes (e.g. `NormalizeMinMax`) |
/// | Is caching required? | No: rows stream through cursors in minibatches with a seeded shuffle buffer |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.RandAD |
/// | Exportable to ONNX | Yes, with `mlContext.Model.ConvertToOnnxWithRandAD(model, data, path)` (the whole pipeline, raw columns in) or `OnnxExport.Save(transformer, path)` (the network). **Not** with ML.NET's `Model.ConvertToOnnx`: it cannot see inside the RandAD step and is refused (it would write a graph without the preprocessing and the network). `Model.Save` stores the network as ONNX inside the zip |
/// | Memory behaviour | Parameters, optimizer state, shuffle buffer and retained activations; `KeepFraction` f < 1 (RAD) keeps about f of the activations. |
///
/// Input: `Label` Boolean (or Single/Double 0/1), `Features` a known-size Single vector, optional weight.
/// Output: `Score` (logit), `Probability` (sigmoid of the logit: the network's own cross-entropy estimate, no separate
/// calibrator), `PredictedLabel` (Boolean). Use `Evaluate` or `EvaluateNonCalibrated`.
/// ]]></format>
/// </remarks>
public sealed class RandADBinaryTrainer : RandADTrainerBase<RandADBinaryPredictionTransformer, RandADBinaryTrainer.Options>
{
    internal RandADBinaryTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, isClassification: true, nameof(RandADBinaryTrainer), "RandAD binary")
    {
    }

    /// <summary>Options of the binary trainer (all shared with the other RandAD trainers).</summary>
    public sealed class Options : RandADTrainerOptionsBase
    {
    }

    /// <inheritdoc/>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        TrainerSchema.OutputSchema(inputSchema, TrainerOptions, new BinaryScoreColumns(),
            label => label.Kind == SchemaShape.Column.VectorKind.Scalar && (label.ItemType == BooleanDataViewType.Instance || label.ItemType == NumberDataViewType.Single || label.ItemType == NumberDataViewType.Double),
            "Boolean (or Single/Double 0/1)");

    private protected override TrainingTask Task(DataViewSchema schema) => TrainingTask.Binary(schema, TrainerOptions.LabelColumnName);

    private protected override RandADBinaryPredictionTransformer Transformer(RandADModelParameters model, DataViewSchema schema) =>
        new(model, TrainerOptions.FeatureColumnName, schema);
}
