using System.Runtime.CompilerServices;
namespace Microsoft.ML.RandAD.Kernels;

// The per-thread buffers, the weights' layouts (transposed, flipped) and the argument checks of the direct convolution.
internal static unsafe partial class DirectConvolution
{
    [ThreadStatic]
    private static float[]? t_transposed;

    [ThreadStatic]
    private static float[]? t_partSums;

    [ThreadStatic]
    private static float[]? t_expanded;

    [ThreadStatic]
    private static float[]? t_sparse;

    [ThreadStatic]
    private static float[]? t_masks;

    /// <summary>
    /// The first 64-byte boundary in a buffer of at least 16 spare floats: the accumulators and weights are read and written
    /// as whole vectors, and a vector straddling two cache lines costs a split access on every touch (measured: the weight
    /// gradient ran several times slower from an unaligned stack buffer).
    /// </summary>
    private static float* AlignTo64(float* buffer) => (float*)(((nuint)buffer + 63) & ~(nuint)63);

    /// <summary>The geometry of the input gradient as a forward convolution: the output gradient's images, padded by K − 1 − p.</summary>
    private static ConvGeometry Transposed(in ConvGeometry g, int filters) =>
        new(filters, g.OutHeight, g.OutWidth, g.KernelHeight, g.KernelWidth, 1, g.KernelHeight - 1 - g.Padding);

    /// <summary>
    /// The calling thread's buffer for a call's transposed weights: the worker threads read it during the call, and the next
    /// call on this thread overwrites it.
    /// </summary>
    private static float* TransposedWeights(int floats) => ThreadBuffer(ref t_transposed, floats);

    /// <summary>The calling thread's buffer for the image parts' sums of a weight gradient (the worker threads write it during the call).</summary>
    private static float* PartSums(int floats) => ThreadBuffer(ref t_partSums, floats);

    /// <summary>One image's output (forward through pooling) or output gradient formed from the pooling's (the weight gradient's route through pooling off AVX-512), per thread.</summary>
    private static float* ExpandedBuffer(int floats) => ThreadBuffer(ref t_expanded, floats);

    /// <summary>The sparse weight gradient's nonzero counts and lists (per thread), or a part's sums while AddParts turns them tap-major.</summary>
    private static float* SparseBuffer(int floats) => ThreadBuffer(ref t_sparse, floats);

    /// <summary>The nonzero masks of a padded image (a word a pixel) of the sparse input gradient, per thread.</summary>
    private static float* MaskBuffer(int floats) => ThreadBuffer(ref t_masks, floats);

    /// <summary><paramref name="floats"/> rounded up to whole 64-byte lines.</summary>
    private static int Round16(int floats) => (floats + 15) & ~15;

    /// <summary>A per-thread buffer of at least <paramref name="floats"/> floats, 64-byte aligned, pinned, grown to the largest call.</summary>
    private static float* ThreadBuffer(ref float[]? buffer, int floats)
    {
        if (buffer is null || buffer.Length < floats + 16)
        {
            buffer = PinnedMemory.Allocate<float>(floats + 16);
        }

        return AlignTo64(PinnedMemory.Pointer(buffer));
    }

    /// <summary>
    /// The input gradient's kernel, laid out as <see cref="Forward"/> wants its weights (patch × filters, transposed): tap
    /// (kh', kw', f) of output channel c is weight[f, (K − 1 − kh', K − 1 − kw', c)].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Flip(in ConvGeometry g, int filters, float* weight, float* destination)
    {
        int kernelHeight = g.KernelHeight, kernelWidth = g.KernelWidth, channels = g.Channels;
        for (int kh = 0; kh < kernelHeight; kh++)
        {
            for (int kw = 0; kw < kernelWidth; kw++)
            {
                float* source = weight + ((((kernelHeight - 1 - kh) * kernelWidth) + (kernelWidth - 1 - kw)) * channels);
                for (int f = 0; f < filters; f++)
                {
                    float* target = destination + ((((kh * kernelWidth) + kw) * filters) + f) * channels;
                    new ReadOnlySpan<float>(source + ((long)f * g.PatchSize), channels).CopyTo(new Span<float>(target, channels));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Transpose(float* source, int rows, int columns, float* destination)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                destination[(c * rows) + r] = source[(r * columns) + c];
            }
        }
    }

    private static void Check(in ConvGeometry g, int filters, int imagesLength, int count, int weightLength, int outputLength, string outputName)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (filters < 1 || (long)g.PatchSize * filters > MaxWeightFloats || DirectConvolutionLanes.PaddedSize(g) > MaxPaddedImage)
        {
            throw new ArgumentException(
                $"A {g.KernelHeight}×{g.KernelWidth}×{g.Channels} patch with {filters} filters on {g.Height}×{g.Width} images is too large for a direct convolution " +
                $"({MaxWeightFloats} weights and {MaxPaddedImage} padded-image floats at most).", nameof(filters));
        }

        if (imagesLength < (long)count * g.ImageSize || weightLength < g.PatchSize * filters || outputLength < (long)count * g.OutPositions * filters)
        {
            throw new ArgumentException(
                $"{count} images of {g.Height}×{g.Width}×{g.Channels} need {(long)count * g.ImageSize} input floats, {g.PatchSize * filters} weights and " +
                $"{(long)count * g.OutPositions * filters} output floats; got {imagesLength}, {weightLength} and {outputLength}.", outputName);
        }
    }
}
