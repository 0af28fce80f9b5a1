using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The weight gradient run directly: fixed parts of the images summed on any threads, then added in order.
internal static unsafe partial class DirectConvolution
{
    /// <summary>
    /// <c>weightGradient[f, tap] = Σ_pixels outputGradient[pixel, f]·images[pixel + tap]</c> (filters × PatchSize), added to
    /// the existing values when <paramref name="accumulate"/> is set; and, when <paramref name="biasGradient"/> is given,
    /// <c>biasGradient[f] = Σ_pixels outputGradient[pixel, f]</c> the same way.
    /// </summary>
    /// <remarks>
    /// The images are split into fixed parts (<see cref="ImageParts"/>, whatever the thread count), each summed over every tap,
    /// image by image in order, then the parts added in order: each image is padded and its output gradient read
    /// once, by one thread, while it is in that thread's cache. (Splitting the taps over the threads instead made every thread
    /// pad and read every image: on Zen 3, two threads, the CNN's second layer's weight gradient took 0.84–0.88× the time of
    /// im2col + GEMM that way against 0.79–0.81× in parts of the images.) The bias gradient is <see cref="RowVector.SumRows"/>'s column sums, the same
    /// bits as the sampled sketches' bias, except for single-channel patches (<see cref="SumsBiasInPass"/>), where each part
    /// sums it in the same pass, pixel by pixel in order.
    /// </remarks>
    public static void WeightGradient(in ConvGeometry g, ReadOnlySpan<float> images, ReadOnlySpan<float> outputGradient, int count, int filters, Span<float> weightGradient, bool accumulate, Span<float> biasGradient = default)
    {
        Check(g, filters, images.Length, count, weightGradient.Length, outputGradient.Length, "outputGradient");
        bool withBias = !biasGradient.IsEmpty;
        if (withBias && biasGradient.Length != filters)
        {
            throw new ArgumentException($"biasGradient has {biasGradient.Length} floats; the layer has {filters} filters.", nameof(biasGradient));
        }

        Sgemm.Trace?.Add(new GemmCall(true, false, filters, g.PatchSize, count * g.OutPositions));
        fixed (float* pi = images, pg = outputGradient, pw = weightGradient, pb = biasGradient)
        {
            bool biasInPass = withBias && SumsBiasInPass(g);
            if (withBias && !biasInPass)
            {
                RowVector.SumRows(outputGradient.Slice(0, count * g.OutPositions * filters), count * g.OutPositions, biasGradient, accumulate);
            }

            int parts = ImageParts(count);
            float* sums = PartSums(parts * (g.PatchSize + 1) * filters);
            bool* filterMajor = stackalloc bool[parts];
            new ConvolutionJob(g, filters, pi, null, null, pg, count).RunImageParts(sums, parts, biasInPass, filterMajor);
            AddParts(g, filters, sums, parts, pw, biasInPass ? pb : null, accumulate, filterMajor);
        }
    }

    /// <summary>
    /// Adds the parts' sums in order (into part 0's, a vector at a time: <see cref="RowVector.AddBlocks"/>), then writes them
    /// into the gradient (filters × PatchSize) and, given, the bias gradient: written, or added when accumulating. Parts
    /// flagged in <paramref name="filterMajor"/> hold their sums filter-major (the gradient's layout); when all do, they are
    /// added and written as they are, else those are first turned tap-major (a copy: no sum changes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void AddParts(in ConvGeometry g, int filters, float* sums, int parts, float* weightGradient, float* biasGradient, bool accumulate, bool* filterMajor = null)
    {
        int size = (g.PatchSize + 1) * filters, taps = g.PatchSize;
        int major = 0;
        for (int p = 0; filterMajor != null && p < parts; p++)
        {
            major += filterMajor[p] ? 1 : 0;
        }

        if (major > 0 && major < parts)
        {
            // Some parts summed sparsely, some densely: the sparse ones' sums into the dense ones' layout.
            float* copy = SparseBuffer(taps * filters);
            for (int p = 0; p < parts; p++)
            {
                if (filterMajor![p])
                {
                    float* part = sums + ((long)p * size);
                    new ReadOnlySpan<float>(part, taps * filters).CopyTo(new Span<float>(copy, taps * filters));
                    Transpose(copy, filters, taps, part);
                }
            }
        }

        RowVector.AddBlocks(sums + size, size, parts - 1, sums, biasGradient != null ? size : taps * filters);
        if (major == parts)
        {
            for (int i = 0; i < taps * filters; i++)
            {
                weightGradient[i] = accumulate ? weightGradient[i] + sums[i] : sums[i];
            }
        }
        else
        {
            for (int tap = 0; tap < taps; tap++)
            {
                for (int f = 0; f < filters; f++)
                {
                    float total = sums[(tap * filters) + f];
                    float* target = weightGradient + ((long)f * taps) + tap;
                    *target = accumulate ? *target + total : total;
                }
            }
        }

        for (int f = 0; biasGradient != null && f < filters; f++)
        {
            float total = sums[(g.PatchSize * filters) + f];
            biasGradient[f] = accumulate ? biasGradient[f] + total : total;
        }
    }

    /// <summary>
    /// The weight gradient's parts for <paramref name="count"/> images: up to <see cref="MaxImageParts"/> ranges of whole images,
    /// fixed by the count alone, so the sums (and their bits) are the same on any number of threads.
    /// </summary>
    internal static int ImageParts(int count) => Math.Clamp(count, 1, MaxImageParts);

    /// <summary>Parts of the images in a weight gradient: work for up to eight threads, and eight sets of sums to add.</summary>
    private const int MaxImageParts = 8;

    /// <summary>
    /// Whether the weight gradient sums the bias in its own pass over the output gradient rather than in a pass of its own:
    /// single-channel patches of up to 25 taps, a first layer on grayscale images, whose output gradient is the network's
    /// largest (6.4 MB for the CNN's first layer at batch 128) and is then read once, not twice.
    /// </summary>
    internal static bool SumsBiasInPass(in ConvGeometry g) => g.Channels == 1 && g.PatchSize <= 25;
}
