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

    /// <summary>
    /// Reads the network of a RandAD model from a file: a model zip written by <c>mlContext.Model.Save</c> of a pipeline with
    /// one RandAD trainer, or an ONNX file written by <c>OnnxExport.Save</c> or <c>ConvertToOnnxWithRandAD</c>. The
    /// architecture and the parameters come back exactly (the same bits), so the model can be trained further
    /// (<c>trainer.Fit(trainData, parameters)</c>) or scored in the engine (<c>Network.CreateScorer()</c>). It carries no
    /// training history, and its <see cref="Sketches"/> report is that of exact training at the default batch size.
    /// </summary>
    /// <param name="path">The .zip or .onnx file.</param>
    /// <returns>The model's parameters.</returns>
    /// <exception cref="InvalidDataException">The file holds no RandAD network (or several, in a zip).</exception>
    public static RandADModelParameters Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using FileStream stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>As <see cref="Load(string)"/>, from a stream (read to its end, left open).</summary>
    /// <param name="stream">A model zip or an ONNX model.</param>
    /// <returns>The model's parameters.</returns>
    public static RandADModelParameters Load(Stream stream) => Load(stream, "the stream");

    private static RandADModelParameters Load(Stream stream, string source)
    {
        Network network = Onnx.OnnxImport.Read(stream, source);
        SketchReport sketches = network.ConfigureSketches(RadSettings.Exact, RandADDefaults.BatchSize);
        return new RandADModelParameters(new TrainedNetwork(network, sketches, [], Seed: 0));
    }

    /// <inheritdoc/>
    public override string ToString() => Network.Describe();
}
