using System.Runtime.InteropServices;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Max or average pooling over channels-last images, no padding. Max keeps the winning window position of each output
/// element, packed in 2 bits for windows of up to 4 positions (2×2), 4 bits up to 16, a byte beyond; average keeps
/// nothing.
/// </summary>
internal sealed class Pool2DLayer : Layer
{
    private readonly PoolGeometry _geometry;
    private readonly KeptTable<byte> _winners = new();
    private readonly int _winnerBits;

    public Pool2DLayer(TensorShape input, PoolKind kind, int size, int stride)
        : base(input, OutputOf(input, size, stride))
    {
        if (size * size > 256)
        {
            throw new ArgumentException($"Pooling windows up to 16×16 are supported, got {size}×{size}.");
        }

        Kind = kind;
        _geometry = new PoolGeometry(input.Channels, input.Height, input.Width, size, stride);
        _winnerBits = IndexPacking.BitsFor(size * size);
    }

    public PoolKind Kind { get; }

    public int Size => _geometry.Size;

    public int Stride => _geometry.Stride;

    public override string Description => $"{(Kind == PoolKind.Max ? "MaxPool" : "AvgPool")} {Size}×{Size} s{Stride}";

    public override long RetainedBytes(int batch) => Kind == PoolKind.Max ? IndexPacking.PackedBytes((long)batch * _geometry.OutImageSize, _winnerBits) : 0;

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = context.Batch;
        if (Kind == PoolKind.Average)
        {
            Pooling.AverageForward(_geometry, input, batch, output);
            return;
        }

        Span<byte> winners = BeginWinners(context);
        Pooling.MaxForward(_geometry, input, batch, output, winners);
        EndWinners(context, winners);
    }

    /// <summary>
    /// Where max pooling's forward pass records the current chunk's winners, a byte each: the kept block itself when a winner
    /// takes a byte, else scratch that <see cref="EndWinners"/> packs into it; empty when not training.
    /// </summary>
    internal Span<byte> BeginWinners(StepContext context)
    {
        if (!context.Training)
        {
            return default;
        }

        int count = context.Batch * _geometry.OutImageSize;
        _winners[context.Chunk] = context.Keep<byte>((int)IndexPacking.PackedBytes(count, _winnerBits));
        return _winnerBits == 8 ? context.Kept(_winners[context.Chunk]) : Unpacked(context, count);
    }

    /// <summary>Keeps the winners recorded in <see cref="BeginWinners"/>'s span (packs them when a winner takes fewer bits than a byte).</summary>
    internal void EndWinners(StepContext context, ReadOnlySpan<byte> winners)
    {
        if (context.Training && _winnerBits != 8)
        {
            IndexPacking.Pack(winners, _winnerBits, context.Kept(_winners[context.Chunk]));
        }
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        int batch = context.Batch;
        if (Kind == PoolKind.Average)
        {
            Pooling.AverageBackward(_geometry, outputGradient, batch, inputGradient);
        }
        else
        {
            Pooling.MaxBackward(_geometry, outputGradient, Winners(context), batch, inputGradient);
        }
    }

    internal PoolGeometry Geometry => _geometry;

    /// <summary>Max pooling's winning window positions for the current chunk, a byte each (unpacked into scratch when kept packed).</summary>
    internal ReadOnlySpan<byte> Winners(StepContext context)
    {
        int count = context.Batch * _geometry.OutImageSize;
        ReadOnlySpan<byte> kept = context.Kept(_winners[context.Chunk]);
        if (_winnerBits == 8)
        {
            return kept;
        }

        Span<byte> unpacked = Unpacked(context, count);
        IndexPacking.Unpack(kept, _winnerBits, count, unpacked);
        return unpacked;
    }

    /// <summary>One byte per winner for the pooling kernel, packed into the kept block after the forward pass and unpacked before the backward pass.</summary>
    private static Span<byte> Unpacked(StepContext context, int count) =>
        MemoryMarshal.AsBytes(context.Scratch((count + 3) / 4)).Slice(0, count);

    private static TensorShape OutputOf(TensorShape input, int size, int stride) =>
        TensorShape.Image((input.Height - size) / stride + 1, (input.Width - size) / stride + 1, input.Channels);
}
