namespace Microsoft.ML.RandAD.Training;

/// <summary>
/// Where a training loop gets its minibatches: an epoch is a sequence of batches, each first counted
/// (<see cref="NextBatch"/>) and then copied straight into the network's input buffer (<see cref="Fill"/>),
/// so rows are copied once.
/// </summary>
public interface IMinibatchSource
{
    /// <summary>Floats per example.</summary>
    int FeatureSize { get; }

    /// <summary>Target floats per example (1, or the output width for multi-output regression).</summary>
    int TargetWidth { get; }

    /// <summary>Whether the source supplies example weights.</summary>
    bool HasWeights { get; }

    /// <summary>Starts epoch <paramref name="epoch"/> (0-based); sources that shuffle draw the epoch's order here.</summary>
    /// <param name="epoch">The epoch number.</param>
    void StartEpoch(int epoch);

    /// <summary>Prepares the next batch of at most <paramref name="maxRows"/> rows.</summary>
    /// <param name="maxRows">The batch size.</param>
    /// <returns>Rows in the batch; 0 when the epoch is over.</returns>
    int NextBatch(int maxRows);

    /// <summary>Copies the prepared batch: rows × <see cref="FeatureSize"/> features, rows × <see cref="TargetWidth"/> targets, rows weights (when <see cref="HasWeights"/>).</summary>
    /// <param name="features">Destination of the features.</param>
    /// <param name="targets">Destination of the targets.</param>
    /// <param name="weights">Destination of the weights (empty when there are none).</param>
    void Fill(Span<float> features, Span<float> targets, Span<float> weights);
}
