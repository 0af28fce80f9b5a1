using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Scoring;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Trains a neural network (MLP, or a CNN on image-shaped features) for multiclass classification with the RandAD
/// engine; the backward pass can be randomized (RAD) to cut activation memory.
/// Created by <c>mlContext.MulticlassClassification.Trainers.RandAD(...)</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Trainer characteristics
/// | | |
/// | -- | -- |
/// | Machine learning task | Multiclass classification |
/// | Is normalization required? | Yes (e.g. `NormalizeMinMax`; pixels scaled to [0, 1]) |
/// | Is caching required? | No: rows stream through cursors in minibatches with a seeded shuffle buffer |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.RandAD (brings Microsoft.ML.OnnxTransformer for save/load) |
/// | Exportable to ONNX | Yes, with `mlContext.Model.ConvertToOnnxWithRandAD(model, data, path)` (the whole pipeline, raw columns in) or `OnnxExport.Save(transformer, path)` (the network). **Not** with ML.NET's `Model.ConvertToOnnx`: it cannot see inside the RandAD step and is refused (it would write a graph without the preprocessing and the network). `Model.Save` stores the network as ONNX inside the zip |
/// | Memory behaviour | Training memory = parameters × 4 (Adam: × 3 more) + shuffle buffer + retained activations per step. With `KeepFraction` f < 1 (RAD) each layer keeps an unbiased sketch of its input in the bytes of ⌈f·D⌉ of its D values (by default: draws in proportion to |x|, stored as indices) instead of all of them, so retained activations shrink to about f of exact. |
///
/// Input: `Label` a key (`MapValueToKey`), `Features` a known-size Single vector, optional Single weight column.
/// Output: `Score` (Single vector of class probabilities), `PredictedLabel` (key, same values as the label).
/// ]]></format>
/// </remarks>
public sealed class RandADMulticlassTrainer : RandADTrainerBase<RandADMulticlassPredictionTransformer, RandADMulticlassTrainer.Options>
{
    internal RandADMulticlassTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, isClassification: true, nameof(RandADMulticlassTrainer), "RandAD multiclass")
    {
    }

    /// <summary>Options of the multiclass trainer (all shared with the other RandAD trainers).</summary>
    public sealed class Options : RandADTrainerOptionsBase
    {
    }

    /// <inheritdoc/>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        TrainerSchema.OutputSchema(inputSchema, TrainerOptions, new MulticlassScoreColumns(2, new DataViewSchema.Annotations.Builder().ToAnnotations()),
            label => label.IsKey && label.Kind == SchemaShape.Column.VectorKind.Scalar, "a key (use MapValueToKey)");

    private protected override TrainingTask Task(DataViewSchema schema) => TrainingTask.Multiclass(schema, TrainerOptions.LabelColumnName);

    private protected override RandADMulticlassPredictionTransformer Transformer(RandADModelParameters model, DataViewSchema schema) =>
        new(model, TrainerOptions.FeatureColumnName, schema, TrainerOptions.LabelColumnName);
}
