using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Model;

// The training step itself: the chunked forward and backward passes (which layers run fused: Network.Fusion.cs; see the
// class remarks).
public sealed partial class Network
{
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
            int inputKeeper = KeeperOf(-1);
            ReadOnlySpan<float> input = inputKeeper >= 0 && chunk == 0 && _firstChunkFilled
                ? _context.Kept(_keptInputs[inputKeeper][0])
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
            if (PassesOver(i))
            {
                continue; // a Flatten: its output is its input, which the layer before wrote where the next one needs it
            }

            Layer layer = _layers[i];
            if (PoolsFromCache(i, out Conv2DLayer? convolution, out Pool2DLayer? pool))
            {
                // A convolution under max pooling pools each image's output while it is in the cache: the output (6.4 MB for
                // the CNN's first layer at batch 128, 3.2 MB for its second) is never written out and read back. Blocks are
                // kept in the order of the unfused passes.
                long started = Profile?.Now() ?? 0;
                _context.LayerIndex = i;
                convolution.KeepForBackward(_context, input);
                bool masked = MasksAfterPooling(i + 2); // a ReLU that keeps a mask, packed by the pass too
                bool relu = masked || ActivatesAfterPooling(i + 2, training: true); // then the ReLU's output is what the pass writes
                output = LayerOutput(relu ? i + 2 : i + 1, chunk, rows, input);
                _context.LayerIndex = i + 1;
                Span<byte> winners = pool.BeginWinners(_context);
                _context.LayerIndex = i + 2;
                Span<ulong> mask = masked ? ((ReluLayer)_layers[i + 2]).BeginMask(_context) : default;
                _context.LayerIndex = i + 1;
                convolution.ForwardThroughPooling(_context, input, pool, output, winners, relu, mask);
                pool.EndWinners(_context, winners);
                Profile?.AddForward(i, started); // the pooling's (and the ReLU's) share counts with the convolution
                input = output;
                i += relu ? 2 : 1;
                continue;
            }

            if (PacksReluMaskInProduct(i, out DenseLayer? masking, out ReluLayer? maskedRelu))
            {
                // The same with a ReLU that keeps a mask (RAD): the product packs it as its blocks complete.
                long started = Profile?.Now() ?? 0;
                output = LayerOutput(i + 1, chunk, rows, input);
                _context.LayerIndex = i + 1;
                Span<ulong> mask = maskedRelu.BeginMask(_context);
                _context.LayerIndex = i;
                masking.ForwardThroughReluMask(_context, input, output, mask);
                Profile?.AddForward(i, started); // the ReLU's share counts with the Dense layer
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
    /// Where layer <paramref name="i"/> writes its output: a block kept for the next layer that runs when it keeps its input
    /// (<see cref="KeeperOf"/>), else the ping-pong buffer that does not hold <paramref name="input"/> (not simply by the layer's
    /// parity: a fused convolution and pooling skip one buffer, and the pooled output must not overwrite the images still being read).
    /// </summary>
    private Span<float> LayerOutput(int i, int chunk, int rows, ReadOnlySpan<float> input)
    {
        int size = rows * _layers[i].OutputShape.Size;
        return KeepsOutput(i, chunk, size, out Span<float> kept) ? kept : _buffers.Other(input).Slice(0, size);
    }

    /// <summary>
    /// Whether the next layer that runs keeps the output of layer <paramref name="i"/> (−1: the network's input) exactly; then
    /// <paramref name="kept"/> is a new block of <paramref name="size"/> floats on the retained stack, charged to that layer, for
    /// the output to be written into.
    /// </summary>
    private bool KeepsOutput(int i, int chunk, int size, out Span<float> kept)
    {
        int keeper = KeeperOf(i);
        if (keeper < 0)
        {
            kept = default;
            return false;
        }

        _context.LayerIndex = keeper;
        _keptInputs[keeper][chunk] = _context.Keep<float>(size);
        kept = _context.Kept(_keptInputs[keeper][chunk]);
        return true;
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
            if (PassesOver(i))
            {
                continue; // a Flatten: its input gradient is its output gradient
            }

            // No input gradient for the first layer that runs, nor where a convolution reads the pooling's (below).
            Layer layer = _layers[i];
            bool pooledGradient = ReadsPooledGradient(i);
            Span<float> inputGradient = RunsBefore(i) < 0 || pooledGradient
                ? default : (gradientInA ? _buffers.Second : _buffers.First).Slice(0, rows * layer.InputShape.Size);
            _context.LayerIndex = i;
            _context.KeptInputBlock = layer.KeepsInput ? _keptInputs[i][chunk] : default;
            _context.KeptOutputBlock = layer.OutputKeptByNext ? _keptInputs[KeeperOf(i)][chunk] : default;
            long start = Profile?.Now() ?? 0;
            if (pooledGradient)
            {
                // A convolution under max pooling reads its output gradient through the pooling's winners: the gradient the
                // pooling would write (CNN, batch 128: 6.4 MB for the first layer, 3.2 MB for the second), and the convolution
                // read back, is never formed. Its input gradient, if any, comes out masked by a plain ReLU before it, as below.
                var pool = (Pool2DLayer)layer;
                int c = i - 1;
                var pooledConvolution = (Conv2DLayer)_layers[c];
                ReadOnlySpan<byte> winners = pool.Winners(_context);
                bool masked = MasksInConvolution(c, out _), maskedByBits = !masked && MasksBitsInConvolution(c, out _);
                ReadOnlySpan<ulong> reluMask = maskedByBits ? ((ReluLayer)_layers[c - 1]).Mask(_context) : default;
                Span<float> convolutionInputGradient = RunsBefore(c) < 0
                    ? default : (gradientInA ? _buffers.Second : _buffers.First).Slice(0, rows * pooledConvolution.InputShape.Size);
                _context.LayerIndex = c;
                _context.KeptInputBlock = pooledConvolution.KeepsInput ? _keptInputs[c][chunk] : default;
                _context.KeptOutputBlock = pooledConvolution.OutputKeptByNext ? _keptInputs[KeeperOf(c)][chunk] : default;
                pooledConvolution.BackwardThroughPooling(_context, gradient, winners, pool, convolutionInputGradient, masked ? _context.KeptInput : default, reluMask);
                Profile?.AddBackward(c, start); // the pooling's share (unpacking its winners) counts with the convolution
                gradient = convolutionInputGradient;
                gradientInA = !gradientInA;
                i = masked || maskedByBits ? c - 1 : c; // on below the ReLU whose backward pass the input gradient took, or the convolution
                continue;
            }

            if (MasksInProduct(i, out DenseLayer? dense, out int relu))
            {
                // The Dense layer's input gradient comes out masked by the output of the ReLU before it (its kept input), which
                // makes it the ReLU's input gradient: the ReLU's own pass is skipped.
                dense.BackwardThroughRelu(_context, gradient, _context.KeptInput, inputGradient);
                Profile?.AddBackward(i, start); // the ReLU's share counts with the Dense layer
                gradient = inputGradient;
                gradientInA = !gradientInA;
                i = relu;
                continue;
            }

            if (MasksBitsInProduct(i, out DenseLayer? bitsDense, out int bitsRelu))
            {
                // Likewise with the mask the ReLU keeps (RAD, whose Dense layer keeps a sketch rather than the ReLU's output).
                bitsDense.BackwardThroughReluMask(_context, gradient, ((ReluLayer)_layers[bitsRelu]).Mask(_context), inputGradient);
                Profile?.AddBackward(i, start); // the ReLU's share counts with the Dense layer
                gradient = inputGradient;
                gradientInA = !gradientInA;
                i = bitsRelu;
                continue;
            }

            if (MasksInConvolution(i, out Conv2DLayer? convolution))
            {
                // Likewise a convolution's direct input gradient, masked image by image as it is written.
                convolution.BackwardThroughRelu(_context, gradient, _context.KeptInput, inputGradient);
                Profile?.AddBackward(i, start); // the ReLU's share counts with the convolution
                gradient = inputGradient;
                gradientInA = !gradientInA;
                i--;
                continue;
            }

            if (MasksBitsInConvolution(i, out ReluLayer? maskingRelu))
            {
                // Or by the mask the ReLU keeps (RAD, whose convolution keeps a sketch rather than the ReLU's output).
                ((Conv2DLayer)layer).BackwardThroughReluMask(_context, gradient, maskingRelu.Mask(_context), inputGradient);
                Profile?.AddBackward(i, start); // the ReLU's share counts with the convolution
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
            _capacityRows = chunkRows;
        }

        int buffer = chunkRows * WidestWritten(); // grows when a fusion is turned off
        if (buffer > _buffers.Length)
        {
            _buffers = new PingPongBuffers(buffer);
        }

        if (batch > chunkRows && _lossGradient.Length < batch * OutputSize)
        {
            _lossGradient = PinnedMemory.Allocate<float>(batch * OutputSize);
        }
    }
}
