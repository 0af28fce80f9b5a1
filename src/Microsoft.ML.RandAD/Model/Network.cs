using System.Diagnostics.CodeAnalysis;
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
public sealed class Network
{
    // Activation bytes per ping-pong buffer when ChunkRows is automatic: small enough that a layer's input and output stay
    // in a core's L2 (1 MB) between the element-wise layers (ReLU, pooling, copies). CNN benchmark, 1 thread, CPU time:
    // 16-row chunks (this rule gives 10, raised to the 16-row floor) ran the step in 42–44 ms against 46–49 ms with 83-row (4 MB) chunks.
    private const int ChunkBufferBytes = 512 << 10;

    private readonly List<Layer> _layers;
    private readonly Loss _loss;
    private readonly ParameterBlock[] _blocks;
    private readonly RetainedStack _stack = new();
    private readonly StepContext _context;
    private readonly ConcurrentRows _concurrentFill = new();
    private readonly FeatureRows _featureRows = new();
    private readonly KeptTable<float>[] _keptInputs;
    private readonly bool _couplesRows;
    private readonly int _widest;
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
    private int _requestedChunkRows;

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
        _widest = Math.Max(layers[0].InputShape.Size, layers.Max(l => l.OutputShape.Size));
        Ledger = new MemoryLedger([.. layers.Select((l, i) => $"{i}: {l.Description}")], 4L * parameters.Length);
        _context = StepContext.ForTraining(_stack, Ledger);
        LinkKeptOutputs(layers);
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
    /// Whether a convolution followed by max pooling runs its forward pass and the pooling's as one, pooling each image's output
    /// from the cache (<see cref="Conv2DLayer.TakesPooledOutput"/>), and a first convolution takes its output gradient through
    /// the pooling's winners instead of the pooling writing it out (<see cref="Conv2DLayer.TakesPooledGradient"/>); the same
    /// bits either way. On by default; tests and benchmarks turn it off to compare.
    /// </summary>
    internal bool FusesPooling { get; set; } = true;

    /// <summary>
    /// Whether layers <paramref name="i"/> and <paramref name="i"/> + 1 are a convolution and the max pooling after it that run
    /// as one forward pass (<see cref="FusesPooling"/>, <see cref="Conv2DLayer.TakesPooledOutput"/>); training and scoring both ask.
    /// </summary>
    internal bool PoolsFromCache(int i, [NotNullWhen(true)] out Conv2DLayer? convolution, [NotNullWhen(true)] out Pool2DLayer? pool)
    {
        convolution = i + 1 < _layers.Count ? _layers[i] as Conv2DLayer : null;
        pool = convolution is null ? null : _layers[i + 1] as Pool2DLayer;
        return FusesPooling && pool is not null && convolution!.TakesPooledOutput(pool);
    }

    /// <summary>
    /// Whether a Dense layer followed by a ReLU that keeps no mask runs both as one product (<see cref="ActivatesInProduct"/>,
    /// <see cref="MasksInProduct"/>); the same bits either way. On by default; tests and benchmarks turn it off to compare.
    /// </summary>
    internal bool FusesActivations { get; set; } = true;

    /// <summary>
    /// Whether layer <paramref name="i"/> is a Dense layer whose product applies the ReLU at <paramref name="i"/> + 1 (its
    /// forward pass, <see cref="DenseLayer.ForwardThroughRelu"/>): a plain ReLU (slope 0) that needs no mask of its own, as in
    /// scoring, or in training where the next layer keeps its output exactly. Training and scoring both ask.
    /// </summary>
    internal bool ActivatesInProduct(int i, bool training, [NotNullWhen(true)] out DenseLayer? dense)
    {
        dense = FusesActivations && i + 1 < _layers.Count && _layers[i + 1] is ReluLayer { NegativeSlope: 0 } relu && (!training || relu.ReadsOutput)
            ? _layers[i] as DenseLayer
            : null;
        return dense is not null;
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a Dense layer whose input-gradient product also takes the backward pass of the ReLU
    /// before it (<see cref="DenseLayer.BackwardThroughRelu"/>): a plain ReLU (slope 0) whose output this layer keeps exactly,
    /// with a layer below it that needs its input gradient.
    /// </summary>
    internal bool MasksInProduct(int i, [NotNullWhen(true)] out DenseLayer? dense)
    {
        dense = FusesActivations && i >= 2 && _layers[i - 1] is ReluLayer { NegativeSlope: 0, ReadsOutput: true } ? _layers[i] as DenseLayer : null;
        return dense is not null;
    }

    /// <summary>
    /// Rows per chunk of the forward pass; 0 (the default) picks them so an activation buffer holds about 512 KB (at least 16 rows).
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

    /// <summary>Tells each layer whether the next one keeps its output exactly (whenever the sketches change).</summary>
    internal static void LinkKeptOutputs(IReadOnlyList<Layer> layers)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            layers[i].OutputKeptByNext = i + 1 < layers.Count && layers[i + 1].KeepsInput;
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
        Prepare(rows);
        _firstChunkFilled = false;
        return Run(source, targets, weights);
    }

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
        : Math.Max(16, ChunkBufferBytes / (4 * _widest));

    private void Prepare(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
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

    /// <summary>Where chunk <paramref name="chunk"/>'s input goes: the retained stack when the first layer keeps it.</summary>
    private Span<float> ChunkInput(int chunk, int rows)
    {
        if (_layers[0].KeepsInput)
        {
            _context.LayerIndex = 0;
            _keptInputs[0][chunk] = _context.Keep<float>(rows * InputSize);
            return _context.Kept(_keptInputs[0][chunk]);
        }

        return _input.AsSpan(0, rows * InputSize);
    }

    // The step's glue (this, Forward and Backward, the layers' and the loss's calls, Sgemm.Multiply, the optimizer's step)
    // is compiled optimized at its first call rather than through the tiers: tier 1 recompiled it with profile data, which
    // inlined deeply (35 ms for this method alone) on the background thread that shares the two cores with the first
    // epoch's steps. The MLP's first epoch compiled 455-500 ms of code before, 300-398 ms after (`train`, JIT line).
    // NoInlining, as optimized code must not be inlined into tiered callers (KernelCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private double Run(IFeatureSource features, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights)
    {
        int batch = _batch;
        _batch = -1;
        int targetWidth = _loss.TargetWidth(OutputSize);
        if (targets.Length < batch * targetWidth || (!weights.IsEmpty && weights.Length < batch))
        {
            throw new ArgumentException($"A batch of {batch} needs {batch * targetWidth} targets and {batch} weights (or none).");
        }

        double weightSum = Loss.WeightSum(weights, batch);
        int chunks = ChunkCount(batch);
        double loss = 0;
        Span<float> lastOutput = default;
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            int first = chunk * _chunkRows, rows = Math.Min(_chunkRows, batch - first);
            ReadOnlySpan<float> input = _layers[0].KeepsInput && chunk == 0 && _firstChunkFilled
                ? _context.Kept(_keptInputs[0][0])
                : chunk == 0 && _firstChunkFilled ? _input.AsSpan(0, rows * InputSize) : Fill(features, chunk, first, rows);
            lastOutput = Forward(chunk, rows, input);

            // One chunk: the output gradient overwrites the logits in place; several: each chunk's goes aside.
            Span<float> gradient = chunks == 1 ? lastOutput : _lossGradient.AsSpan(first * OutputSize, rows * OutputSize);
            long start = Profile?.Now() ?? 0;
            loss += _loss.EvaluatePart(
                lastOutput, targets.Slice(first * targetWidth, rows * targetWidth), weights.IsEmpty ? default : weights.Slice(first, rows),
                rows, OutputSize, gradient, weightSum);
            Profile?.AddLoss(start);
        }

        for (int chunk = chunks - 1; chunk >= 0; chunk--)
        {
            int first = chunk * _chunkRows, rows = Math.Min(_chunkRows, batch - first);
            Span<float> gradient = chunks == 1 ? lastOutput : _lossGradient.AsSpan(first * OutputSize, rows * OutputSize);
            Backward(chunk, rows, gradient, accumulate: chunk != chunks - 1, inBufferA: chunks == 1 && lastOutput.Overlaps(_buffers.First), inBuffers: chunks == 1);
        }

        _context.KeptInputBlock = default;
        _context.KeptOutputBlock = default;
        _context.Accumulate = false;
        StepCount++;
        Profile?.CountStep();
        return loss / weightSum;
    }

    private ReadOnlySpan<float> Fill(IFeatureSource features, int chunk, int first, int rows)
    {
        _context.Chunk = chunk;
        Span<float> input = ChunkInput(chunk, rows);
        if (features.FillsRowsConcurrently)
        {
            _featureRows.Source = features;
            _featureRows.First = first;
            try
            {
                _concurrentFill.Write(_featureRows, rows, InputSize, input);
            }
            finally
            {
                _featureRows.Source = null; // the network does not hold on to the caller's source
            }
        }
        else
        {
            features.FillFeatures(first, rows, input);
        }

        return input;
    }

    /// <summary>A chunk's rows of a feature source, for <see cref="ConcurrentRows"/>.</summary>
    private sealed class FeatureRows : IRowWriter
    {
        public IFeatureSource? Source;
        public int First;

        public void WriteRows(int firstRow, int rowCount, Span<float> rows) => Source!.FillFeatures(First + firstRow, rowCount, rows);
    }

    // Once per step: compiled optimized at once (see Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private Span<float> Forward(int chunk, int rows, ReadOnlySpan<float> input)
    {
        _context.Chunk = chunk;
        _context.Batch = rows;
        Span<float> output = default;
        for (int i = 0; i < _layers.Count; i++)
        {
            Layer layer = _layers[i];
            if (PoolsFromCache(i, out Conv2DLayer? convolution, out Pool2DLayer? pool))
            {
                // A convolution under max pooling pools each image's output while it is in the cache: the output (6.4 MB for
                // the CNN's first layer at batch 128, 3.2 MB for its second) is never written out and read back. Blocks are
                // kept in the order of the unfused passes.
                long started = Profile?.Now() ?? 0;
                _context.LayerIndex = i;
                convolution.KeepForBackward(_context, input);
                output = LayerOutput(i + 1, chunk, rows, input);
                _context.LayerIndex = i + 1;
                Span<byte> winners = pool.BeginWinners(_context);
                convolution.ForwardThroughPooling(_context, input, pool, output, winners);
                pool.EndWinners(_context, winners);
                Profile?.AddForward(i, started); // the pooling's share counts with the convolution
                input = output;
                i++;
                continue;
            }

            if (ActivatesInProduct(i, training: true, out DenseLayer? dense))
            {
                // The ReLU after a Dense layer applied by the layer's product as its blocks complete: the pre-activation is
                // never written out and read back.
                long started = Profile?.Now() ?? 0;
                output = LayerOutput(i + 1, chunk, rows, input);
                _context.LayerIndex = i;
                dense.ForwardThroughRelu(_context, input, output);
                Profile?.AddForward(i, started); // the ReLU's share counts with the Dense layer
                input = output;
                i++;
                continue;
            }

            output = LayerOutput(i, chunk, rows, input);
            _context.LayerIndex = i;
            long start = Profile?.Now() ?? 0;
            layer.Forward(_context, input, output);
            Profile?.AddForward(i, start);
            input = output;
        }

        return output;
    }

    /// <summary>
    /// Where layer <paramref name="i"/> writes its output: a block kept for the next layer when it keeps its input, else the
    /// ping-pong buffer that does not hold <paramref name="input"/> (not simply by the layer's parity: a fused convolution and
    /// pooling skip one buffer, and the pooled output must not overwrite the images still being read).
    /// </summary>
    private Span<float> LayerOutput(int i, int chunk, int rows, ReadOnlySpan<float> input)
    {
        int size = rows * _layers[i].OutputShape.Size;
        if (i + 1 < _layers.Count && _layers[i + 1].KeepsInput)
        {
            _context.LayerIndex = i + 1;
            _keptInputs[i + 1][chunk] = _context.Keep<float>(size);
            return _context.Kept(_keptInputs[i + 1][chunk]);
        }

        return _buffers.Other(input).Slice(0, size);
    }

    // Once per step: compiled optimized at once (see Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private void Backward(int chunk, int rows, Span<float> outputGradient, bool accumulate, bool inBufferA, bool inBuffers)
    {
        // Each layer writes its input gradient into whichever ping-pong buffer does not hold its output gradient.
        _context.Chunk = chunk;
        _context.Batch = rows;
        _context.Accumulate = accumulate;
        Span<float> gradient = outputGradient;
        bool gradientInA = inBuffers && inBufferA;
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            Layer layer = _layers[i];
            Span<float> inputGradient = i == 0 ? default : (gradientInA ? _buffers.Second : _buffers.First).Slice(0, rows * layer.InputShape.Size);
            _context.LayerIndex = i;
            _context.KeptInputBlock = layer.KeepsInput ? _keptInputs[i][chunk] : default;
            _context.KeptOutputBlock = layer.OutputKeptByNext ? _keptInputs[i + 1][chunk] : default;
            long start = Profile?.Now() ?? 0;
            if (i == 1 && FusesPooling && layer is Pool2DLayer pool && _layers[0] is Conv2DLayer first && first.TakesPooledGradient(pool))
            {
                // A first convolution under max pooling reads its output gradient through the pooling's winners: the 6.4 MB
                // (CNN, batch 128) gradient the pooling would write, and the convolution read back, is never formed.
                ReadOnlySpan<byte> winners = pool.Winners(_context);
                _context.LayerIndex = 0;
                _context.KeptInputBlock = first.KeepsInput ? _keptInputs[0][chunk] : default;
                _context.KeptOutputBlock = first.OutputKeptByNext ? _keptInputs[1][chunk] : default;
                first.BackwardThroughPooling(_context, gradient, winners, pool);
                Profile?.AddBackward(0, start); // the pooling's share (unpacking its winners) counts with the convolution
                return;
            }

            if (MasksInProduct(i, out DenseLayer? dense))
            {
                // The Dense layer's input gradient comes out masked by the output of the ReLU before it (its kept input), which
                // makes it the ReLU's input gradient: the ReLU's own pass is skipped.
                dense.BackwardThroughRelu(_context, gradient, _context.KeptInput, inputGradient);
                Profile?.AddBackward(i, start); // the ReLU's share counts with the Dense layer
                gradient = inputGradient;
                gradientInA = !gradientInA;
                i--;
                continue;
            }

            layer.Backward(_context, gradient, inputGradient);
            Profile?.AddBackward(i, start);
            gradient = inputGradient;
            gradientInA = !gradientInA;
        }
    }

    private void EnsureCapacity(int chunkRows, int batch)
    {
        if (chunkRows > _capacityRows)
        {
            _input = PinnedMemory.Allocate<float>(chunkRows * InputSize);
            _buffers = new PingPongBuffers(chunkRows * _widest);
            _capacityRows = chunkRows;
        }

        if (batch > chunkRows && _lossGradient.Length < batch * OutputSize)
        {
            _lossGradient = PinnedMemory.Allocate<float>(batch * OutputSize);
        }
    }
}
