using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// One stage of a network: forward and backward side by side. Activations are batch-major
/// (<c>batch × InputShape.Size</c> floats, one example per row).
/// </summary>
/// <remarks>
/// Contract the network relies on:
/// <list type="bullet">
/// <item>Everything a layer needs in its backward pass that is not a parameter goes through
/// <see cref="StepContext.Keep{T}"/> (or <see cref="KeepsInput"/>), so the ledger sees every retained byte.</item>
/// <item>In inference (<see cref="StepContext.Training"/> false) a layer writes no fields, so one network can
/// score from several threads, each with its own context.</item>
/// <item><c>Backward</c> overwrites the layer's parameter gradients and, unless it is empty, the input gradient.</item>
/// </list>
/// </remarks>
internal abstract class Layer
{
    protected Layer(TensorShape inputShape, TensorShape outputShape)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
    }

    /// <summary>Shape of one input example.</summary>
    public TensorShape InputShape { get; }

    /// <summary>Shape of one output example.</summary>
    public TensorShape OutputShape { get; }

    /// <summary>Short description for reports, e.g. <c>Dense 784→256</c>.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Whether the backward pass needs this layer's exact input. The network then writes the previous
    /// layer's output straight onto the retained stack (no copy) and charges it to this layer.
    /// </summary>
    public virtual bool KeepsInput => false;

    /// <summary>
    /// Whether the output is the input, the same floats in the same order under another shape (Flatten). The network then
    /// hands a chunk's input on as the output, and the output gradient on as the input gradient, instead of running the layer
    /// (anywhere but last); <see cref="Forward"/> and <see cref="Backward"/> still copy for a caller that runs it alone.
    /// </summary>
    public virtual bool IsView => false;

    /// <summary>
    /// Bytes this layer keeps between forward and backward for a batch, computed from its shapes and sketch:
    /// the memory planner's prediction of what the ledger will count (a test holds them equal).
    /// </summary>
    public virtual long RetainedBytes(int batch) => 0;

    /// <summary>
    /// At most how many blocks the layer pushes on the retained stack per chunk (each may cost up to 63 bytes of
    /// alignment): two (a sketch's seal and its values) unless a layer keeps more.
    /// </summary>
    public virtual int RetainedBlocks => 2;

    /// <summary>
    /// Whether an output row depends on other rows of the batch (batch normalization). A network with such a
    /// layer runs each batch as one chunk.
    /// </summary>
    public virtual bool CouplesRows => false;

    /// <summary>
    /// Whether the next layer keeps this layer's output exactly (set by the network whenever the sketches change);
    /// the output is then available in the backward pass as <see cref="StepContext.KeptOutput"/>.
    /// </summary>
    public bool OutputKeptByNext { get; internal set; }

    /// <summary>Parameter tensors this layer owns, in a fixed order.</summary>
    public virtual IReadOnlyList<ParameterSpec> Parameters => [];

    /// <summary>Receives the slices of the network's flat arrays, in the order of <see cref="Parameters"/>.</summary>
    public virtual void Bind(ReadOnlySpan<ParameterBlock> blocks)
    {
    }

    /// <summary>Computes <paramref name="output"/> (batch × OutputShape.Size) from <paramref name="input"/>.</summary>
    public abstract void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// From the output gradient, writes the parameter gradients and, when <paramref name="inputGradient"/> is
    /// not empty, the input gradient. The kept input, if any, is <see cref="StepContext.KeptInput"/>.
    /// </summary>
    public abstract void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient);
}
