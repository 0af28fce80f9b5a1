using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class DirectConvolutionTests
{
    public static IEnumerable<object[]> Shapes()
    {
        // channels, height, width, kernel height, kernel width, stride, padding, filters
        yield return [1, 28, 28, 5, 5, 1, 2, 16];
        yield return [1, 7, 6, 3, 3, 1, 1, 5];
        yield return [3, 7, 6, 3, 3, 2, 1, 17];
        yield return [2, 9, 8, 2, 3, 1, 0, 32];
        yield return [1, 5, 5, 5, 5, 1, 2, 1];
        yield return [4, 6, 7, 2, 2, 2, 0, 8];
        yield return [3, 4, 4, 3, 3, 3, 2, 16];
        yield return [1, 1, 9, 1, 5, 1, 0, 20];
        yield return [1, 12, 13, 4, 3, 1, 3, 12];
        yield return [2, 9, 10, 5, 5, 1, 2, 24];
        yield return [3, 8, 8, 4, 4, 2, 1, 16];

        // One vector of filters takes two output rows at a time on AVX-512: odd heights leave a last row alone, for
        // eight-pixel blocks with spare slots (width 5) and four-pixel blocks (width 3).
        yield return [2, 7, 5, 3, 3, 1, 1, 16];
        yield return [3, 9, 3, 3, 3, 1, 1, 16];

        // ... and four rows at once on blocks of five to seven pixels: a six-pixel block (a spare slot) with a last row
        // alone and remainder filters; five-pixel blocks with two rows left.
        yield return [2, 5, 6, 3, 3, 1, 1, 17];
        yield return [1, 6, 10, 3, 3, 1, 1, 16];

        // The 5×5×1 weight gradient with all 25 sums in registers (16 filters): an odd output width, and stride 2.
        yield return [1, 9, 7, 5, 5, 1, 2, 16];
        yield return [1, 11, 10, 5, 5, 2, 2, 16];
    }

    public static IEnumerable<object[]> InputGradientShapes()
    {
        // channels, height, width, kernel, padding, filters: the CNN's second layer, odd widths and filter counts, no padding.
        yield return [16, 14, 14, 5, 2, 32];
        yield return [3, 7, 9, 3, 1, 17];
        yield return [5, 6, 5, 3, 0, 48];
        yield return [1, 11, 3, 5, 4, 16];
        yield return [2, 4, 13, 2, 1, 8];
        yield return [32, 3, 7, 3, 1, 33]; // 32 channels: two vectors of the transposed convolution's filters
        yield return [16, 7, 9, 3, 1, 16]; // 16 channels: one vector, two rows at a time, a last row alone
        yield return [16, 9, 12, 3, 1, 32]; // 16 channels, six-pixel blocks: four rows at a time, then four, then one
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void ForwardAndWeightGradientMatchTheDefinitionAndEveryPathTheScalarOneBitForBit(int channels, int height, int width, int kh, int kw, int stride, int padding, int filters)
    {
        var g = new ConvGeometry(channels, height, width, kh, kw, stride, padding);
        Assert.IsTrue(DirectConvolution.IsPreferred(g, filters));
        foreach (int count in new[] { 0, 1, 3 })
        {
            Check(g, filters, count, seed: count + channels + filters);
        }
    }

    [TestMethod]
    public void ABatchLargeEnoughToSplitOverThreadsMatchesTheScalarPath()
    {
        // The CNN's first layer on a 16-image chunk: forward split by lines, weight gradient by taps.
        Check(new ConvGeometry(1, 28, 28, 5, 5, 1, 2), 16, 16, seed: 3);
    }

    [TestMethod]
    public void LargePatchesWithManyFiltersMatchTheDefinitionAndTheScalarPath()
    {
        // Patches beyond MaxPatch are valid for the kernels (the layer decides which way it goes): two vectors of filters at a time.
        Check(new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 3, seed: 9);
        Check(new ConvGeometry(8, 9, 11, 3, 3, 1, 1), 40, 2, seed: 10);

        // Several kernel-row passes with stride 2, the four-pixel kernel continuing partial sums, remainder filters.
        Check(new ConvGeometry(16, 9, 7, 5, 5, 2, 2), 40, 2, seed: 11);
        Check(new ConvGeometry(16, 6, 3, 5, 5, 1, 2), 48, 2, seed: 12);

        // Two passes on the 256-bit path too (three kernel rows of 32 weights × 160 taps, then two), AVX2's blocks of six
        // running across rows of seven.
        Check(new ConvGeometry(32, 6, 7, 5, 5, 1, 2), 32, 2, seed: 13);

        // One image on two threads: its output rows in two bands, one a thread (an even and an odd height).
        Check(new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 1, seed: 14);
        Check(new ConvGeometry(16, 15, 9, 5, 5, 1, 2), 32, 1, seed: 15);
        Check(new ConvGeometry(16, 6, 9, 5, 5, 1, 2), 33, 2, seed: 13);

        // A pair and a single vector of filters (two rows at a time) over several passes, odd output height.
        Check(new ConvGeometry(16, 7, 9, 5, 5, 1, 2), 48, 2, seed: 14);

        // Pairs of filter vectors on two rows at once over blocks of seven pixels or fewer: six pixels (a spare slot) with
        // an odd height (a last row alone), five-pixel blocks of a ten-pixel row with a single vector after the pairs, stride 2.
        Check(new ConvGeometry(16, 7, 6, 5, 5, 1, 2), 32, 2, seed: 17);
        Check(new ConvGeometry(3, 6, 10, 3, 3, 1, 1), 80, 2, seed: 18);
        Check(new ConvGeometry(8, 9, 13, 3, 3, 2, 1), 64, 2, seed: 19);

        // Twelve taps side by side for whole pairs of filters: 64 filters, kernel-row runs of 48 and of 20 (12 + 8), stride 2.
        Check(new ConvGeometry(16, 8, 7, 3, 3, 1, 1), 64, 3, seed: 15);
        Check(new ConvGeometry(4, 9, 9, 5, 5, 2, 2), 32, 2, seed: 16);
    }

    [TestMethod]
    [DynamicData(nameof(InputGradientShapes))]
    public void InputGradientMatchesTheDefinitionAndEveryPathTheScalarOneBitForBit(int channels, int height, int width, int kernel, int padding, int filters)
    {
        var g = new ConvGeometry(channels, height, width, kernel, kernel, 1, padding);
        foreach (int count in new[] { 0, 1, 3 })
        {
            float[] weight = KernelTestCases.RandomFloats(filters * g.PatchSize, count + 1);
            float[] dy = KernelTestCases.RandomFloats(count * g.OutPositions * filters, count + 2);
            ConvolutionDefinition d = ConvolutionDefinition.Of(g, new float[count * g.ImageSize], weight, new float[filters], dy, count, filters);
            (double[] dx, double[] scale) = (d.Dx, d.DxScale);
            float[] scalar = [];
            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] gradient = Enumerable.Repeat(float.NaN, dx.Length).ToArray();
                DirectConvolution.InputGradient(g, dy, count, weight, filters, gradient);
                AssertClose(dx, scale, gradient, $"input gradient {g}, {filters} filters ×{count}");
                if (path == KernelPath.Scalar && threads == 1)
                {
                    scalar = gradient;
                }
                else
                {
                    KernelTestCases.AssertBitEqual(scalar, gradient, $"input gradient {g}, {filters} filters ×{count} against the scalar path");
                }
            });
        }
    }

    [TestMethod]
    public void LargePatchesRunDirectlyOnThe512And256BitPathsWithFiltersInMultiplesOf16()
    {
        var wide = new ConvGeometry(16, 14, 14, 5, 5, 1, 2);
        var small = new ConvGeometry(1, 28, 28, 5, 5, 1, 2);
        KernelTestCases.ForEachPath((path, threads) =>
        {
            bool is512 = path == KernelPath.Vector512;
            bool wideKernels = is512 || path == KernelPath.Vector256;
            Assert.IsTrue(DirectConvolution.IsPreferred(small, 16), "a 5×5×1 patch runs directly on every path");
            Assert.IsTrue(DirectConvolution.PrefersWeightGradient(small, 16));
            Assert.AreEqual(wideKernels, DirectConvolution.IsPreferred(wide, 32), "5×5×16, 32 filters");
            Assert.AreEqual(wideKernels, DirectConvolution.PrefersWeightGradient(wide, 32), "32 filters: two vectors (AVX-512) or two pairs (AVX2)");
            Assert.AreEqual(wideKernels, DirectConvolution.TakesInputGradient(wide, 32));
            Assert.IsFalse(DirectConvolution.IsPreferred(wide, 24), "24 filters would leave 8 to the scalar loop");
            Assert.IsTrue(DirectConvolution.IsPreferred(new ConvGeometry(3, 8, 8, 3, 3, 1, 1), 16), "3×3×3, 16 filters");
            Assert.IsFalse(DirectConvolution.IsPreferred(new ConvGeometry(3, 8, 8, 3, 3, 1, 1), 512), "a small patch with 13,824 weights (measured 1.5× GEMM's time)");
            Assert.IsFalse(DirectConvolution.TakesInputGradient(new ConvGeometry(16, 8, 8, 1, 1, 1, 0), 4) && !wideKernels, "the direct input gradient only on the 512- and 256-bit paths");
            var threeByThree = new ConvGeometry(32, 16, 16, 3, 3, 1, 1);
            Assert.AreEqual(wideKernels, DirectConvolution.IsPreferred(threeByThree, 64));
            Assert.AreEqual(is512, DirectConvolution.PrefersWeightGradient(threeByThree, 64), "64 filters: two pairs of vectors, twelve taps at a time on AVX-512; GEMM on AVX2");
            Assert.IsFalse(DirectConvolution.PrefersWeightGradient(threeByThree, 48), "48 filters (a pair and a single vector): the weight gradient stays on GEMM");
        });
    }

    [TestMethod]
    public void InputGradientTakesOnlyStrideOneSquareKernelsWiderThanThePadding()
    {
        Assert.IsFalse(DirectConvolution.TakesInputGradient(new ConvGeometry(16, 14, 14, 5, 5, 2, 2), 32));
        Assert.IsFalse(DirectConvolution.TakesInputGradient(new ConvGeometry(16, 14, 14, 5, 3, 1, 1), 32));
        Assert.IsFalse(DirectConvolution.TakesInputGradient(new ConvGeometry(16, 14, 14, 3, 3, 1, 3), 32));
        var strided = new ConvGeometry(4, 8, 8, 3, 3, 2, 1);
        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.InputGradient(strided, new float[strided.OutPositions * 8], 1, new float[8 * strided.PatchSize], 8, new float[strided.ImageSize]));
    }

    [TestMethod]
    public void AccumulatingAddsTheGradientOfTheChunkToTheExistingValues()
    {
        // Three images: three parts of one image each; ten: eight parts (the most), of one or two images.
        foreach (var (g, count) in new[] { (new ConvGeometry(1, 8, 8, 3, 3, 1, 1), 3), (new ConvGeometry(2, 8, 8, 3, 3, 1, 1), 10) })
        {
            Assert.AreEqual(Math.Min(count, 8), DirectConvolution.ImageParts(count));
            const int filters = 16;
            float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, 1);
            float[] dy = KernelTestCases.RandomFloats(count * g.OutPositions * filters, 2);
            float[] prior = KernelTestCases.RandomFloats(filters * g.PatchSize, 3);
            float[] priorBias = KernelTestCases.RandomFloats(filters, 4);
            KernelTestCases.ForEachPath((path, threads) =>
            {
                var fresh = new float[prior.Length];
                var freshBias = new float[filters];
                DirectConvolution.WeightGradient(g, images, dy, count, filters, fresh, accumulate: false, freshBias);
                float[] accumulated = (float[])prior.Clone();
                float[] accumulatedBias = (float[])priorBias.Clone();
                DirectConvolution.WeightGradient(g, images, dy, count, filters, accumulated, accumulate: true, accumulatedBias);
                float[] expected = [.. prior.Select((p, i) => p + fresh[i])];
                KernelTestCases.AssertBitEqual(expected, accumulated, $"accumulated weight gradient, {g.Channels} channel(s)");
                float[] expectedBias = [.. priorBias.Select((p, i) => p + freshBias[i])];
                KernelTestCases.AssertBitEqual(expectedBias, accumulatedBias, $"accumulated bias gradient, {g.Channels} channel(s)");
            });
        }
    }

    [TestMethod]
    public void SparseOutputGradientsGiveTheDenseKernelsBitsOnEveryPath()
    {
        // The CNN's second layer (window rows of 80 floats: runs of five vectors on every vector path), a 3×3×32 layer (rows
        // of 96: runs of six on AVX2 and 128-bit and AVX-512), stride 2 with remainder filters on every path, runs of six,
        // four and three, rows of no whole vectors, and one with too many nonzeros for the sparse kernels; each at the
        // densities a max pooling (about a quarter) and a ReLU after it leave, with −0 among the zeros.
        var cases = new (ConvGeometry G, int Filters, int Count, double Density, bool Sparse)[]
        {
            (new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 3, 0.12, true),
            (new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 10, 0.25, true),
            (new ConvGeometry(32, 8, 8, 3, 3, 1, 1), 32, 2, 0.2, true),
            (new ConvGeometry(16, 9, 7, 5, 5, 2, 2), 40, 2, 0.3, true),
            (new ConvGeometry(8, 9, 9, 5, 5, 1, 2), 24, 2, 0.2, true), // rows of 40 floats, a run of five vectors on AVX2: five runs, the last alone
            (new ConvGeometry(16, 8, 8, 3, 3, 1, 1), 32, 3, 0.2, true), // rows of 48 floats: one run of six on AVX2, two of six on 128-bit, one of three on AVX-512
            (new ConvGeometry(8, 7, 9, 3, 3, 1, 1), 24, 2, 0.1, true), // rows of 24 floats: a run of three on AVX2, of six on 128-bit, dense on AVX-512
            (new ConvGeometry(32, 7, 7, 2, 2, 1, 0), 16, 2, 0.2, true), // rows of 64 floats: runs of four on every vector path
            (new ConvGeometry(7, 6, 6, 3, 3, 1, 1), 16, 2, 0.15, true), // rows of 21 floats: no whole vectors, dense everywhere
            (new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 2, 0.8, false),
        };
        bool previous = DirectConvolution.SparseWeightGradients;
        try
        {
            foreach (var (g, filters, count, density, sparse) in cases)
            {
                float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, 21);
                float[] dy = Sparsify(KernelTestCases.RandomFloats(count * g.OutPositions * filters, 22), density, seed: 23);
                (_, double[] dw, _, _, double[] dwScale, _) = ConvolutionDefinition.Of(g, images, new float[filters * g.PatchSize], new float[filters], dy, count, filters);
                var scalar = new float[1][];
                KernelTestCases.ForEachPath((path, threads) =>
                {
                    // Window rows in whole runs of six, five, four or three vectors of the path's width.
                    int lanes = path switch { KernelPath.Vector512 => 16, KernelPath.Vector256 => 8, KernelPath.Vector128 => 4, _ => 0 };
                    int row = g.KernelWidth * g.Channels;
                    bool runs = lanes > 0 && row % lanes == 0 && new[] { 6, 5, 4, 3 }.Any(r => row / lanes % r == 0);
                    CheckSparseAgainstDense(
                        on => DirectConvolution.SparseWeightGradients = on, () => DirectConvolution.SparseParts, sparse && runs,
                        gradient => DirectConvolution.WeightGradient(g, images, dy, count, filters, gradient, accumulate: false),
                        dw, dwScale, path, scalar, $"weight gradient {g}, {filters} filters ×{count}, density {density}, {path}, {threads} thread(s)");
                });
            }
        }
        finally
        {
            DirectConvolution.SparseWeightGradients = previous;
        }
    }

    [TestMethod]
    public void PartsSummedSparselyAndDenselyGiveTheDenseKernelsBits()
    {
        // Ten images in eight parts, accumulating onto a prior gradient: the first five images' output gradient dense and the
        // rest sparse, so some parts sum densely (tap-major) and some sparsely (filter-major) and their sums meet in one
        // layout; then all of them sparse, added and written filter-major as they are.
        var g = new ConvGeometry(16, 9, 9, 5, 5, 1, 2);
        const int filters = 32, count = 10;
        float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, 41);
        int half = 5 * g.OutPositions * filters, rest = (count * g.OutPositions * filters) - half;
        float[] prior = KernelTestCases.RandomFloats(filters * g.PatchSize, 45);
        bool previous = DirectConvolution.SparseWeightGradients;
        try
        {
            foreach (double firstHalf in new[] { 1.0, 0.1 })
            {
                float[] dy = [.. Sparsify(KernelTestCases.RandomFloats(half, 42), firstHalf, seed: 46), .. Sparsify(KernelTestCases.RandomFloats(rest, 43), 0.1, seed: 44)];
                (_, double[] dw, _, _, double[] dwScale, _) = ConvolutionDefinition.Of(g, images, new float[filters * g.PatchSize], new float[filters], dy, count, filters);
                double[] expected = [.. dw.Select((d, i) => d + prior[i])];
                double[] scale = [.. dwScale.Select((d, i) => d + Math.Abs(prior[i]))];
                var scalar = new float[1][];
                KernelTestCases.ForEachPath((path, threads) => CheckSparseAgainstDense(
                    on => DirectConvolution.SparseWeightGradients = on, () => DirectConvolution.SparseParts, path != KernelPath.Scalar,
                    gradient =>
                    {
                        prior.CopyTo(gradient, 0);
                        DirectConvolution.WeightGradient(g, images, dy, count, filters, gradient, accumulate: true);
                    },
                    expected, scale, path, scalar, $"weight gradient, first half {firstHalf} nonzero, {path}, {threads} thread(s)"));
            }
        }
        finally
        {
            DirectConvolution.SparseWeightGradients = previous;
        }
    }

    [TestMethod]
    public void SparseOutputGradientsGiveTheDenseInputGradientsBitsOnEveryPath()
    {
        // The CNN's second layer (16 channels: blocks of four pixels of two vectors on AVX2, of four on 128-bit, eight of one on
        // AVX-512); kernels three, five or seven wide, which walk the block's receptive field, and one, two or four wide, which
        // go tap by tap over the channels nonzero at any of the block's pixels (AVX2 and 128-bit only); 32 channels (dense on
        // AVX2), 8 channels (eight pixels of one vector on AVX2); row ends of one to seven pixels; a ReLU mask after; and
        // images with too many nonzeros.
        var cases = new (ConvGeometry G, int Filters, int Count, double Density, bool Masked, bool Sparse)[]
        {
            (new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 3, 0.12, true, true),
            (new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 1, 0.12, true, true), // one image on two threads: a band of rows each
            (new ConvGeometry(16, 13, 11, 5, 5, 1, 2), 32, 2, 0.2, false, true),
            (new ConvGeometry(16, 6, 9, 5, 5, 1, 2), 32, 2, 0.15, true, true), // rows of 4, 4 and 1 pixels
            (new ConvGeometry(8, 7, 19, 5, 5, 1, 2), 24, 2, 0.3, false, true), // one vector of channels on AVX2: rows of 8, 8 and 3 pixels
            (new ConvGeometry(16, 10, 11, 3, 3, 1, 1), 32, 2, 0.2, true, true), // three wide: four pixels of two vectors on AVX2, eight of one on AVX-512
            (new ConvGeometry(16, 5, 6, 3, 3, 1, 0), 24, 1, 0.15, false, true), // no padding: output rows of 4 and 2 pixels
            (new ConvGeometry(32, 7, 9, 3, 3, 1, 1), 16, 2, 0.15, true, true),
            (new ConvGeometry(8, 9, 15, 3, 3, 1, 1), 24, 2, 0.1, false, true),
            (new ConvGeometry(16, 9, 10, 7, 7, 1, 3), 32, 2, 0.3, true, true), // seven wide: ten (four pixels) or fourteen columns
            (new ConvGeometry(8, 6, 11, 7, 7, 1, 2), 16, 1, 0.2, false, true),
            (new ConvGeometry(16, 8, 9, 4, 4, 1, 1), 32, 2, 0.1, true, true), // four wide: tap by tap over the block's channels
            (new ConvGeometry(16, 6, 7, 1, 1, 1, 0), 32, 2, 0.1, false, true), // one wide: tap by tap too
            (new ConvGeometry(8, 9, 10, 2, 2, 1, 0), 24, 2, 0.1, false, true),
            (new ConvGeometry(16, 14, 14, 5, 5, 1, 2), 32, 2, 0.6, false, false),
            (new ConvGeometry(16, 8, 9, 4, 4, 1, 1), 32, 2, 0.35, false, false),
        };
        bool previous = DirectConvolution.SparseInputGradients;
        try
        {
            foreach (var (g, filters, count, density, masked, sparse) in cases)
            {
                float[] weight = KernelTestCases.RandomFloats(filters * g.PatchSize, 31);
                float[] dy = Sparsify(KernelTestCases.RandomFloats(count * g.OutPositions * filters, 32), density, seed: 34);
                float[] reluOutput = masked ? KernelTestCases.RandomFloats(count * g.ImageSize, 33) : [];
                (_, _, double[] dx, _, _, double[] dxScale) = ConvolutionDefinition.Of(g, new float[count * g.ImageSize], weight, new float[filters], dy, count, filters);
                if (masked)
                {
                    for (int i = 0; i < dx.Length; i++)
                    {
                        dx[i] = reluOutput[i] > 0 ? dx[i] : 0;
                    }
                }

                var scalar = new float[1][];
                KernelTestCases.ForEachPath((path, threads) =>
                {
                    // Blocks of four pixels of two vectors of the input's channels or eight of one; on AVX-512 only one vector
                    // with a kernel five wide.
                    int lanes = path switch { KernelPath.Vector512 => 16, KernelPath.Vector256 => 8, KernelPath.Vector128 => 4, _ => 0 };
                    bool kernel = path == KernelPath.Vector512 ? g.Channels == 16 && g.KernelWidth is 3 or 5 or 7
                        : lanes > 0 && (g.Channels == lanes || g.Channels == 2 * lanes);
                    CheckSparseAgainstDense(
                        on => DirectConvolution.SparseInputGradients = on, () => DirectConvolution.SparseImages, sparse && kernel,
                        gradient => DirectConvolution.InputGradient(g, dy, count, weight, filters, gradient, reluOutput),
                        dx, dxScale, path, scalar, $"input gradient {g}, {filters} filters ×{count}, density {density}, {path}, {threads} thread(s)");
                });
            }
        }
        finally
        {
            DirectConvolution.SparseInputGradients = previous;
        }
    }

    [TestMethod]
    public void ShapesOutsideItsRangeAndShortSpansAreRejected()
    {
        var big = new ConvGeometry(64, 8, 8, 3, 3, 1, 1);
        Assert.IsFalse(DirectConvolution.IsPreferred(big, 8));
        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.Forward(big, new float[big.ImageSize], 1, new float[64 * big.PatchSize], new float[64], 64, new float[64 * 64]));
        var g = new ConvGeometry(1, 8, 8, 3, 3, 1, 1);
        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.Forward(g, new float[g.ImageSize], 1, new float[4 * 9], new float[4], 4, new float[(64 * 4) - 1]));
        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.WeightGradient(g, new float[g.ImageSize - 1], new float[64 * 4], 1, 4, new float[36], false));
    }

    private static void Check(ConvGeometry g, int filters, int count, int seed)
    {
        float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, seed);
        float[] weight = KernelTestCases.RandomFloats(filters * g.PatchSize, seed + 1);
        float[] bias = KernelTestCases.RandomFloats(filters, seed + 2);
        float[] dy = KernelTestCases.RandomFloats(count * g.OutPositions * filters, seed + 3);
        (double[] y, double[] dw, _, double[] yScale, double[] dwScale, _) = ConvolutionDefinition.Of(g, images, weight, bias, dy, count, filters);

        // The bias gradient Σ dY, by definition.
        var db = new double[filters];
        var dbScale = new double[filters];
        for (int i = 0; i < dy.Length; i++)
        {
            db[i % filters] += dy[i];
            dbScale[i % filters] += Math.Abs(dy[i]);
        }

        float[] scalarY = [], scalarDw = [], scalarDb = [];
        KernelTestCases.ForEachPath((path, threads) =>
        {
            float[] output = Enumerable.Repeat(float.NaN, y.Length).ToArray();
            DirectConvolution.Forward(g, images, count, weight, bias, filters, output);
            float[] gradient = Enumerable.Repeat(float.NaN, dw.Length).ToArray();
            DirectConvolution.WeightGradient(g, images, dy, count, filters, gradient, accumulate: false);
            AssertClose(y, yScale, output, $"forward {g}, {filters} filters ×{count}");
            AssertClose(dw, dwScale, gradient, $"weight gradient {g}, {filters} filters ×{count}");

            // Asking for the bias gradient too (summed in the weight gradient's pass for single-channel patches)
            // leaves the weight gradient's bits unchanged.
            float[] withBias = Enumerable.Repeat(float.NaN, dw.Length).ToArray();
            float[] biasGradient = Enumerable.Repeat(float.NaN, filters).ToArray();
            DirectConvolution.WeightGradient(g, images, dy, count, filters, withBias, accumulate: false, biasGradient);
            KernelTestCases.AssertBitEqual(gradient, withBias, $"weight gradient {g}, {filters} filters ×{count}, with the bias gradient");
            AssertClose(db, dbScale, biasGradient, $"bias gradient {g}, {filters} filters ×{count}");
            if (path == KernelPath.Scalar && threads == 1)
            {
                (scalarY, scalarDw, scalarDb) = (output, gradient, biasGradient);
            }
            else
            {
                KernelTestCases.AssertBitEqual(scalarY, output, $"forward {g}, {filters} filters ×{count} against the scalar path");
                KernelTestCases.AssertBitEqual(scalarDw, gradient, $"weight gradient {g}, {filters} filters ×{count} against the scalar path");
                KernelTestCases.AssertBitEqual(scalarDb, biasGradient, $"bias gradient {g}, {filters} filters ×{count} against the scalar path");
            }
        });
    }

    /// <summary>Each element kept with probability <paramref name="density"/>, else +0 or (a quarter of them) −0.</summary>
    private static float[] Sparsify(float[] values, double density, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < values.Length; i++)
        {
            if (random.NextDouble() >= density)
            {
                values[i] = random.Next(4) == 0 ? -0f : 0f;
            }
        }

        return values;
    }

    /// <summary>
    /// Runs <paramref name="compute"/> into a fresh output with the sparse kernels on, then off: they were taken (the counter
    /// grew) exactly when <paramref name="expectTaken"/>; the result is close to the definition, bit-equal to the dense
    /// kernels' and to the scalar path's (<paramref name="scalar"/>[0], set on the scalar path, which runs first).
    /// </summary>
    private static void CheckSparseAgainstDense(
        Action<bool> setSparse, Func<long> sparseCount, bool expectTaken, Action<float[]> compute, double[] expected, double[] scale,
        KernelPath path, float[][] scalar, string what)
    {
        setSparse(true);
        long before = sparseCount();
        float[] result = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
        compute(result);
        Assert.AreEqual(expectTaken, sparseCount() > before, $"{what}: sparse kernels taken");
        AssertClose(expected, scale, result, what);

        setSparse(false);
        float[] dense = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
        compute(dense);
        KernelTestCases.AssertBitEqual(dense, result, $"{what}, against the dense kernels");
        if (path == KernelPath.Scalar)
        {
            scalar[0] = result;
        }

        KernelTestCases.AssertBitEqual(scalar[0], result, $"{what}, against the scalar path");
    }

    /// <summary>Float sums may differ from the double ones by rounding: allow it relative to the magnitude of the terms.</summary>
    private static void AssertClose(double[] expected, double[] scale, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-5 * (1 + scale[i]), $"{what}: element {i}");
        }
    }
}
