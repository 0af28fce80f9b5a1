using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>Optimization, streaming and monitoring options (the other half of the shared options).</summary>
public abstract partial class RandADTrainerOptionsBase
{
    /// <summary>Optimizer family.</summary>
    public OptimizerKind Optimizer = RandADDefaults.Optimizer;

    /// <summary>Base learning rate.</summary>
    [Range(1e-5f, 1e-1f, RandADDefaults.LearningRate, true)]
    public float LearningRate = RandADDefaults.LearningRate;

    /// <summary>Momentum of the SGD optimizer, in [0, 1).</summary>
    public float Momentum = RandADDefaults.Momentum;

    /// <summary>How the learning rate changes over the passes.</summary>
    public RandADLearningRateSchedule LearningRateSchedule = RandADDefaults.Schedule;

    /// <summary>Step decay: multiplier in (0, 1].</summary>
    public float LearningRateDecayFactor = RandADDefaults.LearningRateDecayFactor;

    /// <summary>Step decay: passes between decays.</summary>
    public int LearningRateDecayIterations = RandADDefaults.LearningRateDecayIterations;

    /// <summary>
    /// Passes over which the rate rises linearly to <see cref="LearningRate"/> before <see cref="LearningRateSchedule"/>
    /// takes over (fractions of a pass allowed: 0.5 = the first half of the first pass); 0 = no warm-up. The schedule then
    /// runs as if training started after the warm-up (a cosine anneals over the passes that remain).
    /// </summary>
    public float LearningRateWarmupIterations = RandADDefaults.LearningRateWarmupIterations;

    /// <summary>Examples per optimizer step. Larger batches retain more activation memory (see <see cref="RandADTrainerOptionsBase.KeepFraction"/>).</summary>
    [Range(16, 1024, RandADDefaults.BatchSize, true)]
    public int BatchSize = RandADDefaults.BatchSize;

    /// <summary>
    /// Passes over the training data (epochs). Named as in ML.NET's other stochastic trainers (averaged perceptron,
    /// online gradient descent), where one iteration is one pass.
    /// </summary>
    [Range(1, 100, RandADDefaults.NumberOfIterations, true)]
    public int NumberOfIterations = RandADDefaults.NumberOfIterations;

    /// <summary>L2 penalty on weights (SGD and Adam) or decoupled weight decay (AdamW); biases are exempt.</summary>
    [Range(1e-8f, 1e-2f, RandADDefaults.L2Regularization, true)]
    public float L2Regularization = RandADDefaults.L2Regularization;

    /// <summary>Scale the gradient down when its global L2 norm exceeds this (0 = off). Helps when training diverges.</summary>
    public float GradientClippingNorm = RandADDefaults.GradientClippingNorm;

    /// <summary>Seed of initialization, shuffling and RAD sampling; null = drawn from the MLContext's seed.</summary>
    public int? Seed;

    /// <summary>
    /// Threads this trainer's <c>Fit</c> uses, to leave cores to other work; null = <see cref="Kernels.KernelSettings.ThreadCount"/>
    /// (every processor, or <c>RANDAD_THREADS</c>). It applies to this fit only, on the thread that runs it; scoring and
    /// other fits keep the process-wide count.
    /// </summary>
    public int? NumberOfThreads;

    /// <summary>
    /// Rows held by the streaming shuffle: rows are read from the data by a cursor into this buffer and emitted in
    /// random order, the buffer refilled as rows leave. Memory: rows × features × 4 bytes.
    /// </summary>
    public int ShuffleBufferSize = RandADDefaults.ShuffleBufferSize;

    /// <summary>Skip training rows whose features are NaN or infinite instead of stopping with an error naming the row.</summary>
    public bool SkipRowsWithNonFiniteFeatures;

    /// <summary>
    /// Validation data with the same columns, scored after every pass (loss, accuracy) and used by early stopping.
    /// <c>trainer.Fit(trainData, validationData)</c> passes it for one fit instead.
    /// </summary>
    public IDataView? ValidationSet;

    /// <summary>Stop after this many passes without improvement of <see cref="EarlyStoppingMetric"/> on <see cref="ValidationSet"/>, and keep the best pass's weights (0 = off).</summary>
    public int EarlyStoppingPatience = RandADDefaults.EarlyStoppingPatience;

    /// <summary>An improvement smaller than this does not reset the patience.</summary>
    public float EarlyStoppingMinDelta = RandADDefaults.EarlyStoppingMinDelta;

    /// <summary>What early stopping watches.</summary>
    public RandADEarlyStoppingMetric EarlyStoppingMetric = RandADEarlyStoppingMetric.Loss;

    /// <summary>Called after every pass (on the training thread) with its metrics.</summary>
    public Action<RandADEpochMetrics>? MetricsCallback;

    /// <summary>Cancels training within one minibatch (<see cref="OperationCanceledException"/>). <c>MLContext.CancelExecution()</c> works too.</summary>
    public CancellationToken CancellationToken;
}
