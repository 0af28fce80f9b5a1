using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// Magnitude sampling per row (<see cref="RadEstimator.SampledByMagnitude"/>): every input row keeps ‖x‖₁ and the indices
/// and signs of k entries drawn with probability proportional to |xᵢ| (<see cref="MagnitudeSampling"/>), in the bytes
/// uniform per-row sampling keeps for the same keep fraction. The weight gradient rebuilds x̂ a block of rows at a time
/// for the exact-shaped product or, when the draws are under an eighth of the entries, adds one row of dY scaled by
/// ±‖x‖₁/k into dW per draw (<see cref="SparseGradient.AddRowProducts"/>).
/// </summary>
/// <remarks>
/// The draws depend on the data, so they are stored, not regenerated: nothing random is needed in the backward pass.
/// </remarks>
internal sealed class MagnitudeColumnsSketch(float keepFraction) : InputSketch
{
    private readonly KeptTable<float> _norms = new();
    private readonly KeptTable<byte> _codes = new();

    /// <summary>Floats of x̂ rebuilt at a time for the dense weight-gradient product (1 MB; at least 64 rows).</summary>
    private const int RebuiltFloats = 1 << 18;

    public float Fraction { get; } = keepFraction;

    public override bool KeepsExactInput => false;

    public override string Description { get; } = $"by magnitude per row {KeepFraction.Describe(keepFraction)}";

    public override long RetainedBytes(int rows, int columns) =>
        ((long)rows * 4) + ((long)rows * MagnitudeSampling.CodeBytes(KeepFraction.MagnitudeDraws(Fraction, columns), columns));

    public override void Keep(StepContext context, int slot, ReadOnlySpan<float> input, int rows, int columns, int rowStride)
    {
        int draws = KeepFraction.MagnitudeDraws(Fraction, columns), rowBytes = MagnitudeSampling.CodeBytes(draws, columns);
        Span<float> offsets = context.SketchScratch(rows);
        CounterRng.UniformFloats(context.StepSeed, SampleSeal.Stream(context.LayerIndex, context.Chunk, slot, 6), 0, offsets);
        int chunk = context.Chunk;
        _norms[chunk, slot] = context.Keep<float>(rows);
        _codes[chunk, slot] = context.Keep<byte>(rows * rowBytes);
        MagnitudeSampling.SampleRows(input, rows, columns, rowStride, draws, offsets, context.Kept(_norms[chunk, slot]), context.Kept(_codes[chunk, slot]));
    }

    public override void WeightGradient(StepContext context, int slot, ReadOnlySpan<float> outputGradient, int rows, int columns, int outputs, Span<float> weightGradient, bool accumulate)
    {
        int draws = KeepFraction.MagnitudeDraws(Fraction, columns), rowBytes = MagnitudeSampling.CodeBytes(draws, columns);
        int chunk = context.Chunk;
        ReadOnlySpan<float> norms = context.Kept(_norms[chunk, slot]);
        ReadOnlySpan<byte> codes = context.Kept(_codes[chunk, slot]);
        if (8 * draws > columns)
        {
            // Dense enough (at f = 0.1 a row keeps 19–34 % as many draws as entries) that rebuilding x̂ a block of rows
            // at a time and taking the exact-shaped product beats adding one row of dY per draw.
            int block = Math.Min(rows, Math.Max(64, RebuiltFloats / columns));
            Span<float> rebuilt = context.SketchScratch(block * columns);
            for (int first = 0; first < rows; first += block)
            {
                int count = Math.Min(block, rows - first);
                Span<float> x = rebuilt.Slice(0, count * columns);
                MagnitudeSampling.Rebuild(codes.Slice(first * rowBytes, count * rowBytes), norms.Slice(first, count), count, columns, 1, draws, x);

                Sgemm.Multiply(
                    transposeA: true, transposeB: false, columns, outputs, count, 1f, x, columns,
                    outputGradient.Slice(first * outputs, count * outputs), outputs, accumulate || first > 0 ? 1f : 0f, weightGradient, outputs);
            }

            return;
        }

        Span<int> indices = context.IndexScratch(rows * draws);
        Span<float> values = context.SketchScratch(rows * draws);
        for (int r = 0; r < rows; r++)
        {
            MagnitudeSampling.Decode(codes.Slice(r * rowBytes, rowBytes), columns, draws, norms[r], indices.Slice(r * draws, draws), values.Slice(r * draws, draws));
        }

        SparseGradient.AddRowProducts(values, indices, rows, draws, outputGradient, outputs, weightGradient, columns, accumulate);
    }
}
