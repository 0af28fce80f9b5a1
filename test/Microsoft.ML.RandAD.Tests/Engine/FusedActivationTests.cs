using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// A Dense layer's product applies its bias and the ReLU after it as each block of the output completes, and the next Dense
/// layer's input-gradient product applies that ReLU's mask (<see cref="GemmEpilogue"/>): the same bits as the separate passes,
/// in the kernel, in training and in scoring.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class FusedActivationTests
{
    public static IEnumerable<object[]> Products()
    {
        // m, k, n, beta: the packed driver split by rows and by columns, with ragged tiles and several k and column blocks;
        // the direct path (small, narrow, one or two rows); k = 0; and an accumulating product.
        yield return [128, 300, 256, 0f];
        yield return [37, 70, 1100, 0f];
        yield return [500, 1200, 33, 0f];
        yield return [13, 9, 21, 0f];
        yield return [2, 784, 256, 0f];
        yield return [300, 40, 10, 0f];
        yield return [9, 0, 17, 0f];
        yield return [61, 130, 75, 1f];
    }

    [TestMethod]
    [DynamicData(nameof(Products))]
    public void TheProductsEpilogueMatchesTheSeparatePassesBitForBit(int m, int k, int n, float beta)
    {
        float[] a = KernelTestCases.RandomFloats(m * k, 1), b = KernelTestCases.RandomFloats(k * n, 2);
        float[] bias = KernelTestCases.RandomFloats(n, 3), prior = KernelTestCases.RandomFloats(m * n, 4);
        float[] reluOutput = KernelTestCases.RandomFloats(m * n, 5);
        for (int i = 0; i < reluOutput.Length; i += 7)
        {
            reluOutput[i] = (i / 7 % 3) switch { 0 => 0f, 1 => -0f, _ => float.NaN }; // none of them lets the gradient through
        }

        bias[0] = float.NaN; // max(NaN, 0) is NaN in both
        int ld = Math.Max(k, 1); // A's rows, and B's when stored transposed
        KernelTestCases.ForEachPath((path, threads) =>
        {
            string what = $"{m}×{k}×{n} beta {beta}";

            // Forward: the product, then the bias and the ReLU as passes of their own.
            float[] expected = (float[])prior.Clone(), actual = (float[])prior.Clone();
            Sgemm.Multiply(false, false, m, n, k, 1f, a, ld, b, n, beta, expected, n);
            RowVector.AddToRows(expected, m, bias);
            TensorPrimitives.Max(expected, 0f, expected);
            Sgemm.Multiply(false, false, m, n, k, 1f, a, ld, b, n, beta, actual, n, bias, relu: true, default);
            KernelTestCases.AssertBitEqual(expected, actual, $"bias and ReLU, {what}");

            // Backward: the input-gradient product (B stored transposed), then the ReLU's backward pass from its output. Where
            // the output is not positive the gradient becomes 0·g: -0 for a negative g.
            float[] bt = KernelTestCases.RandomFloats(n * k, 6);
            expected = (float[])prior.Clone();
            actual = (float[])prior.Clone();
            float[] masked = new float[m * n];
            Sgemm.Multiply(false, true, m, n, k, 1f, a, ld, bt, ld, beta, expected, n);
            ReluFromOutput.Backward(reluOutput, expected, 0f, masked);
            Sgemm.Multiply(false, true, m, n, k, 1f, a, ld, bt, ld, beta, actual, n, default, relu: false, reluOutput);
            KernelTestCases.AssertBitEqual(masked, actual, $"ReLU mask, {what}");
            if (m * n > 0 && k > 0)
            {
                Assert.IsTrue(actual.Any(v => v == 0 && float.IsNegative(v)), $"some masked gradients are -0, {what}");
            }
        });
    }

    [TestMethod]
    [DataRow(true, true)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    public unsafe void TheBiasAndReluGiveTensorPrimitivesBitsOnSpecialValues(bool withBias, bool relu)
    {
        // ±0, NaN, ±∞ and the smallest subnormal in C and in the bias, over block widths from one lane to four vectors and a
        // tail, and at a column offset into the bias.
        float[] special = [-0f, 0f, float.NaN, float.NegativeInfinity, float.PositiveInfinity, -1.5f, 2.5f, float.Epsilon, -float.Epsilon];
        const int rows = 3, ld = 41, column = 2;
        KernelTestCases.ForEachPath((path, _) =>
        {
            for (int columns = 1; columns <= ld - column; columns++)
            {
                float[] c = new float[rows * ld], bias = new float[ld];
                for (int i = 0; i < c.Length; i++)
                {
                    c[i] = special[i % special.Length];
                }

                for (int j = 0; j < ld; j++)
                {
                    bias[j] = special[(j * 4) % special.Length];
                }

                float[] expected = (float[])c.Clone();
                for (int r = 0; r < rows; r++)
                {
                    Span<float> part = expected.AsSpan((r * ld) + column, columns);
                    if (withBias)
                    {
                        TensorPrimitives.Add(part, bias.AsSpan(column, columns), part);
                    }

                    if (relu)
                    {
                        TensorPrimitives.Max(part, 0f, part);
                    }
                }

                fixed (float* pc = c, pb = bias)
                {
                    new GemmEpilogue(withBias ? pb : null, relu, null, 0).Apply(pc, ld, 0, rows, column, columns);
                }

                KernelTestCases.AssertBitEqual(expected, c, $"{columns} columns");
            }
        });
    }

    public static IEnumerable<object[]> MaskedProducts()
    {
        // As above with rows of whole bytes of bits (n a multiple of 8) for the packed mask; the applied one takes any n too.
        yield return [128, 300, 256, 0f];
        yield return [37, 70, 1104, 0f];
        yield return [500, 1200, 32, 0f];
        yield return [13, 9, 24, 0f];
        yield return [2, 784, 256, 0f];
        yield return [300, 40, 16, 0f];
        yield return [9, 0, 24, 0f];
        yield return [61, 130, 72, 1f];
        yield return [61, 130, 75, 1f];
    }

    /// <summary>
    /// A ReLU that keeps a mask of its own (RAD) in the products' epilogue: forward, the bias, <c>x &gt; 0 ? x : 0</c> and the mask
    /// as <see cref="BitMask.ReluForward"/> writes them after the product; backward, the input gradient masked as
    /// <see cref="BitMask.Apply"/> does. Every path and thread count (the packed driver split by rows and by columns, the scalar
    /// path's two-column tiles made to split by rows), the last mask word's bits past the end left alone.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(MaskedProducts))]
    public void TheProductsEpiloguePacksAndAppliesAMaskAsTheSeparatePasses(int m, int k, int n, float beta)
    {
        float[] a = KernelTestCases.RandomFloats(m * k, 1), b = KernelTestCases.RandomFloats(k * n, 2), bt = KernelTestCases.RandomFloats(n * k, 6);
        float[] bias = KernelTestCases.RandomFloats(n, 3), prior = KernelTestCases.RandomFloats(m * n, 4);
        bias[0] = float.NaN; // x > 0 fails for NaN: output +0, bit clear, in both
        bias[Math.Min(1, n - 1)] = -0f;
        int ld = Math.Max(k, 1), words = BitMask.WordCount(m * n);
        ulong[] mask = new ulong[words];
        var bits = new Random(7);
        for (int w = 0; w < words; w++)
        {
            mask[w] = ((ulong)bits.NextInt64() << 1) ^ (ulong)bits.NextInt64();
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            string what = $"{m}×{k}×{n} beta {beta}";
            float[] expected = (float[])prior.Clone(), actual = (float[])prior.Clone();
            if (n % 8 == 0)
            {
                ulong[] expectedMask = new ulong[words], actualMask = new ulong[words];
                actualMask.AsSpan().Fill(0xA5A5_A5A5_A5A5_A5A5UL);
                expectedMask.AsSpan().Fill(0xA5A5_A5A5_A5A5_A5A5UL);
                Sgemm.Multiply(false, false, m, n, k, 1f, a, ld, b, n, beta, expected, n);
                RowVector.AddToRows(expected, m, bias);
                if (m * n > 0)
                {
                    BitMask.ReluForward(expected, expected, expectedMask);
                    int tail = (m * n) & 63;
                    if (tail != 0)
                    {
                        // The pass writes the whole last word; the epilogue only the bits it owns.
                        ulong owned = (1UL << tail) - 1;
                        expectedMask[^1] = (expectedMask[^1] & owned) | (0xA5A5_A5A5_A5A5_A5A5UL & ~owned);
                    }
                }

                Sgemm.Multiply(false, false, m, n, k, 1f, a, ld, b, n, beta, actual, n, bias, actualMask, default);
                KernelTestCases.AssertBitEqual(expected, actual, $"bias and ReLU, {what}");
                CollectionAssert.AreEqual(expectedMask, actualMask, $"mask, {what}");
            }

            expected = (float[])prior.Clone();
            actual = (float[])prior.Clone();
            float[] masked = new float[m * n];
            Sgemm.Multiply(false, true, m, n, k, 1f, a, ld, bt, ld, beta, expected, n);
            BitMask.Apply(mask, expected, 0f, masked);
            Sgemm.Multiply(false, true, m, n, k, 1f, a, ld, bt, ld, beta, actual, n, default, default, mask);
            KernelTestCases.AssertBitEqual(masked, actual, $"mask applied, {what}");
        });
    }

    [TestMethod]
    public void AMaskOfPartBytesOrTooFewWordsIsRefused()
    {
        float[] a = new float[24], b = new float[120], c = new float[320];
        Assert.ThrowsExactly<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 10, 3, 1f, a, 3, b, 10, 0f, c, 10, default, new ulong[1], default), "rows of 10 bits");
        Assert.ThrowsExactly<ArgumentException>(() => Sgemm.Multiply(false, false, 8, 16, 3, 1f, a, 3, b, 16, 0f, c, 16, default, new ulong[1], default), "128 bits in one word");
        Assert.ThrowsExactly<ArgumentException>(() => Sgemm.Multiply(false, true, 2, 40, 3, 1f, a, 3, b, 3, 0f, c, 40, default, default, new ulong[1]), "80 bits in one word");
    }

    [TestMethod]
    public void AShortBiasOrReluOutputIsRefused()
    {
        float[] a = new float[6], b = new float[12], c = new float[8];
        Assert.ThrowsExactly<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 4, 3, 1f, a, 3, b, 4, 0f, c, 4, new float[3], relu: true, default));
        Assert.ThrowsExactly<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 4, 3, 1f, a, 3, b, 4, 0f, c, 4, default, relu: false, new float[7]));
    }

    public static IEnumerable<object[]> Networks =>
        from sketch in new[] { "exact", "magnitude" }
        from threads in new[] { 1, 2 }
        from chunkRows in new[] { 0, 5 }
        select new object[] { sketch, threads, chunkRows };

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void NetworksGiveTheSameLossAndGradientsWithAndWithoutIt(string sketch, int threads, int chunkRows)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);

        // Two fused pairs, a LeakyReLU (never fused: its slope is not 0) and a ReLU in front of the first Dense layer (its
        // input gradient is not needed).
        var spec = new NetworkSpec(
            InputSpec.Vector(40),
            [new ActivationSpec(ActivationKind.Relu), new DenseSpec(300), new ActivationSpec(ActivationKind.Relu), new DenseSpec(70),
             new ActivationSpec(ActivationKind.Relu), new DenseSpec(33), new ActivationSpec(ActivationKind.LeakyRelu, 0.1f), new DenseSpec(5)],
            new LossSpec(LossKind.SoftmaxCrossEntropy));
        const int batch = 23;
        (Network fused, Network apart) = FusionComparison.Pair(spec, seed: 7, sketch, chunkRows, batch, n => n.FusesActivations = false);

        // Exact: both hidden pairs run fused both ways. A sketch keeps no exact input, so each ReLU keeps its mask and runs apart.
        bool exact = sketch == "exact";
        Assert.AreEqual(exact, fused.ActivatesInProduct(1, training: true, out _), "Dense 300 and its ReLU, forward");
        Assert.AreEqual(exact, fused.ActivatesInProduct(3, training: true, out _), "Dense 70 and its ReLU, forward");
        Assert.AreEqual(exact, fused.MasksInProduct(3, out _), "Dense 70 masks the gradient of the ReLU before it");
        Assert.AreEqual(exact, fused.MasksInProduct(5, out _), "Dense 33 masks the gradient of the ReLU before it");
        Assert.IsFalse(fused.ActivatesInProduct(5, training: true, out _), "a LeakyReLU is not fused");
        Assert.IsFalse(fused.MasksInProduct(7, out _), "nor its backward pass");
        Assert.IsFalse(fused.MasksInProduct(1, out _), "the ReLU in front of the first Dense layer needs no input gradient");
        Assert.IsTrue(fused.ActivatesInProduct(1, training: false, out _), "scoring fuses whatever the sketch");

        FusionComparison.AssertSameSteps(apart, fused, batch, classes: 5, g => g.Any(v => v != 0), "the gradients are not all zero");
    }

    /// <summary>
    /// RAD's Dense layers keep sketches, so the ReLUs between them keep masks: a Dense layer's product packs the mask of the ReLU
    /// after it (outputs of whole bytes of bits: 64 and 24, not 70), and the next Dense layer's input-gradient product applies
    /// it (any width). The same losses and gradients as the separate passes; exact networks read the ReLU outputs instead.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void MaskedNetworksPackAndApplyTheMasksInTheProducts(string sketch, int threads, int chunkRows)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        var spec = new NetworkSpec(
            InputSpec.Vector(40),
            [new ActivationSpec(ActivationKind.Relu), new DenseSpec(64), new ActivationSpec(ActivationKind.Relu), new DenseSpec(24),
             new ActivationSpec(ActivationKind.Relu), new DenseSpec(70), new ActivationSpec(ActivationKind.Relu), new DenseSpec(5)],
            new LossSpec(LossKind.SoftmaxCrossEntropy));
        const int batch = 23;
        (Network fused, Network apart) = FusionComparison.Pair(spec, seed: 9, sketch, chunkRows, batch, n => n.FusesActivations = false);

        bool masked = sketch != "exact";
        Assert.AreEqual(masked, fused.PacksReluMaskInProduct(1, out _, out _), "Dense 64 packs its ReLU's mask");
        Assert.AreEqual(masked, fused.PacksReluMaskInProduct(3, out _, out _), "Dense 24 packs its ReLU's mask");
        Assert.IsFalse(fused.PacksReluMaskInProduct(5, out _, out _), "70 outputs are not whole bytes of bits");
        Assert.AreEqual(masked, fused.MasksBitsInProduct(3, out _, out _), "Dense 24 applies the mask of the ReLU before it");
        Assert.AreEqual(masked, fused.MasksBitsInProduct(5, out _, out _), "Dense 70 likewise");
        Assert.AreEqual(masked, fused.MasksBitsInProduct(7, out _, out _), "Dense 5 applies the mask the ReLU packed on its own");
        Assert.IsFalse(fused.MasksBitsInProduct(1, out _, out _), "the ReLU in front of the first Dense layer needs no input gradient");
        Assert.IsFalse(apart.PacksReluMaskInProduct(1, out _, out _) || apart.MasksBitsInProduct(3, out _, out _), "off with FusesActivations");

        FusionComparison.AssertSameSteps(apart, fused, batch, classes: 5, g => g.Any(v => v != 0), "the gradients are not all zero");
    }

    public static IEnumerable<object[]> ConvolutionNetworks =>
        from sketch in new[] { "exact", "magnitude" }
        from threads in new[] { 1, 2 }
        from chunkRows in new[] { 0, 5 }
        from secondKernel in new[] { 2, 5 }
        select new object[] { sketch, threads, chunkRows, secondKernel };

    /// <summary>
    /// A convolution, max pooling and the ReLU after it (the factory puts pooling first) run as one pass, the ReLU on the pooled
    /// output (and, where the ReLU keeps a mask, its mask); backward, the next convolution's input gradient takes the ReLU's
    /// mask: the ReLU's output where the convolution keeps it, else the ReLU's own mask. The second convolution is 2×2 with
    /// 128 filters or the CNN's 5×5 with 32 (whose gradients are read through its pooling's winners too).
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(ConvolutionNetworks))]
    public void ConvolutionNetworksGiveTheSameLossAndGradientsWithTheReluInThePooling(string sketch, int threads, int chunkRows, int secondKernel)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        var spec = new NetworkSpec(
            InputSpec.Image(1, 12, 12),
            [new Conv2DSpec(16, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2),
             secondKernel == 2 ? new Conv2DSpec(128, 2, 1, 1) : new Conv2DSpec(32, 5, 1, 2),
             new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(3)],
            new LossSpec(LossKind.SoftmaxCrossEntropy));
        const int batch = 24;
        (Network fused, Network apart) = FusionComparison.Pair(spec, seed: 11, sketch, chunkRows, batch, n => n.FusesActivations = false);

        // The ReLU after the first pooling: the next convolution keeps its output when it keeps its input exactly. The one after
        // the second pooling likewise: the Dense layer behind the Flatten keeps it (PassesViews). Scoring takes both.
        int[] relus = [.. Enumerable.Range(0, fused.Layers.Count).Where(i => fused.Layers[i] is ReluLayer)];
        Assert.HasCount(2, relus);
        Assert.IsInstanceOfType<Pool2DLayer>(fused.Layers[relus[0] - 1], "the factory puts the pooling before the ReLU");
        Assert.AreEqual(sketch == "exact", fused.ActivatesAfterPooling(relus[0], training: true), "the first ReLU in training");
        Assert.AreEqual(sketch == "exact", fused.ActivatesAfterPooling(relus[1], training: true), "the second ReLU in training");
        Assert.AreEqual(sketch == "exact", fused.MasksInProduct(relus[1] + 2, out _), "the Dense layer behind the Flatten masks its gradient");
        Assert.IsTrue(fused.ActivatesAfterPooling(relus[0], training: false) && fused.ActivatesAfterPooling(relus[1], training: false), "scoring");
        Assert.IsFalse(apart.ActivatesAfterPooling(relus[0], training: false), "off with FusesActivations");

        // And in the backward pass the second convolution's direct input gradient takes that ReLU's mask, where the ReLU keeps
        // none of its own (exact) and the kernels take the convolution directly (the 512- and 256-bit paths).
        bool direct = KernelSettings.Path is KernelPath.Vector512 or KernelPath.Vector256;
        Assert.AreEqual(sketch == "exact" && direct, fused.MasksInConvolution(relus[0] + 1, out _), "the first ReLU's mask in the convolution");
        Assert.IsFalse(apart.MasksInConvolution(relus[0] + 1, out _), "off with FusesActivations");

        // A sketch keeps no exact input, so the first ReLU keeps a mask: the fused pass packs it, the convolution applies it.
        Assert.AreEqual(sketch != "exact", fused.MasksAfterPooling(relus[0]), "the first ReLU's mask packed in the pooling");
        Assert.AreEqual(sketch != "exact" && direct, fused.MasksBitsInConvolution(relus[0] + 1, out _), "the first ReLU's own mask in the convolution");
        Assert.IsFalse(apart.MasksAfterPooling(relus[0]) || apart.MasksBitsInConvolution(relus[0] + 1, out _), "off with FusesActivations");

        FusionComparison.AssertSameSteps(apart, fused, batch, classes: 3, g => g.Take(16 * 25).Any(v => v != 0), "the first layer's weight gradient is not all zero");

        FusionComparison.AssertSameScores(apart, fused);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ScoringGivesTheSameOutputsWithAndWithoutIt(int threads)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);

        // The last layer a ReLU: the fused pair writes the caller's output.
        var spec = new NetworkSpec(
            InputSpec.Vector(50),
            [new DenseSpec(256), new ActivationSpec(ActivationKind.Relu), new DenseSpec(64), new ActivationSpec(ActivationKind.Relu), new DenseSpec(6),
             new ActivationSpec(ActivationKind.Relu)],
            new LossSpec(LossKind.MeanSquaredError));
        Network network = Network.Create(spec, seed: 3);
        foreach (int rows in new[] { 1, 2, 150 })
        {
            var random = new Random(rows);
            float[] x = [.. Enumerable.Range(0, rows * spec.Input.Size).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            float[] fused = new float[rows * 6], apart = new float[rows * 6];
            network.FusesActivations = true;
            network.CreateScorer().Score(x, rows, fused);
            network.FusesActivations = false;
            network.CreateScorer().Score(x, rows, apart);
            KernelTestCases.AssertBitEqual(apart, fused, $"outputs of {rows} rows");
            Assert.IsTrue(fused.Any(v => v > 0) && fused.Any(v => v == 0), $"{rows} rows: some outputs pass the last ReLU, some do not");
        }
    }
}
