using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>A trained network and how it got there.</summary>
internal sealed record TrainedNetwork(Network Network, SketchReport Sketches, IReadOnlyList<RandADEpochMetrics> History, int Seed);

/// <summary>
/// One Fit: checks the data, builds the network, streams passes of minibatches through the engine's
/// <see cref="TrainingLoop"/>, scores the validation set, stops early, reports to the callback and the MLContext log,
/// and honours both cancellation routes. Throws rather than returning anything half-trained.
/// </summary>
internal static class TrainingRun
{
    /// <summary>Trains a network for <paramref name="task"/> on <paramref name="data"/>: afresh, or continuing from <paramref name="initial"/> (its architecture and a copy of its weights).</summary>
    public static TrainedNetwork Train(
        IHostEnvironment environment, string hostName, string trainerName, RandADTrainerOptionsBase options, TrainingTask task, IDataView data,
        RandADModelParameters? initial = null, IDataView? validationData = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        validationData ??= options.ValidationSet;
        if (options.EarlyStoppingPatience > 0 && validationData is null)
        {
            throw new ArgumentException(
                $"{nameof(options.EarlyStoppingPatience)} is {options.EarlyStoppingPatience} but no validation data is given: early stopping needs a {nameof(options.ValidationSet)} in the options, or Fit(trainData, validationData).",
                nameof(options));
        }

        using IDisposable threads = Kernels.KernelSettings.UseThreadsOnThisThread(options.NumberOfThreads);
        IHost host = environment.Register(hostName);
        DataViewSchema.Column features = FeatureColumn.Find(data.Schema, options.FeatureColumnName);
        DataViewSchema.Column? weight = FeatureColumn.FindWeight(data.Schema, options.ExampleWeightColumnName);
        int featureSize = ((VectorDataViewType)features.Type).Size;
        using DataViewMinibatchSource? validation = validationData is null ? null : ValidationSource(options, task, validationData, featureSize);

        int seed = options.Seed ?? host.Rand.Next();
        Network network = initial is null
            ? Network.Create(ArchitectureBuilder.Build(options, features.Name, featureSize, task.Outputs, task.Loss), (ulong)seed)
            : Continued(initial, task, features.Name, featureSize, trainerName, (ulong)seed);
        SketchReport sketches = network.ConfigureSketches(options.ToRadSettings(), options.BatchSize);
        Func<bool> canceled = HostAccess.CancellationProbe(host, environment);
        using var source = new DataViewMinibatchSource(data, "training data", features, task.Label, weight, (ulong)seed, shuffle: true,
            Math.Max(options.ShuffleBufferSize, options.BatchSize), options.SkipRowsWithNonFiniteFeatures, canceled, options.CancellationToken);
        var loop = new TrainingLoop(network, Settings(options, data));

        using IChannel channel = host.Start("Training");
        if (initial is not null)
        {
            Log(channel, $"{trainerName}: continuing from the given model after its {initial.History.Count} passes (its architecture and weights; the optimizer's state starts afresh)");
        }

        Log(channel, $"{trainerName}: {network.Describe()}");
        if (sketches.Layers.Count > 0)
        {
            Log(channel, sketches.ToString());
        }

        var history = new List<RandADEpochMetrics>();
        var stopping = new EarlyStopping(options, network);
        for (int epoch = 0; epoch < options.NumberOfIterations; epoch++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            EpochReport report = RunEpoch(loop, source, epoch, options, trainerName);
            if (source.SkippedRows > 0)
            {
                Log(channel, $"pass {epoch + 1}: skipped {source.SkippedRows} rows with NaN or infinite features");
            }

            (double Loss, double Accuracy)? scores = validation is null ? null : Validate(network, task, validation);
            var metrics = new RandADEpochMetrics(epoch + 1, report.TrainLoss, scores?.Loss, task.IsClassification ? scores?.Accuracy : null,
                report.LearningRate, report.SamplesPerSecond, report.RetainedBytes, clock.Elapsed);
            history.Add(metrics);
            Log(channel, metrics.ToString());
            options.MetricsCallback?.Invoke(metrics);
            if (scores is { } s && stopping.ShouldStop(epoch + 1, s.Loss, s.Accuracy))
            {
                Log(channel, $"early stopping after pass {epoch + 1}: no improvement for {options.EarlyStoppingPatience} passes; keeping the weights of pass {stopping.BestEpoch}");
                break;
            }
        }

        stopping.RestoreBest();
        return new TrainedNetwork(network, sketches, history, seed);
    }

    /// <summary>
    /// The network to continue training from a model: its architecture (with this task's loss: a regression model may change
    /// between squared error and Huber) and a copy of its parameters, after checking that it reads these features and fits
    /// this task.
    /// </summary>
    private static Network Continued(RandADModelParameters initial, TrainingTask task, string featureName, int featureSize, string trainerName, ulong seed)
    {
        NetworkSpec spec = initial.Spec;
        if (initial.FeatureCount != featureSize)
        {
            throw new ArgumentException(
                $"{trainerName}: the model to continue from reads {initial.FeatureCount} features, but column '{featureName}' has {featureSize}.", "modelParameters");
        }

        bool sameTask = (spec.Loss.Kind, task.Loss.Kind) switch
        {
            (LossKind.MeanSquaredError or LossKind.Huber, LossKind.MeanSquaredError or LossKind.Huber) => true,
            (var trained, var wanted) => trained == wanted,
        };
        if (!sameTask)
        {
            throw new ArgumentException(
                $"{trainerName}: the model to continue from was trained for {TaskOf(spec.Loss.Kind)}, not {TaskOf(task.Loss.Kind)}.", "modelParameters");
        }

        int outputs = initial.Network.OutputSize;
        if (outputs != task.Outputs)
        {
            throw new ArgumentException(
                task.IsClassification
                    ? $"{trainerName}: the model to continue from has {outputs} outputs, but the label has {task.Outputs} classes. Map the labels with the same MapValueToKey as the model was trained with."
                    : $"{trainerName}: the model to continue from has {outputs} outputs; this trainer predicts {task.Outputs}.",
                "modelParameters");
        }

        return Network.FromParameters(spec with { Loss = task.Loss }, initial.Network.Parameters, seed);
    }

    private static string TaskOf(LossKind loss) => loss switch
    {
        LossKind.SoftmaxCrossEntropy => "multiclass classification",
        LossKind.BinaryCrossEntropy => "binary classification",
        _ => "regression",
    };

    private static EpochReport RunEpoch(TrainingLoop loop, DataViewMinibatchSource source, int epoch, RandADTrainerOptionsBase options, string trainerName)
    {
        try
        {
            return loop.RunEpoch(source, epoch, options.CancellationToken);
        }
        catch (TrainingDivergedException diverged)
        {
            throw new TrainingDivergedException(
                $"{trainerName} diverged: {diverged.Message} Options now: LearningRate = {options.LearningRate:G3}, " +
                $"GradientClippingNorm = {options.GradientClippingNorm:G3}, BatchSize = {options.BatchSize}.");
        }
    }

    private static TrainingSettings Settings(RandADTrainerOptionsBase options, IDataView data)
    {
        var optimizer = new OptimizerSpec(options.Optimizer, Momentum: options.Momentum, WeightDecay: options.L2Regularization);
        LearningRateSchedule? schedule = null;
        if (options.LearningRateSchedule != RandADLearningRateSchedule.Constant || options.LearningRateWarmupIterations > 0)
        {
            // Schedules count optimizer steps; passes are what users think in, so convert with the row count.
            long steps = Math.Max(1, (DataViewMinibatchSource.CountRows(data) + options.BatchSize - 1) / options.BatchSize);
            long warmup = options.LearningRateWarmupIterations > 0 ? Math.Max(1, (long)Math.Ceiling(options.LearningRateWarmupIterations * steps)) : 0;
            schedule = options.LearningRateSchedule switch
            {
                RandADLearningRateSchedule.Cosine => new CosineSchedule(Math.Max(1, (steps * options.NumberOfIterations) - warmup)),
                RandADLearningRateSchedule.StepDecay => new StepDecaySchedule(options.LearningRateDecayFactor, steps * options.LearningRateDecayIterations),
                _ => new ConstantSchedule(),
            };
            if (warmup > 0)
            {
                schedule = new WarmupSchedule(warmup, schedule);
            }
        }

        return new TrainingSettings(optimizer, options.LearningRate, options.BatchSize, schedule, options.GradientClippingNorm);
    }

    private static DataViewMinibatchSource ValidationSource(RandADTrainerOptionsBase options, TrainingTask task, IDataView data, int featureSize)
    {
        DataViewSchema schema = data.Schema;
        DataViewSchema.Column features = FeatureColumn.Find(schema, options.FeatureColumnName, featureSize);
        TrainingTask checkedTask = task.Kind switch
        {
            TaskKind.Multiclass => TrainingTask.Multiclass(schema, options.LabelColumnName),
            TaskKind.Binary => TrainingTask.Binary(schema, options.LabelColumnName),
            _ => TrainingTask.Regression(schema, options.LabelColumnName, RandADRegressionLoss.SquaredError, 1f),
        };
        if (checkedTask.Outputs != task.Outputs)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"Validation data: label column '{options.LabelColumnName}' has {checkedTask.Outputs} classes but the training data has {task.Outputs}. Fit one MapValueToKey on the training data and apply it to both.");
        }

        DataViewSchema.Column? weight = options.ExampleWeightColumnName is string w && schema.GetColumnOrNull(w) is not null
            ? FeatureColumn.FindWeight(schema, w)
            : null;
        return new DataViewMinibatchSource(data, "validation set", features, checkedTask.Label, weight, 0, shuffle: false, 0, skipNonFinite: false);
    }

    private static (double Loss, double Accuracy) Validate(Network network, TrainingTask task, DataViewMinibatchSource source)
    {
        const int batch = RandADDefaults.ValidationBatchSize;
        NetworkScorer scorer = network.CreateScorer();
        float[] input = new float[batch * network.InputSize];
        float[] output = new float[batch * network.OutputSize];
        float[] targets = new float[batch];
        float[] weights = new float[batch];
        double loss = 0, correct = 0, total = 0;
        source.StartEpoch(0);
        int rows;
        while ((rows = source.NextBatch(batch)) > 0)
        {
            source.FillTargets(targets, source.HasWeights ? weights : default);
            source.FillFeatures(0, rows, input);
            scorer.Score(input, rows, output);
            for (int r = 0; r < rows; r++)
            {
                double w = source.HasWeights ? weights[r] : 1;
                (double rowLoss, bool right) = task.Evaluate(output.AsSpan(r * network.OutputSize, network.OutputSize), targets[r]);
                loss += w * rowLoss;
                correct += right ? w : 0;
                total += w;
            }
        }

        return total > 0 ? (loss / total, correct / total) : (double.NaN, double.NaN);
    }

    private static void Log(IChannel channel, string message) => channel.Info(MessageSensitivity.None, "{0}", message);
}
