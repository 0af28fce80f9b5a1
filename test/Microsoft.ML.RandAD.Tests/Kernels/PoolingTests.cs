using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class PoolingTests
{
    public static IEnumerable<object[]> Geometries()
    {
        foreach (int channels in new[] { 1, 3, 4, 8, 16, 17, 32, 35 })
        {
            foreach (var (size, stride) in new[] { (2, 2), (3, 3), (2, 1), (3, 2), (2, 3), (1, 1) })
            {
                yield return [channels, 7, 6, size, stride];
                yield return [channels, 8, 8, size, stride];
            }
        }

        yield return [16, 28, 28, 2, 2];
        yield return [32, 14, 14, 2, 2];
        yield return [2, 16, 16, 16, 1];
    }

    /// <summary>Values with ties, signed zeros, NaN and infinities, so first-maximum and NaN rules are exercised.</summary>
    private static float[] Awkward(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.Next(40) switch
            {
                0 => float.NaN,
                1 => -0f,
                2 => 0f,
                3 => float.PositiveInfinity,
                4 => float.NegativeInfinity,
                < 20 => random.Next(-3, 4) * 0.5f, // many ties
                _ => (float)(random.NextDouble() - 0.5) * 8f,
            };
        }

        return values;
    }

    [TestMethod]
    [DynamicData(nameof(Geometries))]
    public void EveryPathMatchesTheScalarReferenceBitForBit(int channels, int height, int width, int size, int stride)
    {
        var g = new PoolGeometry(channels, height, width, size, stride);
        foreach (int count in new[] { 0, 1, 3 })
        {
            Check(g, count, seed: channels + (7 * size) + count);
        }
    }

    [TestMethod]
    public void ABatchLargeEnoughToSplitOverThreadsMatchesTheReference()
    {
        // The CNN's first pooling on a chunk of 83 images: split over the worker pool by images.
        Check(new PoolGeometry(16, 28, 28, 2, 2), 83, seed: 5);
        Check(new PoolGeometry(16, 28, 28, 3, 2), 9, seed: 6);
    }

    [TestMethod]
    public void MaxForwardWithoutWinnersGivesTheSameMaxima()
    {
        var g = new PoolGeometry(16, 8, 8, 2, 2);
        float[] input = Awkward(3 * g.ImageSize, 1);
        var expected = new float[3 * g.OutImageSize];
        PoolingReference.MaxForward(g, input, 3, expected, new byte[expected.Length]);
        KernelTestCases.ForEachPath((path, threads) =>
        {
            var output = new float[expected.Length];
            Pooling.MaxForward(g, input, 3, output, default);
            KernelTestCases.AssertBitEqual(expected, output, $"max forward without winners, {g}");
        });
    }

    [TestMethod]
    public void ShortSpansAreRejectedBeforeAnyMemoryIsTouched()
    {
        var g = new PoolGeometry(16, 8, 8, 2, 2);
        var input = new float[2 * g.ImageSize];
        var output = new float[(2 * g.OutImageSize) - 1];
        Assert.ThrowsExactly<ArgumentException>(() => Pooling.MaxForward(g, input, 2, output, default));
        Assert.ThrowsExactly<ArgumentException>(() => Pooling.MaxBackward(g, new float[2 * g.OutImageSize], new byte[3], 2, input));
        Assert.ThrowsExactly<ArgumentException>(() => Pooling.AverageBackward(g, output, 2, input));
    }

    private static void Check(PoolGeometry g, int count, int seed)
    {
        float[] input = Awkward(count * g.ImageSize, seed);
        float[] gradient = Awkward(count * g.OutImageSize, seed + 1);
        var maxima = new float[count * g.OutImageSize];
        var winners = new byte[maxima.Length];
        var maxGradient = new float[input.Length];
        var averages = new float[maxima.Length];
        var averageGradient = new float[input.Length];
        PoolingReference.MaxForward(g, input, count, maxima, winners);
        var rectified = new float[maxima.Length];
        System.Numerics.Tensors.TensorPrimitives.Max(maxima, 0f, rectified);
        PoolingReference.MaxBackward(g, gradient, winners, count, maxGradient);
        PoolingReference.AverageForward(g, input, count, averages);
        PoolingReference.AverageBackward(g, gradient, count, averageGradient);

        KernelTestCases.ForEachPath((path, threads) =>
        {
            // Outputs start as NaN: a kernel that skips an element it must write shows up.
            float[] output = Enumerable.Repeat(float.NaN, maxima.Length).ToArray();
            byte[] won = Enumerable.Repeat((byte)0xEE, winners.Length).ToArray();
            Pooling.MaxForward(g, input, count, output, won);
            KernelTestCases.AssertBitEqual(maxima, output, $"max forward {g} ×{count}");
            KernelTestCases.AssertEqual<byte>(winners, won, $"winners {g} ×{count}");

            // With the ReLU after it: each maximum as TensorPrimitives.Max(x, 0) would leave it (NaN stays, −0 becomes +0).
            Array.Fill(output, float.NaN);
            Array.Fill(won, (byte)0xEE);
            Pooling.MaxForward(g, input, count, output, won, relu: true);
            KernelTestCases.AssertBitEqual(rectified, output, $"max forward with ReLU {g} ×{count}");
            KernelTestCases.AssertEqual<byte>(winners, won, $"winners with ReLU {g} ×{count}");

            float[] inputGradient = Enumerable.Repeat(float.NaN, input.Length).ToArray();
            Pooling.MaxBackward(g, gradient, winners, count, inputGradient);
            KernelTestCases.AssertBitEqual(maxGradient, inputGradient, $"max backward {g} ×{count}");

            Array.Fill(output, float.NaN);
            Pooling.AverageForward(g, input, count, output);
            KernelTestCases.AssertBitEqual(averages, output, $"average forward {g} ×{count}");

            Array.Fill(inputGradient, float.NaN);
            Pooling.AverageBackward(g, gradient, count, inputGradient);
            KernelTestCases.AssertBitEqual(averageGradient, inputGradient, $"average backward {g} ×{count}");
        });
    }
}
