using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// A convolution followed by max pooling pools each image's output as it is computed
/// (<see cref="DirectConvolution.ForwardThroughPooling"/>), and a first one under 2×2 pooling takes its output gradient through the
/// pooling's winners (<see cref="DirectConvolution.WeightGradientThroughPooling"/>) instead of the pooling writing it out:
/// the same outputs, winners, weight and bias gradients, bit for bit.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class PooledGradientTests
{
    public static IEnumerable<object[]> Layers()
    {
        // channels, height, width, kernel, stride, padding, filters, images, share of nonzero pooled gradients: the CNN's
        // first layer (formed inside the 5×5 kernel on AVX-512), a small one with an odd image count, one with stride 2, and
        // shapes that write each image's gradient out first; then layers whose bias is summed in a pass of its own: the CNN's
        // second (summed over its nonzeros, listed from the winners), 3×3 on 16 channels (over its nonzeros, or densely on
        // AVX-512, whose runs of 3 vectors take 20 % at most), filters beyond the vectors, 5 channels (window rows not whole
        // vectors: dense), and 32 rows of 24, too few for the bias's tile.
        yield return [1, 28, 28, 5, 1, 2, 16, 3, 1.0];
        yield return [1, 6, 10, 5, 1, 2, 16, 5, 1.0];
        yield return [1, 12, 12, 5, 2, 2, 16, 3, 1.0];
        yield return [1, 8, 8, 3, 1, 1, 8, 3, 1.0];
        yield return [1, 6, 6, 5, 1, 2, 20, 2, 1.0];
        yield return [16, 14, 14, 5, 1, 2, 32, 3, 0.5];
        yield return [16, 6, 6, 3, 1, 1, 16, 5, 1.0];
        yield return [16, 6, 6, 3, 1, 1, 20, 3, 0.6];
        yield return [5, 8, 8, 3, 1, 1, 12, 3, 0.7];
        yield return [3, 4, 4, 3, 1, 1, 24, 2, 0.6];
    }

    [TestMethod]
    [DynamicData(nameof(Layers))]
    public void ThroughPoolingMatchesPoolingBackwardThenTheWeightGradientBitForBit(
        int channels, int height, int width, int kernel, int stride, int padding, int filters, int count, double nonzero)
    {
        var g = new ConvGeometry(channels, height, width, kernel, kernel, stride, padding);
        var pool = new PoolGeometry(filters, g.OutHeight, g.OutWidth, 2, 2);
        Assert.IsTrue(DirectConvolution.TakesPooledGradient(g, filters, pool));
        float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, 1);
        float[] pooled = PooledGradient(count * pool.OutImageSize, nonzero, 2);
        byte[] winners = Winners(pooled.Length);
        float[] priorWeights = KernelTestCases.RandomFloats(filters * g.PatchSize, 3);
        float[] priorBias = KernelTestCases.RandomFloats(filters, 4);
        long sparseParts = DirectConvolution.SparseParts;
        foreach (bool accumulate in new[] { false, true })
        {
            KernelTestCases.ForEachPath((path, threads) =>
            {
                // The reference: the pooling writes the full-size gradient, the weight gradient reads it.
                float[] dy = new float[count * g.OutPositions * filters];
                Pooling.MaxBackward(pool, pooled, winners, count, dy);
                float[] expectedWeights = (float[])priorWeights.Clone(), expectedBias = (float[])priorBias.Clone();
                DirectConvolution.WeightGradient(g, images, dy, count, filters, expectedWeights, accumulate, expectedBias);

                float[] weights = (float[])priorWeights.Clone(), bias = (float[])priorBias.Clone();
                DirectConvolution.WeightGradientThroughPooling(g, pool, images, pooled, winners, count, filters, weights, bias, accumulate);
                string what = $"{g}, {filters} filters ×{count}, accumulate {accumulate}, {path} ×{threads}";
                KernelTestCases.AssertBitEqual(expectedWeights, weights, $"weight gradient {what}");
                KernelTestCases.AssertBitEqual(expectedBias, bias, $"bias gradient {what}");
            });
        }

        if (channels == 16 && nonzero < 1)
        {
            Assert.IsTrue(DirectConvolution.SparseParts > sparseParts, "some parts summed over the nonzeros listed from the winners");
        }
    }

    public static IEnumerable<object[]> InputGradientLayers()
    {
        // channels, height, width, kernel, padding, filters, images, share of nonzero pooled gradients: the CNN's second layer
        // (images sparse enough to run over their nonzeros, dense ones, one image), 3×3 with filters beyond the vectors (the padded
        // image's channels then have a scalar remainder), and 1×1 without padding.
        yield return [16, 14, 14, 5, 2, 32, 3, 0.3];
        yield return [16, 14, 14, 5, 2, 32, 2, 1.0];
        yield return [16, 14, 14, 5, 2, 32, 1, 0.5]; // one image: on two threads, two bands of its rows
        yield return [16, 8, 8, 3, 1, 20, 3, 0.5];
        yield return [16, 6, 6, 1, 0, 12, 2, 1.0];
    }

    [TestMethod]
    [DynamicData(nameof(InputGradientLayers))]
    public void InputGradientThroughPoolingMatchesPoolingBackwardThenTheInputGradientBitForBit(
        int channels, int height, int width, int kernel, int padding, int filters, int count, double nonzero)
    {
        var g = new ConvGeometry(channels, height, width, kernel, kernel, 1, padding);
        var pool = new PoolGeometry(filters, g.OutHeight, g.OutWidth, 2, 2);
        Assert.IsTrue(DirectConvolution.TakesPooledGradient(g, filters, pool) && DirectConvolution.TakesInputGradient(g, filters));
        float[] pooled = PooledGradient(count * pool.OutImageSize, nonzero, 5);
        byte[] winners = Winners(pooled.Length);
        float[] weights = KernelTestCases.RandomFloats(filters * g.PatchSize, 6);
        float[] reluOutput = [.. KernelTestCases.RandomFloats(count * g.ImageSize, 7).Select(v => Math.Max(v, 0f))];
        ulong[] reluMask = new ulong[BitMask.WordCount(reluOutput.Length)];
        BitMask.PackGreaterThanZero(reluOutput, reluMask);
        foreach (string masked in new[] { "no", "by the ReLU's output", "by the ReLU's mask" })
        {
            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] dy = new float[count * g.OutPositions * filters];
                Pooling.MaxBackward(pool, pooled, winners, count, dy);
                float[] expected = [.. Enumerable.Repeat(float.NaN, count * g.ImageSize)];
                DirectConvolution.InputGradient(g, dy, count, weights, filters, expected, masked == "by the ReLU's output" ? reluOutput : default);
                if (masked == "by the ReLU's mask")
                {
                    BitMask.Apply(reluMask, expected, 0f, expected); // the ReLU's own backward pass afterwards
                }

                // Poisoned, so an element left unwritten fails.
                float[] actual = [.. Enumerable.Repeat(float.NaN, count * g.ImageSize)];
                DirectConvolution.InputGradientThroughPooling(
                    g, pool, pooled, winners, count, weights, filters, actual, masked == "by the ReLU's output" ? reluOutput : default, masked == "by the ReLU's mask" ? reluMask : default);
                string what = $"input gradient {g}, {filters} filters ×{count}, masked {masked}, {path} ×{threads}";
                KernelTestCases.AssertBitEqual(expected, actual, what);
                Assert.IsTrue(actual.Any(v => v != 0), "the input gradient is not all zero");

                // The same mask on the full-size gradient.
                Array.Fill(actual, float.NaN);
                DirectConvolution.InputGradient(g, dy, count, weights, filters, actual, masked == "by the ReLU's output" ? reluOutput : default, masked == "by the ReLU's mask" ? reluMask : default);
                KernelTestCases.AssertBitEqual(expected, actual, $"{what}, not through the pooling");
            });
        }

        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.InputGradientThroughPooling(
            g, pool, pooled.AsSpan(0, pooled.Length - 1), winners, count, weights, filters, new float[count * g.ImageSize]), "a pooled gradient one float short");
    }

    /// <summary>A pooled gradient with about <paramref name="nonzero"/> of its elements nonzero, zeros of both signs among the rest.</summary>
    private static float[] PooledGradient(int length, double nonzero, int seed)
    {
        float[] values = KernelTestCases.RandomFloats(length, seed);
        var random = new Random(seed);
        for (int i = 0; i < length; i++)
        {
            if (random.NextDouble() >= nonzero)
            {
                values[i] = random.Next(2) == 0 ? 0f : -0f;
            }
        }

        return values;
    }

    /// <summary>Winners (0–3) in a pattern that reaches every window position in every lane.</summary>
    private static byte[] Winners(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)((i * 7 + (i / 5)) % 4))];

    public static IEnumerable<object[]> PooledForwardLayers()
    {
        // channels, height, width, kernel, stride, padding, filters, pool size, pool stride, images: the CNN's first layer, a
        // stride-2 layer, overlapping 3×3 windows that leave the last row out, and filters beyond the vectors (scalar remainder).
        yield return [1, 28, 28, 5, 1, 2, 16, 2, 2, 3];
        yield return [1, 12, 12, 5, 2, 2, 16, 2, 2, 5];
        yield return [3, 10, 10, 3, 1, 1, 24, 3, 2, 2];
        yield return [2, 7, 9, 3, 1, 0, 20, 2, 2, 3];

        // One image (scoring a row): on two threads the CNN's second layer splits its rows in two bands of whole pooling
        // windows; overlapping windows keep the image whole.
        yield return [16, 14, 14, 5, 1, 2, 32, 2, 2, 1];
        yield return [16, 10, 10, 3, 1, 1, 48, 3, 2, 1];
    }

    [TestMethod]
    [DynamicData(nameof(PooledForwardLayers))]
    public void ForwardThroughPoolingMatchesTheConvolutionThenThePoolingBitForBit(
        int channels, int height, int width, int kernel, int stride, int padding, int filters, int poolSize, int poolStride, int count)
    {
        var g = new ConvGeometry(channels, height, width, kernel, kernel, stride, padding);
        var pool = new PoolGeometry(filters, g.OutHeight, g.OutWidth, poolSize, poolStride);
        float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, 1);
        float[] weights = KernelTestCases.RandomFloats(filters * g.PatchSize, 2);
        float[] bias = KernelTestCases.RandomFloats(filters, 3);
        KernelTestCases.ForEachPath((path, threads) =>
        {
            // The reference: the convolution writes its whole output, the pooling reads it.
            float[] output = new float[count * g.OutPositions * filters];
            DirectConvolution.Forward(g, images, count, weights, bias, filters, output);
            float[] expected = new float[count * pool.OutImageSize];
            byte[] expectedWinners = new byte[expected.Length];
            Pooling.MaxForward(pool, output, count, expected, expectedWinners);

            // Poisoned, so an element the fused pass does not write fails.
            float[] pooled = [.. Enumerable.Repeat(float.NaN, expected.Length)];
            byte[] winners = [.. Enumerable.Repeat((byte)0xEE, expected.Length)];
            DirectConvolution.ForwardThroughPooling(g, pool, images, count, weights, bias, filters, pooled, winners);
            string what = $"{g}, {filters} filters, pool {poolSize} s{poolStride} ×{count}, {path} ×{threads}";
            KernelTestCases.AssertBitEqual(expected, pooled, $"pooled output {what}");
            CollectionAssert.AreEqual(expectedWinners, winners, $"winners {what}");

            // Scoring wants no winners.
            Array.Fill(pooled, float.NaN);
            DirectConvolution.ForwardThroughPooling(g, pool, images, count, weights, bias, filters, pooled, default);
            KernelTestCases.AssertBitEqual(expected, pooled, $"pooled output without winners {what}");

            // A ReLU after the pooling that keeps a mask (filters in whole bytes of bits): its output and its mask, as its own pass.
            if (filters % 8 == 0)
            {
                float[] expectedRelu = new float[expected.Length];
                ulong[] expectedMask = new ulong[BitMask.WordCount(expected.Length)];
                BitMask.ReluForward(expected, expectedRelu, expectedMask);
                ulong[] mask = [.. Enumerable.Repeat(0xA5A5_A5A5_A5A5_A5A5UL, expectedMask.Length)];
                Array.Fill(pooled, float.NaN);
                DirectConvolution.ForwardThroughPooling(g, pool, images, count, weights, bias, filters, pooled, winners, relu: true, mask);
                KernelTestCases.AssertBitEqual(expectedRelu, pooled, $"ReLU output {what}");
                int full = expected.Length / 64, rest = expected.Length % 64;
                CollectionAssert.AreEqual(expectedMask[..full], mask[..full], $"ReLU mask {what}");
                if (rest > 0)
                {
                    ulong low = (1UL << rest) - 1;
                    Assert.AreEqual(expectedMask[full] & low, mask[full] & low, $"ReLU mask's last word {what}");
                }

                Assert.IsTrue(expectedMask.Any(w => w != 0), "some outputs pass the ReLU");
            }
        });

        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.ForwardThroughPooling(
            g, pool with { Channels = filters + 1 }, images, count, weights, bias, filters, new float[count * pool.OutImageSize * 2], default), "a pooling of other images");
        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.ForwardThroughPooling(
            g, pool, images, count, weights, bias, filters, new float[(count * pool.OutImageSize) - 1], default), "a pooled output one float short");
    }

    [TestMethod]
    public void OnlyTwoByTwoPoolingThatTilesTheLayersOutputIsTaken()
    {
        var g = new ConvGeometry(1, 8, 8, 5, 5, 1, 2);
        Assert.IsFalse(DirectConvolution.TakesPooledGradient(g, 16, new PoolGeometry(16, 8, 8, 3, 3)), "3×3 windows");
        Assert.IsFalse(DirectConvolution.TakesPooledGradient(g, 16, new PoolGeometry(16, 8, 8, 2, 1)), "overlapping windows");
        Assert.IsFalse(DirectConvolution.TakesPooledGradient(new ConvGeometry(1, 7, 7, 5, 5, 1, 2), 16, new PoolGeometry(16, 7, 7, 2, 2)), "an odd output leaves a row out");
        Assert.IsTrue(DirectConvolution.TakesPooledGradient(new ConvGeometry(2, 8, 8, 5, 5, 1, 2), 16, new PoolGeometry(16, 8, 8, 2, 2)), "two channels: the bias summed through the winners");
        Assert.IsFalse(DirectConvolution.TakesPooledGradient(g, 16, new PoolGeometry(8, 8, 8, 2, 2)), "a pooling of other channels");
        Assert.ThrowsExactly<ArgumentException>(() => DirectConvolution.WeightGradientThroughPooling(
            g, new PoolGeometry(16, 8, 8, 3, 3), new float[g.ImageSize], new float[64], new byte[64], 1, 16, new float[16 * 25], new float[16], false));
    }

    public static IEnumerable<object[]> Networks =>
        from sketch in new[] { "exact", "magnitude", "per-plane" }
        from threads in new[] { 1, 2 }
        from chunkRows in new[] { 0, 2 }
        from secondKernel in new[] { 2, 3, 5 }
        select new object[] { sketch, threads, chunkRows, secondKernel };

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void NetworksGiveTheSameLossAndGradientsWithAndWithoutIt(string sketch, int threads, int chunkRows, int secondKernel)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);

        // The second convolution: 2×2 with 128 filters (a 64-tap patch, direct on every path, so pooled from the cache too,
        // with a pooling that leaves its last row out and a pooled image twice the size of its input image), 3×3 with 8
        // filters (144 taps: im2col + GEMM, then the pooling apart), or the CNN's 5×5 with 32 filters (direct, its pooling
        // tiling its output, so its gradients read through the winners too, the input gradient masked by the ReLU before it).
        Conv2DSpec second = secondKernel switch
        {
            2 => new Conv2DSpec(128, 2, 1, 1),
            3 => new Conv2DSpec(8, 3, 1, 1),
            _ => new Conv2DSpec(32, 5, 1, 2),
        };
        var spec = new NetworkSpec(
            InputSpec.Image(1, 12, 12),
            [new Conv2DSpec(16, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), second,
             new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(3)],
            new LossSpec(LossKind.SoftmaxCrossEntropy));
        RadSettings settings = sketch switch
        {
            "exact" => RadSettings.Exact,
            "magnitude" => new RadSettings { KeepFraction = 0.25f, Estimator = RadEstimator.SampledByMagnitude },
            _ => new RadSettings { KeepFraction = 0.25f, Estimator = RadEstimator.SampledPerRow },
        };
        // Enough images that a whole-batch chunk splits the fused convolutions over two threads (the second one reads its
        // input from a ping-pong buffer, which the pooled output must not share).
        const int batch = 24;
        Network fused = Network.Create(spec, seed: 11), written = Network.Create(spec, seed: 11);
        written.FusesPooling = false;
        foreach (Network network in new[] { fused, written })
        {
            network.ChunkRows = chunkRows;
            network.ConfigureSketches(settings, batch);
        }

        bool taken = ((Conv2DLayer)fused.Layers[0]).TakesPooledGradient((Pool2DLayer)fused.Layers[1]);
        Assert.AreEqual(sketch != "per-plane", taken, "the kept input or magnitude sampling's rebuilt x̂; per-plane sampling sums its own route");
        Assert.IsTrue(((Conv2DLayer)fused.Layers[0]).TakesPooledOutput((Pool2DLayer)fused.Layers[1]), "the forward pass pools from the cache for any sketch");
        Assert.AreEqual(secondKernel != 3, ((Conv2DLayer)fused.Layers[3]).TakesPooledOutput((Pool2DLayer)fused.Layers[4]), "the second convolution's pooling");
        bool secondTaken = ((Conv2DLayer)fused.Layers[3]).TakesPooledGradient((Pool2DLayer)fused.Layers[4], withInputGradient: true);
        Assert.AreEqual(secondKernel == 5 && taken, secondTaken, "the second convolution reads its gradient through the winners where the first does and its pooling tiles its output");

        FusionComparison.AssertSameSteps(written, fused, batch, classes: 3, g => g.Take(16 * 25).Any(v => v != 0), "the first layer's weight gradient is not all zero");
    }

    [TestMethod]
    public void ASketchRebuildingImagesInChunksReadsThePooledGradientChunkByChunk()
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, 2);

        // 112×112 images: magnitude sampling rebuilds x̂ about 1 MB at a time, 20 images then 4, so each piece of the pooled
        // gradient and of the winners must be the rebuilt images' own.
        var spec = new NetworkSpec(
            InputSpec.Image(1, 112, 112),
            [new Conv2DSpec(16, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(3)],
            new LossSpec(LossKind.SoftmaxCrossEntropy));
        const int batch = 24;
        Network fused = Network.Create(spec, seed: 13), written = Network.Create(spec, seed: 13);
        written.FusesPooling = false;
        foreach (Network network in new[] { fused, written })
        {
            network.ChunkRows = batch;
            network.ConfigureSketches(new RadSettings { KeepFraction = 0.1f, Estimator = RadEstimator.SampledByMagnitude }, batch);
        }

        Assert.IsTrue(((Conv2DLayer)fused.Layers[0]).TakesPooledGradient((Pool2DLayer)fused.Layers[1]));
        FusionComparison.AssertSameSteps(written, fused, batch, classes: 3, g => g.Take(16 * 25).Any(v => v != 0), "the first layer's weight gradient is not all zero");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ScoringGivesTheSameOutputsWithAndWithoutIt(int threads)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        var spec = new NetworkSpec(
            InputSpec.Image(1, 12, 12),
            [new Conv2DSpec(16, 5, 1, 2), new Pool2DSpec(PoolKind.Max, 2), new ActivationSpec(ActivationKind.Relu),
             new Conv2DSpec(8, 2, 1, 1), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(3)],
            new LossSpec(LossKind.SoftmaxCrossEntropy));
        Network network = Network.Create(spec, seed: 3);
        Assert.IsTrue(((Conv2DLayer)network.Layers[3]).TakesPooledOutput((Pool2DLayer)network.Layers[4]), "both poolings fused");
        const int rows = 61; // split over the threads in every fused convolution
        var random = new Random(9);
        float[] x = [.. Enumerable.Range(0, rows * spec.Input.Size).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] fused = new float[rows * 3], written = new float[rows * 3];
        network.CreateScorer().Score(x, rows, fused);
        network.FusesPooling = false;
        network.CreateScorer().Score(x, rows, written);
        KernelTestCases.AssertBitEqual(written, fused, "logits");
        Assert.IsTrue(fused.Any(v => v != 0), "the logits are not all zero");
    }
}
