using System.Diagnostics;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;

namespace Microsoft.ML.RandAD.Training;

/// <summary>How a <see cref="TrainingLoop"/> trains.</summary>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="Schedule">Learning-rate schedule over steps (null = constant).</param>
/// <param name="ClipNorm">Global gradient-norm bound (0 = none).</param>
public sealed record TrainingSettings(OptimizerSpec Optimizer, float LearningRate, int BatchSize, LearningRateSchedule? Schedule = null, float ClipNorm = 0f)
{
    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be a positive number.");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        }

        if (ClipNorm < 0 || float.IsNaN(ClipNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(ClipNorm), ClipNorm, "The clipping norm must be 0 (off) or positive.");
        }

        Optimizer.Validate();
    }
}

/// <summary>What one epoch did.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="TrainLoss">Mean of the batch losses, weighted by batch size.</param>
/// <param name="LearningRate">Rate used by the epoch's last step.</param>
/// <param name="Examples">Examples seen.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="RetainedBytes">Activation bytes kept between forward and backward in a full batch.</param>
public sealed record EpochReport(int Epoch, double TrainLoss, float LearningRate, long Examples, TimeSpan Elapsed, long RetainedBytes)
{
    /// <summary>Training throughput.</summary>
    public double SamplesPerSecond => Examples / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>The loss became NaN or infinite: training diverged.</summary>
/// <param name="message">What happened and what to change.</param>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// The engine's training loop: minibatches from a source through forward, backward, clipping and the
/// optimizer. Checks cancellation before every step and stops on a non-finite loss.
/// </summary>
public sealed class TrainingLoop
{
    private readonly Network _network;
    private readonly TrainingSettings _settings;
    private readonly LearningRateSchedule _schedule;
    private readonly Action _readAhead;
    private float[] _targets = [];
    private float[] _weights = [];

    // The epoch's source and the rows the read-ahead prepared (ReadAhead runs as a cached delegate, so they are fields).
    private IMinibatchSource? _source;
    private int _aheadRows;

    /// <summary>Creates a loop that trains <paramref name="network"/>.</summary>
    /// <param name="network">The network.</param>
    /// <param name="settings">The settings.</param>
    public TrainingLoop(Network network, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _network = network;
        _settings = settings;
        _schedule = settings.Schedule ?? new ConstantSchedule();
        Optimizer = new Optimizer(network, settings.Optimizer);
        _readAhead = ReadAhead;
    }

    /// <summary>The optimizer (its step count drives the schedule).</summary>
    public Optimizer Optimizer { get; }

    /// <summary>
    /// Whether the next minibatch is read while the optimizer updates the parameters (the default): the calling thread
    /// prepares the batch, copies its targets and, when it runs as one chunk, its features into the network
    /// (<see cref="Network.FillAhead"/>), while the pool's workers start the update; then it joins the update. Reading a batch
    /// through ML.NET's cursors is work on one thread, and the update is a pass over memory that one core runs about as fast as
    /// two, so the two overlap. The same weights either way; off for comparisons.
    /// </summary>
    internal bool ReadsAhead { get; set; } = true;

    /// <summary>Runs one epoch over <paramref name="source"/>.</summary>
    /// <param name="source">The minibatches.</param>
    /// <param name="epoch">The epoch number (0-based).</param>
    /// <param name="cancellation">Checked before every step.</param>
    /// <returns>The epoch's report.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public EpochReport RunEpoch(IMinibatchSource source, int epoch, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.FeatureSize != _network.InputSize)
        {
            throw new ArgumentException($"The source has {source.FeatureSize} features per example; the network expects {_network.InputSize}.");
        }

        int batchSize = _settings.BatchSize;
        if (_targets.Length < batchSize * source.TargetWidth)
        {
            _targets = new float[batchSize * source.TargetWidth];
            _weights = new float[batchSize];
        }

        var clock = Stopwatch.StartNew();
        source.StartEpoch(epoch);
        double lossSum = 0;
        long examples = 0;
        long retained = 0;
        float rate = _settings.LearningRate;
        _source = source;
        try
        {
            cancellation.ThrowIfCancellationRequested();
            int rows = ReadBatch(source, fillAhead: false);
            while (rows > 0)
            {
                Span<float> targets = _targets.AsSpan(0, rows * source.TargetWidth);
                Span<float> weights = source.HasWeights ? _weights.AsSpan(0, rows) : default;
                double loss = _network.TrainStep(source, rows, targets, weights);
                if (!double.IsFinite(loss))
                {
                    throw new TrainingDivergedException(
                        $"The training loss became {loss} at epoch {epoch + 1}, step {Optimizer.Steps + 1} (learning rate {rate:G3}). " +
                        "Lower the learning rate, set a gradient clipping norm, or normalize the features (e.g. NormalizeMinMax).");
                }

                if (_settings.ClipNorm > 0)
                {
                    // Off by default: the norm alone is a pass over every gradient on the calling thread.
                    GradientClipping.ClipByGlobalNorm(_network.Gradients, _settings.ClipNorm);
                }

                lossSum += loss * rows;
                examples += rows;
                if (rows == batchSize)
                {
                    retained = _network.Ledger.RetainedBytes;
                }

                rate = _schedule.RateAt(_settings.LearningRate, Optimizer.Steps);
                if (ReadsAhead)
                {
                    // The next batch is read (and, when it runs as one chunk, written into the network) by this thread while the
                    // pool's workers start the update; the update then takes this thread too. The same steps either way.
                    _aheadRows = 0;
                    Optimizer.Step(rate, _readAhead);
                    rows = _aheadRows;
                }
                else
                {
                    Optimizer.Step(rate);
                    rows = ReadBatch(source, fillAhead: false);
                }

                cancellation.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            _source = null;
            _network.DropFillAhead();
        }

        return new EpochReport(epoch, examples > 0 ? lossSum / examples : double.NaN, rate, examples, clock.Elapsed, retained);
    }

    /// <summary>
    /// Prepares the source's next batch and copies its targets (and weights); with <paramref name="fillAhead"/>, its features
    /// too (<see cref="Network.FillAhead"/>), unless the source could fill them on every thread in the step and the update
    /// is too small to cover the fill on one (fewer parameters than features in the batch: the CNN's 26K against 100K).
    /// </summary>
    private int ReadBatch(IMinibatchSource source, bool fillAhead)
    {
        int rows = source.NextBatch(_settings.BatchSize);
        if (rows > 0)
        {
            source.FillTargets(_targets.AsSpan(0, rows * source.TargetWidth), source.HasWeights ? _weights.AsSpan(0, rows) : default);
            if (fillAhead && (!source.FillsRowsConcurrently || _network.Parameters.Length >= (long)rows * _network.InputSize))
            {
                _network.FillAhead(source, rows);
            }
        }

        return rows;
    }

    /// <summary>The work the calling thread does during the optimizer's update (see <see cref="ReadsAhead"/>).</summary>
    private void ReadAhead() => _aheadRows = ReadBatch(_source!, fillAhead: true);
}
