using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// Random projection: keeps <c>x·R</c> (rows × k), R a D×k matrix with i.i.d. entries ±1/√k (Rademacher) or
/// N(0, 1/k) (Gaussian), one R per minibatch, so E[R·Rᵀ] = I and x̂ = (xR)Rᵀ is unbiased.
/// </summary>
/// <remarks>
/// The weight gradient never forms x̂: <c>dW = x̂ᵀ·dY = R·((xR)ᵀ·dY)</c>, a k×outputs product then a D×k by
/// k×outputs one, about 2f of the exact cost. R is regenerated in the backward pass from the stored seed.
/// </remarks>
internal sealed class ProjectionSketch(float keepFraction, bool gaussian) : InputSketch
{
    private readonly KeptTable<float> _values = new();
    private readonly KeptTable<ulong> _seals = new();

    public float Fraction { get; } = keepFraction;

    public bool Gaussian { get; } = gaussian;

    public override bool KeepsExactInput => false;

    public override string Description { get; } = $"{(gaussian ? "Gaussian" : "Rademacher")} projection {KeepFraction.Describe(keepFraction)}";

    public override long RetainedBytes(int rows, int columns) => 4L * rows * KeepFraction.Count(Fraction, columns) + 16;

    public override void Keep(StepContext context, int slot, ReadOnlySpan<float> input, int rows, int columns, int rowStride)
    {
        int k = KeepFraction.Count(Fraction, columns);
        ulong seed = context.StepSeed;
        Span<float> projection = Generate(context, seed, slot, columns, k, context.SketchScratch(columns * k));
        int chunk = context.Chunk;
        _seals[chunk, slot] = SampleSeal.Keep(context, seed, SampleSeal.Fingerprint(projection));
        _values[chunk, slot] = context.Keep<float>(rows * k);
        Sgemm.Multiply(false, false, rows, k, columns, 1f, input, rowStride, projection, k, 0f, context.Kept(_values[chunk, slot]), k);
    }

    public override void WeightGradient(StepContext context, int slot, ReadOnlySpan<float> outputGradient, int rows, int columns, int outputs, Span<float> weightGradient, bool accumulate)
    {
        int k = KeepFraction.Count(Fraction, columns);
        Span<float> scratch = context.SketchScratch(columns * k + k * outputs);
        int chunk = context.Chunk;
        Span<float> projection = Generate(context, SampleSeal.Seed(context, _seals[chunk, slot]), slot, columns, k, scratch.Slice(0, columns * k));
        SampleSeal.Verify(context, _seals[chunk, slot], SampleSeal.Fingerprint(projection), Description);
        Span<float> reduced = scratch.Slice(columns * k, k * outputs);
        Sgemm.Multiply(true, false, k, outputs, rows, 1f, context.Kept(_values[chunk, slot]), k, outputGradient, outputs, 0f, reduced, outputs);
        Sgemm.Multiply(false, false, columns, outputs, k, 1f, projection, k, reduced, outputs, accumulate ? 1f : 0f, weightGradient, outputs);
    }

    private Span<float> Generate(StepContext context, ulong seed, int slot, int columns, int k, Span<float> projection)
    {
        ulong stream = SampleSeal.Stream(context.LayerIndex, 0, slot, Gaussian ? 4 : 3); // one R per minibatch
        float scale = 1f / MathF.Sqrt(k);
        if (Gaussian)
        {
            CounterRng.Gaussian(seed, stream, 0, scale, projection);
        }
        else
        {
            CounterRng.Rademacher(seed, stream, 0, scale, projection);
        }

        return projection;
    }
}
