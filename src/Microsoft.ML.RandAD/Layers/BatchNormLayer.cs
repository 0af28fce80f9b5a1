using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Layers;

/// <summary>
/// Batch normalization per feature (vectors) or per channel (channels-last images, statistics over batch·H·W):
/// <c>y = γ·x̂ + β</c>, <c>x̂ = (x − μ)/√(σ² + ε)</c> with batch statistics in training and running statistics
/// (updated with momentum, unbiased variance as in PyTorch) in inference.
/// </summary>
/// <remarks>
/// Keeps x̂ (fp32) and 1/√(σ² + ε) per feature. Backward: dβ = Σ dY, dγ = Σ dY·x̂,
/// dX = γ/(N√(σ²+ε))·(N·dY − dβ − x̂·dγ). Not randomized (as in the paper).
/// </remarks>
internal sealed class BatchNormLayer : Layer
{
    private readonly int _features;
    private readonly int _spatial;
    private ParameterBlock _gamma;
    private ParameterBlock _beta;
    private ParameterBlock _runningMean;
    private ParameterBlock _runningVariance;
    private readonly KeptTable<float> _normalized = new();
    private readonly KeptTable<float> _inverseStd = new();

    public BatchNormLayer(TensorShape shape, float momentum, float epsilon)
        : base(shape, shape)
    {
        _features = shape.Kind == TensorKind.Image ? shape.Channels : shape.Size;
        _spatial = shape.Size / _features;
        Momentum = momentum;
        Epsilon = epsilon;
    }

    public float Momentum { get; }

    public float Epsilon { get; }

    public override string Description => $"BatchNorm({_features})";

    public override bool CouplesRows => true;

    public override long RetainedBytes(int batch) => 4L * batch * InputShape.Size + 4L * _features;

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("scale", [_features], Initializer.Ones, Decays: false),
        new("bias", [_features], Initializer.Zeros, Decays: false),
        new("running_mean", [_features], Initializer.Zeros, Decays: false, Trainable: false),
        new("running_var", [_features], Initializer.Ones, Decays: false, Trainable: false),
    ];

    public override void Bind(ReadOnlySpan<ParameterBlock> blocks)
    {
        _gamma = blocks[0];
        _beta = blocks[1];
        _runningMean = blocks[2];
        _runningVariance = blocks[3];
    }

    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output)
    {
        int rows = context.Batch * _spatial;
        int n = rows * _features;
        ReadOnlySpan<float> x = input.Slice(0, n);
        Span<float> y = output.Slice(0, n);
        Span<float> scratch = context.Scratch(3 * _features);
        Span<float> mean = scratch.Slice(0, _features);
        Span<float> shift = scratch.Slice(_features, _features);
        Span<float> scale = scratch.Slice(2 * _features, _features);

        if (!context.Training)
        {
            // y = x·s + t, s = γ/√(rv + ε), t = β − rm·s
            TensorPrimitives.Add(_runningVariance.Values, Epsilon, scale);
            TensorPrimitives.ReciprocalSqrt(scale, scale);
            TensorPrimitives.Multiply(scale, _gamma.Values, scale);
            TensorPrimitives.Multiply(_runningMean.Values, scale, shift);
            TensorPrimitives.Subtract(_beta.Values, shift, shift);
            x.CopyTo(y);
            RowVector.MultiplyRows(y, rows, scale);
            RowVector.AddToRows(y, rows, shift);
            return;
        }

        RowVector.SumRows(x, rows, mean);
        TensorPrimitives.Multiply(mean, 1f / rows, mean);
        TensorPrimitives.Negate(mean, shift);
        x.CopyTo(y);
        RowVector.AddToRows(y, rows, shift); // y = x − μ

        _normalized[context.Chunk] = context.Keep<float>(n);
        _inverseStd[context.Chunk] = context.Keep<float>(_features);
        Span<float> normalized = context.Kept(_normalized[context.Chunk]);
        Span<float> inverseStd = context.Kept(_inverseStd[context.Chunk]);
        TensorPrimitives.Multiply(y, y, normalized);
        RowVector.SumRows(normalized, rows, scale); // Σ (x − μ)²
        UpdateRunningStatistics(mean, scale, rows);
        TensorPrimitives.Multiply(scale, 1f / rows, inverseStd);
        TensorPrimitives.Add(inverseStd, Epsilon, inverseStd);
        TensorPrimitives.ReciprocalSqrt(inverseStd, inverseStd);

        y.CopyTo(normalized);
        RowVector.MultiplyRows(normalized, rows, inverseStd); // x̂
        normalized.CopyTo(y);
        RowVector.MultiplyRows(y, rows, _gamma.Values);
        RowVector.AddToRows(y, rows, _beta.Values);
    }

    public override void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        int rows = context.Batch * _spatial;
        int n = rows * _features;
        ReadOnlySpan<float> dy = outputGradient.Slice(0, n);
        ReadOnlySpan<float> normalized = context.Kept(_normalized[context.Chunk]);
        ReadOnlySpan<float> inverseStd = context.Kept(_inverseStd[context.Chunk]);
        Span<float> scratch = context.Scratch(n + 2 * _features);
        Span<float> product = scratch.Slice(0, n);
        Span<float> negBetaGrad = scratch.Slice(n, _features);
        Span<float> negGammaGrad = scratch.Slice(n + _features, _features);

        // Batch statistics couple the rows, so the network never splits a batch-norm network into chunks.
        RowVector.SumRows(dy, rows, _beta.Gradient);
        TensorPrimitives.Multiply(dy, normalized, product);
        RowVector.SumRows(product, rows, _gamma.Gradient);
        if (inputGradient.IsEmpty)
        {
            return;
        }

        // dX = (γ·invstd/N)·(N·dY − dβ − x̂·dγ)
        Span<float> dx = inputGradient.Slice(0, n);
        TensorPrimitives.Negate(_gamma.Gradient, negGammaGrad);
        normalized.CopyTo(dx);
        RowVector.MultiplyRows(dx, rows, negGammaGrad);
        TensorPrimitives.MultiplyAdd(dy, (float)rows, dx, dx);
        TensorPrimitives.Negate(_beta.Gradient, negBetaGrad);
        RowVector.AddToRows(dx, rows, negBetaGrad);
        TensorPrimitives.Multiply(_gamma.Values, inverseStd, negBetaGrad);
        TensorPrimitives.Multiply(negBetaGrad, 1f / rows, negBetaGrad);
        RowVector.MultiplyRows(dx, rows, negBetaGrad);
    }

    private void UpdateRunningStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> sumOfSquares, int rows)
    {
        float m = Momentum;
        float unbiased = rows > 1 ? 1f / (rows - 1) : 1f;
        Span<float> runningMean = _runningMean.Values;
        Span<float> runningVariance = _runningVariance.Values;
        for (int f = 0; f < _features; f++)
        {
            runningMean[f] = (1 - m) * runningMean[f] + m * mean[f];
            runningVariance[f] = (1 - m) * runningVariance[f] + m * sumOfSquares[f] * unbiased;
        }
    }
}
