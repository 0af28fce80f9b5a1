using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Scoring;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Trains a neural network for regression with the RandAD engine (squared error or Huber loss).
/// Created by <c>mlContext.Regression.Trainers.RandAD(...)</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Trainer characteristics
/// | | |
/// | -- | -- |
/// | Machine learning task | Regression |
/// | Is normalization required? | Yes (features; a label of large magnitude trains better scaled too) |
/// | Is caching required? | No: rows stream through cursors in minibatches with a seeded shuffle buffer |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.RandAD |
/// | Exportable to ONNX | Yes, with `mlContext.Model.ConvertToOnnxWithRandAD(model, data, path)` (the whole pipeline, raw columns in) or `OnnxExport.Save(transformer, path)` (the network). **Not** with ML.NET's `Model.ConvertToOnnx`: it cannot see inside the RandAD step and is refused (it would write a graph without the preprocessing and the network). `Model.Save` stores the network as ONNX inside the zip |
/// | Memory behaviour | Parameters, optimizer state, shuffle buffer and retained activations; `KeepFraction` f < 1 (RAD) keeps about f of the activations. |
///
/// Input: `Label` Single or Double, `Features` a known-size Single vector, optional weight. Output: `Score` (Single).
/// ]]></format>
/// </remarks>
public sealed class RandADRegressionTrainer : RandADTrainerBase<RandADRegressionPredictionTransformer, RandADRegressionTrainer.Options>
{
    internal RandADRegressionTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, isClassification: false, nameof(RandADRegressionTrainer), "RandAD regression")
    {
        if (!(options.HuberDelta > 0) || !float.IsFinite(options.HuberDelta))
        {
            throw new ArgumentOutOfRangeException(nameof(options.HuberDelta), options.HuberDelta, $"Options.HuberDelta must be a positive number, but is {options.HuberDelta}.");
        }
    }

    /// <summary>Options of the regression trainer: the shared ones plus the loss.</summary>
    public sealed class Options : RandADTrainerOptionsBase
    {
        /// <summary>Training loss.</summary>
        public RandADRegressionLoss LossFunction = RandADRegressionLoss.SquaredError;

        /// <summary>Where the Huber loss turns from quadratic to linear.</summary>
        public float HuberDelta = 1f;
    }

    /// <inheritdoc/>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        TrainerSchema.OutputSchema(inputSchema, TrainerOptions, new RegressionScoreColumns(),
            label => label.Kind == SchemaShape.Column.VectorKind.Scalar && (label.ItemType == NumberDataViewType.Single || label.ItemType == NumberDataViewType.Double),
            "Single or Double");

    private protected override TrainingTask Task(DataViewSchema schema) => TrainingTask.Regression(schema, TrainerOptions.LabelColumnName, TrainerOptions.LossFunction, TrainerOptions.HuberDelta);

    private protected override RandADRegressionPredictionTransformer Transformer(RandADModelParameters model, DataViewSchema schema) =>
        new(model, TrainerOptions.FeatureColumnName, schema);
}
