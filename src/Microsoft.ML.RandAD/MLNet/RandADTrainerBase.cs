using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// What the three RandAD trainers share: the ways to fit (afresh, with validation data, or continuing a model) and one
/// training run behind them. Each trainer says which task its label defines and which transformer it returns.
/// </summary>
/// <typeparam name="TTransformer">The prediction transformer the trainer returns.</typeparam>
/// <typeparam name="TOptions">The trainer's options.</typeparam>
public abstract class RandADTrainerBase<TTransformer, TOptions> : ITrainerEstimator<TTransformer, RandADModelParameters>
    where TTransformer : RandADPredictionTransformer
    where TOptions : RandADTrainerOptionsBase
{
    private readonly IHostEnvironment _environment;
    private readonly string _hostName;
    private readonly string _displayName;

    private protected RandADTrainerBase(IHostEnvironment environment, TOptions options, bool isClassification, string hostName, string displayName)
    {
        OptionsValidation.Check(options, isClassification);
        _environment = environment;
        TrainerOptions = options;
        _hostName = hostName;
        _displayName = displayName;
    }

    /// <inheritdoc/>
    public TrainerInfo Info => TrainerSchema.Info;

    /// <summary>The options this trainer was created with.</summary>
    private protected TOptions TrainerOptions { get; }

    /// <inheritdoc/>
    public TTransformer Fit(IDataView input) => Train(input, initial: null, validation: null);

    /// <summary>
    /// Trains on <paramref name="trainData"/> and scores <paramref name="validationData"/> after every pass (loss, and
    /// accuracy for classification), as <see cref="RandADTrainerOptionsBase.ValidationSet"/> does and in its place: for
    /// the metrics and for early stopping.
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Validation data with the same columns.</param>
    /// <returns>The prediction transformer.</returns>
    public TTransformer Fit(IDataView trainData, IDataView validationData)
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
    public TTransformer Fit(IDataView trainData, RandADModelParameters modelParameters)
    {
        ArgumentNullException.ThrowIfNull(modelParameters);
        return Train(trainData, modelParameters, validation: null);
    }

    /// <inheritdoc/>
    public abstract SchemaShape GetOutputSchema(SchemaShape inputSchema);

    /// <summary>The task the label column of <paramref name="schema"/> defines (checked: a missing or mistyped label throws).</summary>
    private protected abstract TrainingTask Task(DataViewSchema schema);

    /// <summary>The transformer for a trained <paramref name="model"/> on data of <paramref name="schema"/>.</summary>
    private protected abstract TTransformer Transformer(RandADModelParameters model, DataViewSchema schema);

    private TTransformer Train(IDataView input, RandADModelParameters? initial, IDataView? validation)
    {
        ArgumentNullException.ThrowIfNull(input);
        TrainedNetwork trained = TrainingRun.Train(_environment, _hostName, _displayName, TrainerOptions, Task(input.Schema), input, initial, validation);
        return Transformer(new RandADModelParameters(trained), input.Schema);
    }
}
