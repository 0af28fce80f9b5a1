using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Model;

/// <summary>
/// A trainable network: layers built from a <see cref="NetworkSpec"/>, every parameter in one flat array,
/// and the machinery of a training step (retained stack, ledger, chunked activation buffers).
/// </summary>
/// <remarks>
/// <para>
/// A training step is <see cref="BeginStep"/> (returns the buffer to fill with the batch's features) then
/// <see cref="ForwardBackward"/>, or <see cref="TrainStep"/>, which pulls the features from a minibatch source.
/// Either returns the loss and leaves the gradient in <see cref="Gradients"/>.
/// </para>
/// <para>
/// Memory: what a layer keeps for its backward pass lives on the retained stack, measured by <see cref="Ledger"/>;
/// nothing else survives the forward pass. The forward pass runs the batch a chunk of rows at a time
/// (<see cref="ChunkRows"/>) through all layers, keeping each chunk's state, then the backward pass runs the chunks
/// back, accumulating the parameter gradients; so activation buffers are chunk-sized and the retained stack, which
/// RAD shrinks, is what grows with the batch. Networks whose layers couple rows (batch norm) run one chunk.
/// After the first step at a given batch size a step allocates nothing. Scoring goes through
/// <see cref="CreateScorer"/>, one scorer per thread.
/// </para>
/// </remarks>
public sealed partial class Network
{
    // Activation bytes per ping-pong buffer when ChunkRows is automatic; the rows a chunk takes are the largest power of two
    // that fits, at least 16. Chosen when the element-wise layers still ran as passes of their own (ReLU, pooling, copies):
    // 512 KB kept a layer's input and output in a core's L2, and on one thread 16-row chunks ran the CNN benchmark's step in
    // 42–44 ms against 46–49 ms with 83-row chunks. Since pooling and its ReLU run inside the convolutions (forward and
    // backward), larger chunks pay fewer small products and joins: on Zen 5, two threads, 64-row chunks (this rule with
    // 4 MB) trained the CNN 2.5–11.2 % faster over two epochs than 16-row chunks (three alternated pairs, thirteenth session).
    // The rule counts the rows a buffer is written with (WidestWritten): sized by the first convolution's output, which
    // fused pooling never writes, it cut the CNN's batch of 128 into two chunks of 64 for the same 3.2 MB buffers that now
    // hold it whole; one chunk took 0.978–0.989× the step time of two (in one process, Zen 3, eighteenth session).
    private const int ChunkBufferBytes = 4 << 20;

    private readonly List<Layer> _layers;
    private readonly Loss _loss;
    private readonly ParameterBlock[] _blocks;
    private readonly RetainedStack _stack = new();
    private readonly StepContext _context;
    private readonly ConcurrentRows _concurrentFill = new();
    private readonly FeatureRows _featureRows = new();
    private readonly KeptTable<float>[] _keptInputs;
    private readonly bool _couplesRows;
    private readonly StagedFeatures _staged = new();
    private float[] _input = [];
    private PingPongBuffers _buffers = PingPongBuffers.Empty;
    private float[] _lossGradient = [];
    private int _capacityRows;
    private int _batch = -1;

    // The largest batch the retained stack has been sized for ahead of its first step (see Prepare).
    private int _reservedBatch;
    private int _chunkRows;
    private bool _firstChunkFilled;

    // The source whose next batch FillAhead wrote (null: none), and its rows.
    private IFeatureSource? _filledAhead;
    private int _filledAheadRows;
    private int _requestedChunkRows;
    private bool _passesViews = true;
    private bool _fusesPooling = true;
    private bool _fusesActivations = true;

    // WidestWritten's result while the fusions, views and sketches stay as they are (0: to be computed again).
    private int _widestWritten;

    private Network(NetworkSpec spec, List<Layer> layers, float[] parameters, ulong seed)
    {
        Spec = spec;
        _layers = layers;
        _loss = LayerFactory.CreateLoss(spec.Loss);
        Seed = seed;
        Parameters = parameters;
        Gradients = new float[parameters.Length];
        _blocks = ParameterLayout.Bind(layers, Parameters, Gradients);
        _keptInputs = [.. layers.Select(_ => new KeptTable<float>())];
        _couplesRows = layers.Any(l => l.CouplesRows);
        Ledger = new MemoryLedger([.. layers.Select((l, i) => $"{i}: {l.Description}")], 4L * parameters.Length);
        _context = StepContext.ForTraining(_stack, Ledger);
        LinkKeptOutputs();
    }

    /// <summary>The architecture.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Seed of the initialization and of every random stream of training (dropout, RAD samples).</summary>
    public ulong Seed { get; }

    /// <summary>Training steps run so far (part of every step's random seed).</summary>
    public long StepCount { get; private set; }

    /// <summary>Floats per input example.</summary>
    public int InputSize => _layers[0].InputShape.Size;

    /// <summary>Floats per output example (classes, or 1).</summary>
    public int OutputSize => _layers[^1].OutputShape.Size;

    /// <summary>Every parameter, layer by layer, in one array.</summary>
    public float[] Parameters { get; }

    /// <summary>The gradient of the last step, laid out like <see cref="Parameters"/>.</summary>
    public float[] Gradients { get; }

    /// <summary>Bytes retained between forward and backward, per layer, in the last step.</summary>
    public MemoryLedger Ledger { get; }

    /// <summary>Bytes of the reused activation buffers and scratch (not retained across the passes).</summary>
    public long TransientBytes =>
        4L * (_input.Length + _buffers.StorageLength + _lossGradient.Length + _staged.Capacity) + _context.ScratchBytes;

    /// <summary>
    /// Rows per chunk of the forward pass; 0 (the default) picks the largest power of two of rows whose widest activation or
    /// gradient buffer written in a step holds at most 4 MB (at least 16 rows).
    /// Networks with batch norm always run the whole batch as one chunk.
    /// </summary>
    public int ChunkRows
    {
        get => _requestedChunkRows;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _requestedChunkRows = value;
            _reservedBatch = 0; // other chunks, other blocks: size the stack again
        }
    }

    /// <summary>Loss name, e.g. <c>softmax cross-entropy</c>.</summary>
    public string LossName => _loss.Name;

    internal IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Bytes of storage the retained stack holds.</summary>
    internal long RetainedCapacityBytes => _stack.CapacityBytes;

    /// <summary>Chunks the retained stack holds (one when it was sized right).</summary>
    internal int RetainedChunkCount => _stack.ChunkCount;

    /// <summary>When set, every training step adds its per-layer times to it (benchmarks only).</summary>
    internal StepProfile? Profile { get; set; }

    internal ReadOnlySpan<ParameterBlock> Blocks => _blocks;

    /// <summary>Builds a network with freshly initialized parameters.</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="seed">Seed of initialization and training randomness.</param>
    /// <returns>The network.</returns>
    public static Network Create(NetworkSpec spec, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        List<Layer> layers = LayerFactory.Build(spec);
        float[] parameters = new float[ParameterLayout.Count(layers)];
        var network = new Network(spec, layers, parameters, seed);
        ParameterLayout.Initialize(network._blocks, seed);
        return network;
    }

    /// <summary>Builds a network around existing parameter values (loading a saved model).</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="parameters">The values, laid out as <see cref="Parameters"/>.</param>
    /// <param name="seed">Seed for further training.</param>
    /// <returns>The network.</returns>
    public static Network FromParameters(NetworkSpec spec, ReadOnlySpan<float> parameters, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        List<Layer> layers = LayerFactory.Build(spec);
        int count = ParameterLayout.Count(layers);
        if (parameters.Length != count)
        {
            throw new ArgumentException($"The architecture has {count} parameters but {parameters.Length} values were given.", nameof(parameters));
        }

        return new Network(spec, layers, parameters.ToArray(), seed);
    }

    /// <summary>One line per layer with its output shape and parameter count.</summary>
    /// <returns>The summary.</returns>
    public string Describe()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"input {Spec.Input} → engine {_layers[0].InputShape}");
        foreach (Layer layer in _layers)
        {
            int count = layer.Parameters.Sum(p => p.Length);
            text.AppendLine($"  {layer.Description,-34} → {layer.OutputShape,-18} {count,10:N0} params");
        }

        text.Append($"  loss: {_loss.Name}; {Parameters.Length:N0} parameters");
        return text.ToString();
    }

    /// <summary>
    /// Chooses how every layer keeps its input for the backward pass (exact or a RAD sketch), planning for
    /// <paramref name="batchSize"/> when the settings give a memory budget, and reports what each layer retains.
    /// </summary>
    /// <param name="settings">The RAD settings.</param>
    /// <param name="batchSize">The training batch size (for the budget and the report).</param>
    /// <returns>Per layer, the sketch and the bytes it will retain per step.</returns>
    public Sketches.SketchReport ConfigureSketches(Sketches.RadSettings settings, int batchSize)
    {
        _reservedBatch = 0;
        return Sketches.SketchPlanner.Apply(this, settings, batchSize);
    }

    /// <summary>
    /// Whether a layer that only reinterprets its input (<see cref="Layer.IsView"/>: Flatten) is passed over, its input handed
    /// on as its output and its output gradient as its input gradient, instead of copying them; anywhere but last. Then the
    /// layer before it writes straight into the block the layer after it keeps, and that layer's fusions with a ReLU before it
    /// see through it. On by default; tests turn it off to compare.
    /// </summary>
    internal bool PassesViews
    {
        get => _passesViews;
        set
        {
            _passesViews = value;
            LinkKeptOutputs();
        }
    }

    /// <summary>Whether the step passes over layer <paramref name="i"/> (<see cref="PassesViews"/>); scoring asks too.</summary>
    internal bool PassesOver(int i) => _passesViews && i < _layers.Count - 1 && _layers[i].IsView;

    /// <summary>
    /// The layer that keeps the output of layer <paramref name="i"/> (−1: the network's input) for its backward pass: the next
    /// layer that runs, when it keeps its input exactly; else −1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into the step's optimized glue (see Run)
    internal int KeeperOf(int i)
    {
        int next = i + 1;
        while (PassesOver(next))
        {
            next++;
        }

        return next < _layers.Count && _layers[next].KeepsInput ? next : -1;
    }

    /// <summary>The layer that runs before layer <paramref name="i"/> (−1 when none does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into the step's optimized glue (see Run)
    private int RunsBefore(int i)
    {
        int previous = i - 1;
        while (previous >= 0 && PassesOver(previous))
        {
            previous--;
        }

        return previous;
    }

    /// <summary>Tells each layer whether the next one that runs keeps its output exactly (whenever the sketches change).</summary>
    internal void LinkKeptOutputs()
    {
        _widestWritten = 0; // sketches decide what a step writes too (a convolution over its kept input reads the pooled gradient)
        for (int i = 0; i < _layers.Count; i++)
        {
            _layers[i].OutputKeptByNext = KeeperOf(i) >= 0;
        }
    }

    /// <summary>Starts a training step of <paramref name="batch"/> examples and returns where to write their features.</summary>
    /// <param name="batch">Examples in the step.</param>
    /// <returns>batch × <see cref="InputSize"/> floats to fill, row per example.</returns>
    public Span<float> BeginStep(int batch)
    {
        Prepare(batch);
        if (ChunkCount(batch) == 1)
        {
            _firstChunkFilled = true;
            return ChunkInput(0, batch);
        }

        _firstChunkFilled = false;
        return _staged.Prepare(batch * InputSize);
    }

    /// <summary>
    /// Runs the forward and backward pass on the features written after <see cref="BeginStep"/>, leaves the
    /// gradient in <see cref="Gradients"/> and returns the weighted mean loss.
    /// </summary>
    /// <param name="targets">Per example: class index, 0/1 label or regression target (output-width values for squared error and Huber).</param>
    /// <param name="weights">Per-example weights, or empty for all 1.</param>
    /// <returns>The batch loss.</returns>
    public double ForwardBackward(ReadOnlySpan<float> targets, ReadOnlySpan<float> weights = default)
    {
        if (_batch < 0)
        {
            throw new InvalidOperationException("Call BeginStep before ForwardBackward.");
        }

        _staged.Width = InputSize;
        return Run(_staged, targets, weights);
    }

    /// <summary>
    /// Runs a whole training step on a batch of <paramref name="rows"/> examples whose features
    /// <paramref name="source"/> supplies a chunk of rows at a time, straight into the network's buffers.
    /// </summary>
    /// <param name="source">The batch's features.</param>
    /// <param name="rows">Rows in the batch.</param>
    /// <param name="targets">The batch's targets.</param>
    /// <param name="weights">The batch's weights, or empty.</param>
    /// <returns>The batch loss.</returns>
    public double TrainStep(IFeatureSource source, int rows, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!ReferenceEquals(source, _filledAhead) || rows != _filledAheadRows)
        {
            Prepare(rows);
            _firstChunkFilled = false;
        }

        _filledAhead = null;
        return Run(source, targets, weights);
    }

    /// <summary>
    /// Starts the step <see cref="TrainStep"/> will run next on <paramref name="rows"/> rows of <paramref name="source"/>: when the
    /// batch runs as one chunk, its features go now where the step reads them (the first layer's kept input, or the input
    /// buffer), and that <see cref="TrainStep"/> takes them; a batch of several chunks is left to the step, which fills each
    /// chunk as it reaches it. Any other call that starts a step drops what was filled. Touches no parameter, gradient or
    /// optimizer state, so the training loop calls it while the optimizer updates the parameters
    /// (<see cref="Optim.Optimizer.Step(float, Action?)"/>).
    /// </summary>
    internal void FillAhead(IFeatureSource source, int rows)
    {
        _filledAhead = null;
        if (ChunkRowsFor(rows) < rows)
        {
            return;
        }

        Prepare(rows);
        Fill(source, 0, 0, rows);
        _firstChunkFilled = true;
        _filledAhead = source;
        _filledAheadRows = rows;
    }

    /// <summary>Forgets a batch <see cref="FillAhead"/> wrote (the loop that asked for it stopped before its step).</summary>
    internal void DropFillAhead() => _filledAhead = null;

    /// <summary>Creates a scorer: its own buffers, so each thread that scores needs its own.</summary>
    /// <returns>The scorer.</returns>
    public NetworkScorer CreateScorer() => new(this);

    /// <summary>The random seed of step <paramref name="step"/>: a pure function of the network seed and the step number.</summary>
    internal ulong StepSeedOf(long step) => new SplitMix64(Seed ^ (0x5DEECE66DUL * (ulong)(step + 1))).Next();

    /// <summary>Rows of each chunk a batch of <paramref name="batch"/> runs as.</summary>
    internal IEnumerable<int> ChunkSizes(int batch)
    {
        int rows = ChunkRowsFor(batch);
        for (int first = 0; first < batch; first += rows)
        {
            yield return Math.Min(rows, batch - first);
        }
    }

    private int ChunkRowsFor(int batch) => _couplesRows ? batch
        : _requestedChunkRows > 0 ? _requestedChunkRows
        : Math.Max(16, 1 << BitOperations.Log2((uint)Math.Max(1, ChunkBufferBytes / (4 * WidestWritten()))));

    /// <summary>
    /// Floats a row of the widest activation or gradient a step writes to the ping-pong buffers, with the fusions as they are
    /// set: every layer's output and input gradient but a convolution's output that its max pooling takes from the cache, the
    /// gradient a convolution reads through the pooling's winners, a first layer's input gradient, and a passed-over
    /// Flatten's (at least the network's input, as before). Computed again only after the fusions, views or sketches change
    /// (a loop over the layers a step, twice, had the runtime recompile it at tier 1 during the first epoch: 9.8 ms).
    /// </summary>
    private int WidestWritten() => _widestWritten > 0 ? _widestWritten : _widestWritten = ComputeWidestWritten();

    private int ComputeWidestWritten()
    {
        int widest = InputSize;
        for (int i = 0; i < _layers.Count; i++)
        {
            if (PassesOver(i))
            {
                continue;
            }

            if (!PoolsFromCache(i, out _, out _))
            {
                widest = Math.Max(widest, _layers[i].OutputShape.Size);
            }

            if (RunsBefore(i) >= 0 && !ReadsPooledGradient(i))
            {
                widest = Math.Max(widest, _layers[i].InputShape.Size);
            }
        }

        return widest;
    }

    private void Prepare(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        _filledAhead = null;
        _chunkRows = ChunkRowsFor(batch);
        EnsureCapacity(Math.Min(batch, _chunkRows), batch);
        if (batch > _reservedBatch)
        {
            // Size the stack for this batch before its first step: grown block by block, the first step's chunks
            // and the merged chunk that replaces them would both be alive until a collection (2× the retained bytes
            // at the process peak). What each layer keeps per chunk is known in advance (the planner uses the same
            // count), and so is how many blocks it pushes.
            long bytes = 0;
            int blocks = 0;
            foreach (int rows in ChunkSizes(batch))
            {
                foreach (Layer layer in _layers)
                {
                    bytes += layer.RetainedBytes(rows);
                    blocks += layer.RetainedBlocks;
                }
            }

            _stack.Reserve(bytes, blocks);
            _reservedBatch = batch;
        }

        _stack.Reset();
        Ledger.BeginStep(batch);
        _context.StepSeed = StepSeedOf(StepCount);
        _batch = batch;
    }

    private int ChunkCount(int batch) => (batch + _chunkRows - 1) / _chunkRows;

    /// <summary>Where chunk <paramref name="chunk"/>'s input goes: the retained stack when the first layer that runs keeps it.</summary>
    private Span<float> ChunkInput(int chunk, int rows) =>
        KeepsOutput(-1, chunk, rows * InputSize, out Span<float> kept) ? kept : _input.AsSpan(0, rows * InputSize);
}
