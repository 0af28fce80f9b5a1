using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// What a layer sees of the current step: the batch size, whether it is training, the retained stack
/// (charged to the layer in the ledger), a scratch buffer, and the step's random seed.
/// </summary>
/// <remarks>A training context belongs to one network; an inference context to one scoring thread.</remarks>
internal sealed class StepContext
{
    private readonly RetainedStack? _stack;
    private readonly MemoryLedger? _ledger;
    private float[] _scratch = [];
    private float[] _sketchScratch = [];
    private int[] _indexScratch = [];

    private StepContext(RetainedStack? stack, MemoryLedger? ledger)
    {
        _stack = stack;
        _ledger = ledger;
    }

    /// <summary>Rows in the current call: the chunk's rows in training, the batch in scoring.</summary>
    public int Batch { get; internal set; }

    /// <summary>Whether this step will run a backward pass (layers keep state only then).</summary>
    public bool Training => _stack is not null;

    /// <summary>
    /// Which chunk of the batch's rows this call handles: the network runs the forward pass a chunk at a time
    /// (so activation buffers stay chunk-sized) and the backward pass chunk by chunk too. Layers index what they
    /// keep by chunk; RAD sketches that sample per row draw a fresh sample per chunk.
    /// </summary>
    public int Chunk { get; internal set; }

    /// <summary>During backward: add to the parameter gradients (every chunk after the first) instead of overwriting them.</summary>
    public bool Accumulate { get; internal set; }

    /// <summary>Index of the layer being run (ledger attribution and random streams).</summary>
    public int LayerIndex { get; internal set; }

    /// <summary>Seed of the current step: a pure function of the network seed and the step number.</summary>
    public ulong StepSeed { get; internal set; }

    /// <summary>During backward: the current chunk's input as kept by the network (when the layer <see cref="Layer.KeepsInput"/>).</summary>
    public ReadOnlySpan<float> KeptInput => _stack is not null && KeptInputBlock.Count > 0 ? _stack.Get(KeptInputBlock) : default;

    /// <summary>During backward: the current chunk's output as kept by the next layer (when <see cref="Layer.OutputKeptByNext"/>).</summary>
    public ReadOnlySpan<float> KeptOutput => _stack is not null && KeptOutputBlock.Count > 0 ? _stack.Get(KeptOutputBlock) : default;

    /// <summary>Where the next layer kept the current layer's output (set before its backward pass).</summary>
    internal RetainedBlock<float> KeptOutputBlock { get; set; }

    /// <summary>Where the network kept the current layer's input (set before its backward pass).</summary>
    internal RetainedBlock<float> KeptInputBlock { get; set; }

    /// <summary>Creates the context of a training network.</summary>
    public static StepContext ForTraining(RetainedStack stack, MemoryLedger ledger) => new(stack, ledger);

    /// <summary>Creates a context for scoring (keeps nothing).</summary>
    public static StepContext ForInference() => new(null, null);

    /// <summary>Pushes <paramref name="count"/> elements the current layer keeps for its backward pass.</summary>
    public RetainedBlock<T> Keep<T>(int count)
        where T : unmanaged
    {
        if (_stack is null || _ledger is null)
        {
            throw new InvalidOperationException("Layers keep state only while training.");
        }

        var block = _stack.Push<T>(count);
        _ledger.Charge(LayerIndex, block.Bytes, _stack.Depth);
        return block;
    }

    /// <summary>The span of a block kept by <see cref="Keep{T}"/> during this step.</summary>
    public Span<T> Kept<T>(RetainedBlock<T> block)
        where T : unmanaged
        => _stack!.Get(block);

    /// <summary>
    /// A scratch buffer of at least <paramref name="count"/> floats, valid until the next call (not across layers).
    /// Grows to the largest request, then stays, so steady-state steps allocate nothing.
    /// </summary>
    public Span<float> Scratch(int count)
    {
        if (_scratch.Length < count)
        {
            _scratch = PinnedMemory.Allocate<float>(count);
        }

        return _scratch.AsSpan(0, count);
    }

    /// <summary>
    /// Scratch for sketches, separate from <see cref="Scratch"/> because a layer may hold its scratch while it
    /// hands data to its sketch (a recurrent layer keeps its hidden states there).
    /// </summary>
    public Span<float> SketchScratch(int count)
    {
        if (_sketchScratch.Length < count)
        {
            _sketchScratch = PinnedMemory.Allocate<float>(count);
        }

        return _sketchScratch.AsSpan(0, count);
    }

    /// <summary>Scratch for regenerated sample indices (sketches only).</summary>
    public Span<int> IndexScratch(int count)
    {
        if (_indexScratch.Length < count)
        {
            _indexScratch = PinnedMemory.Allocate<int>(count);
        }

        return _indexScratch.AsSpan(0, count);
    }

    /// <summary>Bytes held by the scratch buffers.</summary>
    public long ScratchBytes => 4L * (_scratch.Length + _sketchScratch.Length + _indexScratch.Length);
}
