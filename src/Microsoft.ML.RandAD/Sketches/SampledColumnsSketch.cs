using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// Sampled columns: keeps k = ⌈f·D⌉ entries of each input row, drawn uniformly with replacement and scaled by
/// D/k, so E[x̂] = x. Per row ("different sample") every row draws its own k indices, and the weight gradient adds one
/// scaled row of dY into dW per kept value; shared ("same sample") one index set serves the whole minibatch, and the
/// weight gradient is a product over the k kept columns only, scatter-added into the rows of dW. Either costs about f of
/// the exact product.
/// </summary>
/// <remarks>
/// Stores the kept values (rows·k floats) and a 16-byte seal (seed and fingerprint, see <see cref="SampleSeal"/>);
/// indices are regenerated in the backward pass from the counter-based generator.
/// </remarks>
internal sealed class SampledColumnsSketch(float keepFraction, bool shared) : InputSketch
{
    private readonly KeptTable<float> _values = new();
    private readonly KeptTable<ulong> _seals = new();

    public float Fraction { get; } = keepFraction;

    public bool Shared { get; } = shared;

    public override bool KeepsExactInput => false;

    public override string Description { get; } = $"sampled {(shared ? "shared" : "per row")} {KeepFraction.Describe(keepFraction)}";

    public override long RetainedBytes(int rows, int columns) => 4L * rows * KeepFraction.Count(Fraction, columns) + 16;

    public override void Keep(StepContext context, int slot, ReadOnlySpan<float> input, int rows, int columns, int rowStride)
    {
        int k = KeepFraction.Count(Fraction, columns);
        ulong seed = context.StepSeed;
        Span<int> indices = Draw(context, seed, slot, rows, columns, k);
        int chunk = context.Chunk;
        _seals[chunk, slot] = SampleSeal.Keep(context, seed, SampleSeal.Fingerprint(indices));
        _values[chunk, slot] = context.Keep<float>(rows * k);
        Span<float> kept = context.Kept(_values[chunk, slot]);
        float scale = columns / (float)k;
        if (rowStride == columns)
        {
            Gather(input.Slice(0, rows * columns), rows, columns, indices, k, scale, kept);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<int> rowIndices = Shared ? indices : indices.Slice(r * k, k);
            Gather(input.Slice(r * rowStride, columns), 1, columns, rowIndices, k, scale, kept.Slice(r * k, k));
        }
    }

    public override void WeightGradient(StepContext context, int slot, ReadOnlySpan<float> outputGradient, int rows, int columns, int outputs, Span<float> weightGradient, bool accumulate)
    {
        int k = KeepFraction.Count(Fraction, columns);
        int chunk = context.Chunk;
        ulong seed = SampleSeal.Seed(context, _seals[chunk, slot]);
        Span<int> indices = Draw(context, seed, slot, rows, columns, k);
        SampleSeal.Verify(context, _seals[chunk, slot], SampleSeal.Fingerprint(indices), Description);
        ReadOnlySpan<float> kept = context.Kept(_values[chunk, slot]);

        if (Shared)
        {
            // dW[idx_j, :] += Σ_r x̂[r, j]·dY[r, :]: a k×outputs product, then a row scatter-add.
            Span<float> partial = context.SketchScratch(k * outputs);
            Sgemm.Multiply(true, false, k, outputs, rows, 1f, kept, k, outputGradient, outputs, 0f, partial, outputs);
            Span<float> dw = weightGradient.Slice(0, columns * outputs);
            if (!accumulate)
            {
                dw.Clear();
            }

            GatherScatter.ScatterAddRows(partial, outputs, indices, dw);
            return;
        }

        // Per row: dW[idx, :] += x̂[r, j]·dY[r, :] straight from the samples (rows·k row updates, f of the dense product's work)
        // instead of rebuilding x̂ densely and taking the full product.
        SparseGradient.AddRowProducts(kept, indices, rows, k, outputGradient, outputs, weightGradient, columns, accumulate);
    }

    private Span<int> Draw(StepContext context, ulong seed, int slot, int rows, int columns, int k)
    {
        Span<int> indices = context.IndexScratch(Shared ? k : rows * k);
        // One index set per minibatch when shared (every chunk draws the same), a fresh one per chunk otherwise.
        ulong stream = Shared ? SampleSeal.Stream(context.LayerIndex, 0, slot, 2) : SampleSeal.Stream(context.LayerIndex, context.Chunk, slot, 1);
        CounterRng.UniformIndices(seed, stream, 0, columns, indices);
        return indices;
    }

    private void Gather(ReadOnlySpan<float> source, int rows, int columns, ReadOnlySpan<int> indices, int k, float scale, Span<float> destination)
    {
        if (Shared)
        {
            GatherScatter.GatherColumns(source, rows, columns, indices, scale, destination);
        }
        else
        {
            GatherScatter.GatherColumnsPerRow(source, rows, columns, indices, k, scale, destination);
        }
    }
}
