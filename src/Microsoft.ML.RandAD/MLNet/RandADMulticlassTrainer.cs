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
public sealed class RandADMulticlassTrainer : ITrainerEstimator<RandADMulticlassPredictionTransformer, RandADModelParameters>
{
    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal RandADMulticlassTrainer(IHostEnvironment environment, Options options)
    {
        _environment = environment;
        _options = options;
        OptionsValidation.Check(options, isClassification: true);
    }

    /// <summary>Options of the multiclass trainer (all shared with the other RandAD trainers).</summary>
    public sealed class Options : RandADTrainerOptionsBase
    {
    }

    /// <inheritdoc/>
    public TrainerInfo Info => TrainerSchema.Info;

    /// <inheritdoc/>
    public RandADMulticlassPredictionTransformer Fit(IDataView input) => Train(input, initial: null, validation: null);

    /// <summary>
    /// Trains on <paramref name="trainData"/> and scores <paramref name="validationData"/> after every pass (loss, accuracy), as
    /// <see cref="RandADTrainerOptionsBase.ValidationSet"/> does and in its place: for the metrics and for early stopping.
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Validation data with the same columns.</param>
    /// <returns>The prediction transformer.</returns>
    public RandADMulticlassPredictionTransformer Fit(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(validationData);
        return Train(trainData, initial: null, validationData);
    }

    /// <summary>
    /// Continues training <paramref name="modelParameters"/> on <paramref name="trainData"/> (ML.NET's retraining pattern):
    /// the network starts from the model's architecture and a copy of its weights, and trains for
    /// <see cref="RandADTrainerOptionsBase.NumberOfIterations"/> more passes with this trainer's options. The options'
    /// architecture settings (layers, activation, dropout, image shape) are not used; the optimizer's moments and the
    /// learning-rate schedule start afresh; the given model is not changed.
    /// </summary>
    /// <param name="trainData">The training data, with the same feature column size (and, for classification, the same classes) as the model's.</param>
    /// <param name="modelParameters">The model to continue from: the <c>Model</c> of a RandAD prediction transformer of the same task.</param>
    /// <returns>A new prediction transformer.</returns>
    /// <exception cref="ArgumentException">The model reads another number of features, was trained for another task, or has another number of classes.</exception>
    public RandADMulticlassPredictionTransformer Fit(IDataView trainData, RandADModelParameters modelParameters)
    {
        ArgumentNullException.ThrowIfNull(modelParameters);
        return Train(trainData, modelParameters, validation: null);
    }

    private RandADMulticlassPredictionTransformer Train(IDataView input, RandADModelParameters? initial, IDataView? validation)
    {
        ArgumentNullException.ThrowIfNull(input);
        TrainingTask task = TrainingTask.Multiclass(input.Schema, _options.LabelColumnName);
        TrainedNetwork trained = TrainingRun.Train(_environment, nameof(RandADMulticlassTrainer), "RandAD multiclass", _options, task, input, initial, validation);
        return new RandADMulticlassPredictionTransformer(new RandADModelParameters(trained), _options.FeatureColumnName, input.Schema, _options.LabelColumnName);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        TrainerSchema.OutputSchema(inputSchema, _options, new MulticlassScoreColumns(2, new DataViewSchema.Annotations.Builder().ToAnnotations()),
            label => label.IsKey && label.Kind == SchemaShape.Column.VectorKind.Scalar, "a key (use MapValueToKey)");
}
