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
public sealed class RandADBinaryTrainer : ITrainerEstimator<RandADBinaryPredictionTransformer, RandADModelParameters>
{
    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal RandADBinaryTrainer(IHostEnvironment environment, Options options)
    {
        _environment = environment;
        _options = options;
        OptionsValidation.Check(options, isClassification: true);
    }

    /// <summary>Options of the binary trainer (all shared with the other RandAD trainers).</summary>
    public sealed class Options : RandADTrainerOptionsBase
    {
    }

    /// <inheritdoc/>
    public TrainerInfo Info => TrainerSchema.Info;

    /// <inheritdoc/>
    public RandADBinaryPredictionTransformer Fit(IDataView input) => Train(input, initial: null, validation: null);

    /// <summary>
    /// Trains on <paramref name="trainData"/> and scores <paramref name="validationData"/> after every pass (loss, accuracy), as
    /// <see cref="RandADTrainerOptionsBase.ValidationSet"/> does and in its place: for the metrics and for early stopping.
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Validation data with the same columns.</param>
    /// <returns>The prediction transformer.</returns>
    public RandADBinaryPredictionTransformer Fit(IDataView trainData, IDataView validationData)
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
    public RandADBinaryPredictionTransformer Fit(IDataView trainData, RandADModelParameters modelParameters)
    {
        ArgumentNullException.ThrowIfNull(modelParameters);
        return Train(trainData, modelParameters, validation: null);
    }

    private RandADBinaryPredictionTransformer Train(IDataView input, RandADModelParameters? initial, IDataView? validation)
    {
        ArgumentNullException.ThrowIfNull(input);
        TrainingTask task = TrainingTask.Binary(input.Schema, _options.LabelColumnName);
        TrainedNetwork trained = TrainingRun.Train(_environment, nameof(RandADBinaryTrainer), "RandAD binary", _options, task, input, initial, validation);
        return new RandADBinaryPredictionTransformer(new RandADModelParameters(trained), _options.FeatureColumnName, input.Schema);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        TrainerSchema.OutputSchema(inputSchema, _options, new BinaryScoreColumns(),
            label => label.Kind == SchemaShape.Column.VectorKind.Scalar && (label.ItemType == BooleanDataViewType.Instance || label.ItemType == NumberDataViewType.Single || label.ItemType == NumberDataViewType.Double),
            "Boolean (or Single/Double 0/1)");
}
