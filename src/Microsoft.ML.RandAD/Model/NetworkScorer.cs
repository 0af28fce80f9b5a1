using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Model;

/// <summary>
/// Scores batches with a trained <see cref="Network"/>: its own buffers and context, nothing retained, so
/// several scorers can run on different threads over the same network (while it is not training).
/// </summary>
public sealed class NetworkScorer
{
    private readonly Network _network;
    private readonly StepContext _context = StepContext.ForInference();
    private PingPongBuffers _buffers = PingPongBuffers.Empty;

    private readonly int _widest;

    internal NetworkScorer(Network network)
    {
        _network = network;
        _widest = network.Layers.Max(l => l.OutputShape.Size);
    }

    /// <summary>Floats per input row.</summary>
    public int InputSize => _network.InputSize;

    /// <summary>Floats per output row: logits for classification, the prediction for regression.</summary>
    public int OutputSize => _network.OutputSize;

    /// <summary>Computes the raw network outputs (logits) for <paramref name="batch"/> rows.</summary>
    /// <param name="input">batch × <see cref="InputSize"/> features.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="output">batch × <see cref="OutputSize"/> outputs.</param>
    public void Score(ReadOnlySpan<float> input, int batch, Span<float> output)
    {
        if (batch <= 0)
        {
            return;
        }

        if (input.Length < batch * InputSize || output.Length < batch * OutputSize)
        {
            throw new ArgumentException($"Scoring {batch} rows needs {batch * InputSize} input and {batch * OutputSize} output floats.");
        }

        IReadOnlyList<Layer> layers = _network.Layers;
        if (_buffers.Length < batch * _widest)
        {
            _buffers = new PingPongBuffers(batch * _widest);
        }

        _context.Batch = batch;
        ReadOnlySpan<float> current = input;
        for (int i = 0; i < layers.Count; i++)
        {
            if (_network.PassesOver(i))
            {
                continue; // as in training: a Flatten's output is its input
            }

            if (_network.PoolsFromCache(i, out Conv2DLayer? convolution, out Pool2DLayer? pool))
            {
                // As in training: each image's output pooled from the cache, never written out whole (51 MB for the CNN's first
                // layer at 1,024 rows).
                bool relu = _network.ActivatesAfterPooling(i + 2, training: false);
                Span<float> pooled = Next(layers, relu ? i + 2 : i + 1, batch, output, current);
                _context.LayerIndex = i;
                convolution.ForwardThroughPooling(_context, current, pool, pooled, default, relu);
                current = pooled;
                i += relu ? 2 : 1;
                continue;
            }

            if (_network.ActivatesInProduct(i, training: false, out DenseLayer? dense))
            {
                // As in training: the ReLU after a Dense layer applied by the layer's product.
                Span<float> activated = Next(layers, i + 1, batch, output, current);
                _context.LayerIndex = i;
                dense.ForwardThroughRelu(_context, current, activated);
                current = activated;
                i++;
                continue;
            }

            Span<float> next = Next(layers, i, batch, output, current);
            _context.LayerIndex = i;
            layers[i].Forward(_context, current, next);
            current = next;
        }
    }

    /// <summary>
    /// Where layer <paramref name="i"/> writes: the caller's output for the last layer, else the ping-pong buffer that does not
    /// hold <paramref name="current"/> (a fused convolution and pooling skip one, so parity would not do).
    /// </summary>
    private Span<float> Next(IReadOnlyList<Layer> layers, int i, int batch, Span<float> output, ReadOnlySpan<float> current) =>
        i == layers.Count - 1
            ? output.Slice(0, batch * OutputSize)
            : _buffers.Other(current).Slice(0, batch * layers[i].OutputShape.Size);
}
