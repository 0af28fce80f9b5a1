using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// Sampled positions for a convolution, shared: one set of k = ⌈f·H·W⌉ spatial positions (with replacement,
/// scaled by HW/k) for every example and channel of the minibatch. Keeps batch·k·C floats.
/// </summary>
/// <remarks>
/// The weight gradient skips im2col entirely. x̂ is non-zero only at the k positions, so for each kernel offset
/// (a, b), <c>dW[:, a, b, :] = Σ_{n, j} dY[n, o(j, a, b), :]ᵀ · x̂[n, p_j, :]</c> over the samples j whose position
/// p_j is reached from an output position o with that offset: f of the exact product's work. It is summed straight from
/// the samples (<see cref="SparseGradient.AddConvolutionProducts"/>); shapes too large for that kernel's stack
/// accumulators take one (filters × batch·k) by (batch·k × C) product per offset.
/// </remarks>
internal sealed class SharedPositionsSketch(float keepFraction) : ImageSketch
{
    private readonly KeptTable<float> _values = new();
    private readonly KeptTable<ulong> _seal = new();

    public float Fraction { get; } = keepFraction;

    public override bool KeepsExactInput => false;

    public override string Description { get; } = $"positions shared {KeepFraction.Describe(keepFraction)}";

    public override long RetainedBytes(int batch, in ConvGeometry geometry) =>
        4L * batch * geometry.Channels * KeepFraction.Count(Fraction, geometry.Height * geometry.Width) + 16;

    public override void Keep(StepContext context, ReadOnlySpan<float> images, int batch, in ConvGeometry geometry)
    {
        int c = geometry.Channels;
        int k = KeepFraction.Count(Fraction, geometry.Height * geometry.Width);
        ulong seed = context.StepSeed;
        Span<int> positions = Draw(context, seed, k, geometry);
        _seal[context.Chunk] = SampleSeal.Keep(context, seed, SampleSeal.Fingerprint(positions));
        _values[context.Chunk] = context.Keep<float>(batch * k * c);
        Span<float> kept = context.Kept(_values[context.Chunk]);
        float scale = geometry.Height * geometry.Width / (float)k;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> image = images.Slice(n * geometry.ImageSize, geometry.ImageSize);
            for (int j = 0; j < k; j++)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(image.Slice(positions[j] * c, c), scale, kept.Slice((n * k + j) * c, c));
            }
        }
    }

    /// <summary>No: its gradient is summed from the shared positions, reading dY whole.</summary>
    public override bool TakesPooledGradient(in ConvGeometry geometry, int filters) => false;

    public override void ParameterGradients(StepContext context, ReadOnlySpan<float> outputGradient, int batch, in ConvGeometry geometry, int filters, Span<float> weightGradient, Span<float> biasGradient, bool accumulate)
    {
        ConvGeometry g = geometry;
        BiasGradient(outputGradient, batch, g, filters, biasGradient, accumulate);
        int c = g.Channels;
        int k = KeepFraction.Count(Fraction, g.Height * g.Width);
        Span<int> positions = Draw(context, SampleSeal.Seed(context, _seal[context.Chunk]), k, g);
        SampleSeal.Verify(context, _seal[context.Chunk], SampleSeal.Fingerprint(positions), Description);
        ReadOnlySpan<float> kept = context.Kept(_values[context.Chunk]);
        if (SparseGradient.CanAddConvolutionProducts(g, filters))
        {
            SparseGradient.AddConvolutionProducts(g, filters, kept, positions, new SampleLayout(k, PerPlane: false), batch, outputGradient, weightGradient, accumulate);
            return;
        }

        Span<float> scratch = context.SketchScratch(batch * k * (filters + c));
        Span<float> gatheredGradient = scratch.Slice(0, batch * k * filters);
        Span<float> gatheredInput = scratch.Slice(batch * k * filters, batch * k * c);
        Span<int> outputs = k <= 1024 ? stackalloc int[k] : new int[k];

        if (!accumulate)
        {
            weightGradient.Slice(0, filters * g.PatchSize).Clear();
        }

        for (int a = 0; a < g.KernelHeight; a++)
        {
            for (int b = 0; b < g.KernelWidth; b++)
            {
                // Which samples this offset reaches, and from which output position.
                int valid = 0;
                for (int j = 0; j < k; j++)
                {
                    int o = OutputPosition(g, positions[j], a, b);
                    outputs[j] = o;
                    valid += o >= 0 ? 1 : 0;
                }

                if (valid == 0)
                {
                    continue;
                }

                int rows = 0;
                for (int n = 0; n < batch; n++)
                {
                    for (int j = 0; j < k; j++)
                    {
                        if (outputs[j] < 0)
                        {
                            continue;
                        }

                        outputGradient.Slice((n * g.OutPositions + outputs[j]) * filters, filters).CopyTo(gatheredGradient.Slice(rows * filters, filters));
                        if (valid < k)
                        {
                            kept.Slice((n * k + j) * c, c).CopyTo(gatheredInput.Slice(rows * c, c));
                        }

                        rows++;
                    }
                }

                ReadOnlySpan<float> input = valid < k ? gatheredInput : kept;
                Span<float> block = weightGradient.Slice((a * g.KernelWidth + b) * c);
                Sgemm.Multiply(true, false, filters, c, rows, 1f, gatheredGradient, filters, input, c, 1f, block, g.PatchSize);
            }
        }
    }

    protected override ReadOnlySpan<float> Images(StepContext context, int first, int count, in ConvGeometry geometry, Span<float> scratch) =>
        throw new InvalidOperationException("Shared positions compute the weight gradient without rebuilding images.");

    /// <summary>The output position whose window puts kernel offset (a, b) on input position p, or −1.</summary>
    private static int OutputPosition(in ConvGeometry g, int position, int a, int b)
    {
        int ih = position / g.Width, iw = position - ih * g.Width;
        int rh = ih + g.Padding - a, rw = iw + g.Padding - b;
        if (rh < 0 || rw < 0 || rh % g.Stride != 0 || rw % g.Stride != 0)
        {
            return -1;
        }

        int oh = rh / g.Stride, ow = rw / g.Stride;
        return oh < g.OutHeight && ow < g.OutWidth ? oh * g.OutWidth + ow : -1;
    }

    private static Span<int> Draw(StepContext context, ulong seed, int k, in ConvGeometry geometry)
    {
        Span<int> positions = context.IndexScratch(k);
        CounterRng.UniformIndices(seed, SampleSeal.Stream(context.LayerIndex, 0, 0, 6), 0, geometry.Height * geometry.Width, positions); // one set per minibatch
        return positions;
    }
}
