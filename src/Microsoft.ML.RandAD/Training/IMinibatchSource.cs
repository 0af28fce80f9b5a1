using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Training;

/// <summary>
/// Where a training loop gets its minibatches: an epoch is a sequence of batches, each first prepared
/// (<see cref="NextBatch"/>), then its targets copied (<see cref="FillTargets"/>) and its features copied a chunk
/// of rows at a time straight into the network's buffers (<see cref="IFeatureSource.FillFeatures"/>), so a row is
/// copied once and no full-batch feature buffer need exist.
/// </summary>
/// <remarks>
/// <see cref="TrainingLoop"/> prepares each next batch (and may copy its targets and features) on the calling thread while the
/// engine's other threads apply the previous step's update to the parameters: a source must not read or change the network.
/// </remarks>
public interface IMinibatchSource : IFeatureSource
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

    /// <summary>Copies the prepared batch's targets (rows × <see cref="TargetWidth"/>) and, when <see cref="HasWeights"/>, weights (rows).</summary>
    /// <param name="targets">Destination of the targets.</param>
    /// <param name="weights">Destination of the weights (empty when there are none).</param>
    void FillTargets(Span<float> targets, Span<float> weights);
}
