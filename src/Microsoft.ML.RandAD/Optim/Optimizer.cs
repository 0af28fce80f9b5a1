using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Optim;

/// <summary>
/// Updates a network's parameters from its gradients with one fused, vectorized pass per run of parameters
/// that share their weight-decay treatment. State (momentum, Adam moments) is laid out like the parameters.
/// </summary>
public sealed class Optimizer
{
    private readonly Network _network;
    private readonly (int Offset, int Length, bool Decays)[] _segments;

    // The same runs merged across the decay flag where adjacent: one update when weight decay is 0 (every run then takes the
    // same arithmetic), as for the MLP benchmark's Adam, whose six runs (each layer's weights, then its bias) were six calls,
    // the small ones on one thread.
    private readonly (int Offset, int Length, bool Decays)[] _runs;
    private readonly float[] _first;
    private readonly float[] _second;

    /// <summary>Creates the optimizer for <paramref name="network"/>.</summary>
    /// <param name="network">The network to update.</param>
    /// <param name="spec">Which optimizer.</param>
    public Optimizer(Network network, OptimizerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        _network = network;
        Spec = spec;
        _segments = Segments(network.Blocks, acrossDecay: false);
        _runs = Segments(network.Blocks, acrossDecay: true);
        int n = network.Parameters.Length;
        bool usesFirst = spec.Kind != OptimizerKind.Sgd || spec.Momentum != 0;
        _first = usesFirst ? new float[n] : [];
        _second = spec.Kind == OptimizerKind.Sgd ? [] : new float[n];
    }

    /// <summary>The hyperparameters.</summary>
    public OptimizerSpec Spec { get; }

    /// <summary>Updates taken so far (Adam's bias correction uses it).</summary>
    public long Steps { get; private set; }

    /// <summary>Applies one update with learning rate <paramref name="learningRate"/> to every trainable parameter.</summary>
    /// <param name="learningRate">The step size, from the schedule.</param>
    public void Step(float learningRate) => Step(learningRate, alongside: null);

    /// <summary>
    /// <see cref="Step(float)"/> while the calling thread runs <paramref name="alongside"/>: the pool's workers start the
    /// update at once, and the calling thread takes what is left of it when <paramref name="alongside"/> returns (the training
    /// loop reads the next minibatch there: the update is a pass over memory that one core runs about as fast as two). The
    /// same update either way; <paramref name="alongside"/> must not touch the parameters, gradients or optimizer state.
    /// </summary>
    /// <param name="learningRate">The step size, from the schedule.</param>
    /// <param name="alongside">The calling thread's work, or null.</param>
    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal void Step(float learningRate, Action? alongside)
    {
        Steps++;
        float[] w = _network.Parameters, g = _network.Gradients;
        OptimizerSpec s = Spec;
        float step = 0, correction = 0;
        if (s.Kind != OptimizerKind.Sgd)
        {
            step = learningRate / (1f - MathF.Pow(s.Beta1, Steps));
            correction = 1f / MathF.Sqrt(1f - MathF.Pow(s.Beta2, Steps));
        }

        foreach ((int offset, int length, bool decays) in s.WeightDecay == 0 ? _runs : _segments)
        {
            float decay = decays ? s.WeightDecay : 0f;
            Span<float> ws = w.AsSpan(offset, length);
            ReadOnlySpan<float> gs = g.AsSpan(offset, length);
            switch (s.Kind)
            {
                case OptimizerKind.Sgd:
                    OptimizerKernels.Sgd(ws, gs, s.Momentum == 0 ? default : _first.AsSpan(offset, length), learningRate, s.Momentum, s.Nesterov, decay, alongside);
                    break;
                case OptimizerKind.Adam:
                    OptimizerKernels.Adam(ws, gs, _first.AsSpan(offset, length), _second.AsSpan(offset, length), step, correction, s.Beta1, s.Beta2, s.Epsilon, l2: decay, decay: 0f, alongside);
                    break;
                default:
                    OptimizerKernels.Adam(ws, gs, _first.AsSpan(offset, length), _second.AsSpan(offset, length), step, correction, s.Beta1, s.Beta2, s.Epsilon, l2: 0f, decay: learningRate * decay, alongside);
                    break;
            }

            alongside = null; // alongside the first run only
        }

        alongside?.Invoke(); // a network without trainable parameters
    }

    /// <summary>Runs of trainable parameters with the same decay flag (any, <paramref name="acrossDecay"/>), merged where adjacent.</summary>
    private static (int, int, bool)[] Segments(ReadOnlySpan<ParameterBlock> blocks, bool acrossDecay)
    {
        var segments = new List<(int Offset, int Length, bool Decays)>();
        foreach (ParameterBlock block in blocks)
        {
            if (!block.Spec.Trainable)
            {
                continue;
            }

            if (segments.Count > 0 && (acrossDecay || segments[^1].Decays == block.Spec.Decays) && segments[^1].Offset + segments[^1].Length == block.Offset)
            {
                segments[^1] = (segments[^1].Offset, segments[^1].Length + block.Length, block.Spec.Decays);
            }
            else
            {
                segments.Add((block.Offset, block.Length, block.Spec.Decays));
            }
        }

        return [.. segments];
    }
}
