using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// A trained RandAD network and its training record: what the prediction transformers' <c>Model</c> returns. The
/// network can be exported to ONNX or scored directly (<see cref="Network.CreateScorer"/>).
/// </summary>
public sealed class RandADModelParameters
{
    internal RandADModelParameters(TrainedNetwork trained)
    {
        Network = trained.Network;
        Sketches = trained.Sketches;
        History = trained.History;
        Seed = trained.Seed;
    }

    /// <summary>The trained network (treat as read-only: scoring cursors read its parameters).</summary>
    public Network Network { get; }

    /// <summary>The architecture.</summary>
    public NetworkSpec Spec => Network.Spec;

    /// <summary>Features per row the model reads.</summary>
    public int FeatureCount => Network.InputSize;

    /// <summary>Per layer, how its input was kept for the backward pass (exact or a RAD sketch) and the bytes retained per step.</summary>
    public SketchReport Sketches { get; }

    /// <summary>One entry per training pass.</summary>
    public IReadOnlyList<RandADEpochMetrics> History { get; }

    /// <summary>The seed training used (given, or drawn from the MLContext).</summary>
    public int Seed { get; }

    /// <summary>Activation bytes retained between forward and backward per training step (the engine's ledger, last full batch).</summary>
    public long RetainedActivationBytes => History.Count > 0 ? History[^1].RetainedActivationBytes : 0;

    /// <inheritdoc/>
    public override string ToString() => Network.Describe();
}
