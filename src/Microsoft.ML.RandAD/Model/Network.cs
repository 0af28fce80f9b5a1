using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Model;

/// <summary>
/// A trainable network: layers built from a <see cref="NetworkSpec"/>, every parameter in one flat array,
/// and the machinery of a training step (retained stack, ledger, ping-pong activation buffers).
/// </summary>
/// <remarks>
/// A training step is <see cref="BeginStep"/> (returns the buffer to fill with the batch's features), then
/// <see cref="ForwardBackward"/> (returns the loss and leaves the gradients in <see cref="Gradients"/>).
/// Activations that no layer keeps flow through two reused buffers; what a layer keeps for its backward pass
/// lives on the retained stack, measured by <see cref="Ledger"/>. After the first step at a given batch size,
/// a step allocates nothing. Scoring goes through <see cref="CreateScorer"/>, one scorer per thread.
/// </remarks>
public sealed class Network
{
    private readonly List<Layer> _layers;
    private readonly Loss _loss;
    private readonly ParameterBlock[] _blocks;
    private readonly RetainedStack _stack = new();
    private readonly StepContext _context;
    private readonly RetainedBlock<float>[] _keptInputs;
    private float[] _input = [];
    private float[] _bufferA = [];
    private float[] _bufferB = [];
    private int _capacity;
    private int _batch = -1;

    private Network(NetworkSpec spec, List<Layer> layers, float[] parameters, ulong seed)
    {
        Spec = spec;
        _layers = layers;
        _loss = LayerFactory.CreateLoss(spec.Loss);
        Seed = seed;
        Parameters = parameters;
        Gradients = new float[parameters.Length];
        _blocks = ParameterLayout.Bind(layers, Parameters, Gradients);
        _keptInputs = new RetainedBlock<float>[layers.Count];
        Ledger = new MemoryLedger([.. layers.Select((l, i) => $"{i}: {l.Description}")], 4L * parameters.Length);
        _context = StepContext.ForTraining(_stack, Ledger);
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

    /// <summary>The gradient of the last <see cref="ForwardBackward"/>, laid out like <see cref="Parameters"/>.</summary>
    public float[] Gradients { get; }

    /// <summary>Bytes retained between forward and backward, per layer, in the last step.</summary>
    public MemoryLedger Ledger { get; }

    /// <summary>Bytes of the reused activation buffers and scratch (not retained across the passes).</summary>
    public long TransientBytes => 4L * (_input.Length + _bufferA.Length + _bufferB.Length) + _context.ScratchBytes;

    /// <summary>Loss name, e.g. <c>softmax cross-entropy</c>.</summary>
    public string LossName => _loss.Name;

    internal IReadOnlyList<Layer> Layers => _layers;

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

    /// <summary>Starts a training step of <paramref name="batch"/> examples and returns where to write their features.</summary>
    /// <param name="batch">Examples in the step.</param>
    /// <returns>batch × <see cref="InputSize"/> floats to fill, row per example.</returns>
    public Span<float> BeginStep(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        EnsureCapacity(batch);
        _stack.Reset();
        Ledger.BeginStep(batch);
        _context.Batch = batch;
        _context.StepSeed = StepSeedOf(StepCount);
        _batch = batch;
        int size = batch * InputSize;
        if (_layers[0].KeepsInput)
        {
            _context.LayerIndex = 0;
            _keptInputs[0] = _context.Keep<float>(size);
            return _context.Kept(_keptInputs[0]);
        }

        return _input.AsSpan(0, size);
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

        int batch = _batch;
        _batch = -1;
        int targetWidth = _loss.TargetWidth(OutputSize);
        if (targets.Length < batch * targetWidth || (!weights.IsEmpty && weights.Length < batch))
        {
            throw new ArgumentException($"A batch of {batch} needs {batch * targetWidth} targets and {batch} weights (or none).");
        }

        Span<float> output = Forward(batch);
        double loss = _loss.Evaluate(output, targets, weights, batch, OutputSize, output);
        Backward(output);
        StepCount++;
        return loss;
    }

    /// <summary>
    /// Chooses how every layer keeps its input for the backward pass (exact or a RAD sketch), planning for
    /// <paramref name="batchSize"/> when the settings give a memory budget, and reports what each layer retains.
    /// </summary>
    /// <param name="settings">The RAD settings.</param>
    /// <param name="batchSize">The training batch size (for the budget and the report).</param>
    /// <returns>Per layer, the sketch and the bytes it will retain per step.</returns>
    public Sketches.SketchReport ConfigureSketches(Sketches.RadSettings settings, int batchSize) =>
        Sketches.SketchPlanner.Apply(this, settings, batchSize);

    /// <summary>Creates a scorer: its own buffers, so each thread that scores needs its own.</summary>
    /// <returns>The scorer.</returns>
    public NetworkScorer CreateScorer() => new(this);

    private Span<float> Forward(int batch)
    {
        ReadOnlySpan<float> input = _layers[0].KeepsInput ? _context.Kept(_keptInputs[0]) : _input.AsSpan(0, batch * InputSize);
        Span<float> output = default;
        for (int i = 0; i < _layers.Count; i++)
        {
            Layer layer = _layers[i];
            int size = batch * layer.OutputShape.Size;
            if (i + 1 < _layers.Count && _layers[i + 1].KeepsInput)
            {
                _context.LayerIndex = i + 1;
                _keptInputs[i + 1] = _context.Keep<float>(size);
                output = _context.Kept(_keptInputs[i + 1]);
            }
            else
            {
                output = ((i & 1) == 0 ? _bufferA : _bufferB).AsSpan(0, size);
            }

            _context.LayerIndex = i;
            layer.Forward(_context, input, output);
            input = output;
        }

        return output;
    }

    private void Backward(Span<float> outputGradient)
    {
        // The loss wrote the output gradient over the last layer's output, in buffer (L−1) % 2; each layer
        // writes its input gradient into the other buffer, which is where the layer before reads it.
        int batch = _context.Batch;
        Span<float> gradient = outputGradient;
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            Layer layer = _layers[i];
            Span<float> inputGradient = i == 0
                ? default
                : ((i & 1) == 0 ? _bufferB : _bufferA).AsSpan(0, batch * layer.InputShape.Size);
            _context.LayerIndex = i;
            _context.KeptInputBlock = layer.KeepsInput ? _keptInputs[i] : default;
            layer.Backward(_context, gradient, inputGradient);
            gradient = inputGradient;
        }

        _context.KeptInputBlock = default;
    }

    private void EnsureCapacity(int batch)
    {
        if (batch <= _capacity)
        {
            return;
        }

        int widest = _layers.Max(l => l.OutputShape.Size);
        _input = PinnedMemory.Allocate<float>(batch * InputSize);
        _bufferA = PinnedMemory.Allocate<float>(batch * widest);
        _bufferB = PinnedMemory.Allocate<float>(batch * widest);
        _capacity = batch;
    }

    /// <summary>The random seed of step <paramref name="step"/>: a pure function of the network seed and the step number.</summary>
    internal ulong StepSeedOf(long step) => SplitMix64(Seed ^ (0x5DEECE66DUL * (ulong)(step + 1)));

    internal static ulong SplitMix64(ulong state)
    {
        ulong z = state + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
