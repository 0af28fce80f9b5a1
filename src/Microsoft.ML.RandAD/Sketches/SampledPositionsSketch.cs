using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// Sampled positions for a convolution, per plane: every (example, channel) plane of H·W values keeps
/// k = ⌈f·H·W⌉ positions, drawn with replacement and scaled by HW/k (RAD-METHOD.md §3, "conv layers").
/// The backward pass sums the weight gradient straight from the samples (<see cref="SparseGradient.AddConvolutionProducts"/>);
/// shapes too large for that kernel rebuild the sparse x̂ a chunk at a time and take the exact-shaped product.
/// </summary>
internal sealed class SampledPositionsSketch(float keepFraction) : ImageSketch
{
    private readonly KeptTable<float> _values = new();
    private readonly KeptTable<ulong> _seal = new();

    public float Fraction { get; } = keepFraction;

    public override bool KeepsExactInput => false;

    public override string Description { get; } = $"positions per plane {KeepFraction.Describe(keepFraction)}";

    public override long RetainedBytes(int batch, in ConvGeometry geometry) =>
        4L * batch * geometry.Channels * KeepFraction.Count(Fraction, geometry.Height * geometry.Width) + 16;

    public override void Keep(StepContext context, ReadOnlySpan<float> images, int batch, in ConvGeometry geometry)
    {
        int plane = geometry.Height * geometry.Width, c = geometry.Channels;
        int k = KeepFraction.Count(Fraction, plane);
        ulong seed = context.StepSeed;
        Span<int> positions = Draw(context, seed, batch * c * k, plane);
        _seal[context.Chunk] = SampleSeal.Keep(context, seed, SampleSeal.Fingerprint(positions));
        _values[context.Chunk] = context.Keep<float>(batch * c * k);
        Span<float> kept = context.Kept(_values[context.Chunk]);
        float scale = plane / (float)k;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> image = images.Slice(n * geometry.ImageSize, geometry.ImageSize);
            for (int ch = 0; ch < c; ch++)
            {
                int at = (n * c + ch) * k;
                for (int j = 0; j < k; j++)
                {
                    kept[at + j] = scale * image[positions[at + j] * c + ch];
                }
            }
        }
    }

    public override void ParameterGradients(StepContext context, ReadOnlySpan<float> outputGradient, int batch, in ConvGeometry geometry, int filters, Span<float> weightGradient, Span<float> biasGradient, bool accumulate)
    {
        int plane = geometry.Height * geometry.Width;
        int count = batch * geometry.Channels * KeepFraction.Count(Fraction, plane);
        Span<int> positions = Draw(context, SampleSeal.Seed(context, _seal[context.Chunk]), count, plane);
        SampleSeal.Verify(context, _seal[context.Chunk], SampleSeal.Fingerprint(positions), Description);
        if (SparseGradient.CanAddConvolutionProducts(geometry, filters))
        {
            // Straight from the samples: f of the dense product's work, no rebuilt images, no column matrix.
            BiasGradient(outputGradient, batch, geometry, filters, biasGradient, accumulate);
            int k = KeepFraction.Count(Fraction, plane);
            SparseGradient.AddConvolutionProducts(
                geometry, filters, context.Kept(_values[context.Chunk]), positions, new SampleLayout(k, PerPlane: true), batch, outputGradient, weightGradient, accumulate);
            return;
        }

        base.ParameterGradients(context, outputGradient, batch, geometry, filters, weightGradient, biasGradient, accumulate);
    }

    protected override ReadOnlySpan<float> Images(StepContext context, int first, int count, in ConvGeometry geometry, Span<float> scratch)
    {
        // The positions were regenerated (and verified) into the index scratch by ParameterGradients.
        int plane = geometry.Height * geometry.Width, c = geometry.Channels;
        int k = KeepFraction.Count(Fraction, plane);
        ReadOnlySpan<int> positions = context.IndexScratch((first + count) * c * k);
        ReadOnlySpan<float> kept = context.Kept(_values[context.Chunk]);
        Span<float> images = scratch.Slice(0, count * geometry.ImageSize);
        images.Clear();
        for (int n = 0; n < count; n++)
        {
            Span<float> image = images.Slice(n * geometry.ImageSize, geometry.ImageSize);
            for (int ch = 0; ch < c; ch++)
            {
                int at = ((first + n) * c + ch) * k;
                for (int j = 0; j < k; j++)
                {
                    image[positions[at + j] * c + ch] += kept[at + j];
                }
            }
        }

        return images;
    }

    private static Span<int> Draw(StepContext context, ulong seed, int count, int plane)
    {
        Span<int> positions = context.IndexScratch(count);
        CounterRng.UniformIndices(seed, SampleSeal.Stream(context.LayerIndex, context.Chunk, 0, 5), 0, plane, positions);
        return positions;
    }
}
