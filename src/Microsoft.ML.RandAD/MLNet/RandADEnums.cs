namespace Microsoft.ML.RandAD.MLNet;

/// <summary>How the learning rate changes over training.</summary>
public enum RandADLearningRateSchedule
{
    /// <summary>The base rate throughout.</summary>
    Constant,

    /// <summary>Multiply by <c>LearningRateDecayFactor</c> every <c>LearningRateDecayIterations</c> passes.</summary>
    StepDecay,

    /// <summary>Cosine annealing from the base rate to 0 over all passes.</summary>
    Cosine,
}

/// <summary>Which validation number early stopping watches.</summary>
public enum RandADEarlyStoppingMetric
{
    /// <summary>The training objective on the validation set (lower is better). Every task.</summary>
    Loss,

    /// <summary>Fraction of validation rows classified correctly (higher is better). Classification only.</summary>
    Accuracy,
}

/// <summary>Loss of the regression trainer.</summary>
public enum RandADRegressionLoss
{
    /// <summary>Squared error.</summary>
    SquaredError,

    /// <summary>Huber loss: squared near 0, linear beyond <c>HuberDelta</c>; robust to outliers.</summary>
    Huber,
}

/// <summary>Shape of image features: the feature vector holds C planes of H×W, channels first (ML.NET's ExtractPixels order).</summary>
/// <param name="Channels">Channels (1 gray, 3 RGB).</param>
/// <param name="Height">Rows of pixels.</param>
/// <param name="Width">Columns of pixels.</param>
public sealed record RandADImageShape(int Channels, int Height, int Width)
{
    /// <summary>Floats per image.</summary>
    public int Size => Channels * Height * Width;

    /// <inheritdoc/>
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}

/// <summary>
/// Shape of sequence features: the feature vector holds <paramref name="Steps"/> steps of <paramref name="StepSize"/> values,
/// step after step (the values of step 0, then those of step 1, …), e.g. a sensor window of 128 readings of 3 axes, or an
/// image read row by row.
/// </summary>
/// <param name="Steps">Steps in a row (the recurrence's length).</param>
/// <param name="StepSize">Values a step.</param>
public sealed record RandADSequenceShape(int Steps, int StepSize)
{
    /// <summary>Floats per sequence.</summary>
    public int Size => Steps * StepSize;

    /// <inheritdoc/>
    public override string ToString() => $"{Steps} steps × {StepSize}";
}

/// <summary>What one training pass did, handed to <c>MetricsCallback</c> and kept in the model's history.</summary>
/// <param name="Epoch">1-based pass number.</param>
/// <param name="TrainLoss">Mean training loss over the pass (weighted by example weights when given).</param>
/// <param name="ValidationLoss">The loss on <c>ValidationSet</c>, or null without one.</param>
/// <param name="ValidationAccuracy">Accuracy on <c>ValidationSet</c> (classification), or null.</param>
/// <param name="LearningRate">Learning rate of the pass's last step.</param>
/// <param name="SamplesPerSecond">Training throughput of the pass (validation excluded).</param>
/// <param name="RetainedActivationBytes">Activation bytes kept between forward and backward in a full batch (the engine's ledger).</param>
/// <param name="Elapsed">Wall time of the pass, validation included.</param>
public sealed record RandADEpochMetrics(
    int Epoch,
    double TrainLoss,
    double? ValidationLoss,
    double? ValidationAccuracy,
    float LearningRate,
    double SamplesPerSecond,
    long RetainedActivationBytes,
    TimeSpan Elapsed)
{
    /// <inheritdoc/>
    public override string ToString()
    {
        string validation = ValidationLoss is double loss
            ? $", validation loss {loss:F4}" + (ValidationAccuracy is double accuracy ? $", accuracy {accuracy:F4}" : string.Empty)
            : string.Empty;
        return $"epoch {Epoch}: train loss {TrainLoss:F4}{validation}, lr {LearningRate:G3}, {SamplesPerSecond:N0} samples/s, " +
            $"retained {RetainedActivationBytes:N0} B, {Elapsed.TotalSeconds:F1} s";
    }
}
