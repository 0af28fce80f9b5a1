using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Max or average pooling over channels-last images, no padding. Max keeps one byte per output element (the
/// winning window position); average keeps nothing.
/// </summary>
internal sealed class Pool2DLayer : Layer
{
    private readonly PoolGeometry _geometry;
    private readonly KeptTable<byte> _winners = new();

    public Pool2DLayer(TensorShape input, PoolKind kind, int size, int stride)
        : base(input, OutputOf(input, size, stride))
    {
        if (size * size > 256)
        {
            throw new ArgumentException($"Pooling windows up to 16×16 are supported, got {size}×{size}.");
        }

        Kind = kind;
        _geometry = new PoolGeometry(input.Channels, input.Height, input.Width, size, stride);
    }

    public PoolKind Kind { get; }

    public int Size => _geometry.Size;

    public int Stride => _geometry.Stride;

    public override string Description => $"{(Kind == PoolKind.Max ? "MaxPool" : "AvgPool")} {Size}×{Size} s{Stride}";

    public override long RetainedBytes(int batch) => Kind == PoolKind.Max ? (long)batch * _geometry.OutImageSize : 0;

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = context.Batch;
        if (Kind == PoolKind.Average)
        {
            Pooling.AverageForward(_geometry, input, batch, output);
            return;
        }

        Span<byte> winners = default;
        if (context.Training)
        {
            _winners[context.Chunk] = context.Keep<byte>(batch * _geometry.OutImageSize);
            winners = context.Kept(_winners[context.Chunk]);
        }

        Pooling.MaxForward(_geometry, input, batch, output, winners);
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
            Pooling.MaxBackward(_geometry, outputGradient, context.Kept(_winners[context.Chunk]), batch, inputGradient);
        }
    }

    private static TensorShape OutputOf(TensorShape input, int size, int stride) =>
        TensorShape.Image((input.Height - size) / stride + 1, (input.Width - size) / stride + 1, input.Channels);
}
