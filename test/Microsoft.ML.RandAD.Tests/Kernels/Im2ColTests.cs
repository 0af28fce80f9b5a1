using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class Im2ColTests
{
    public static IEnumerable<object[]> Geometries()
    {
        foreach (int channels in new[] { 1, 3, 16 })
        {
            foreach (int stride in new[] { 1, 2 })
            {
                foreach (int padding in new[] { 0, 1, 2 })
                {
                    foreach (var (kh, kw) in new[] { (1, 1), (3, 3), (5, 5), (2, 3) })
                    {
                        yield return [channels, 7, 6, kh, kw, stride, padding];
                    }
                }
            }
        }

        yield return [3, 1, 1, 1, 1, 1, 0];
        yield return [3, 1, 1, 3, 3, 1, 1];
        yield return [5, 9, 4, 5, 1, 3, 2];
        yield return [17, 4, 4, 3, 3, 1, 1];
    }

    /// <summary>The definition, element by element: entry (n, oh, ow | kh, kw, c) = image n at (oh·s − p + kh, ow·s − p + kw, c) or 0.</summary>
    private static float[] DirectPack(ConvGeometry g, float[] images, int count)
    {
        var columns = new float[count * g.OutPositions * g.PatchSize];
        int i = 0;
        for (int n = 0; n < count; n++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            for (int c = 0; c < g.Channels; c++, i++)
                            {
                                int ih = oh * g.Stride - g.Padding + kh, iw = ow * g.Stride - g.Padding + kw;
                                bool inside = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width;
                                columns[i] = inside ? images[n * g.ImageSize + (ih * g.Width + iw) * g.Channels + c] : 0f;
                            }
                        }
                    }
                }
            }
        }

        return columns;
    }

    /// <summary>col2im by the definition, adding entries in ascending column-matrix order onto <paramref name="images"/>.</summary>
    private static void DirectUnpackAdd(ConvGeometry g, float[] columns, int count, float[] images)
    {
        int i = 0;
        for (int n = 0; n < count; n++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            for (int c = 0; c < g.Channels; c++, i++)
                            {
                                int ih = oh * g.Stride - g.Padding + kh, iw = ow * g.Stride - g.Padding + kw;
                                if (ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width)
                                {
                                    images[n * g.ImageSize + (ih * g.Width + iw) * g.Channels + c] += columns[i];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    [TestMethod]
    [DynamicData(nameof(Geometries))]
    public void PackAndUnpackMatchDefinitionOnEveryPath(int channels, int height, int width, int kh, int kw, int stride, int padding)
    {
        var g = new ConvGeometry(channels, height, width, kh, kw, stride, padding);
        foreach (int count in new[] { 0, 1, 3 })
        {
            float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, count + channels);
            float[] expectedColumns = DirectPack(g, images, count);
            float[] gradient = KernelTestCases.RandomFloats(expectedColumns.Length, count + 17);
            var expectedImages = new float[images.Length];
            DirectUnpackAdd(g, gradient, count, expectedImages);
            float[] prior = KernelTestCases.RandomFloats(images.Length, 99);
            float[] expectedAccumulated = (float[])prior.Clone();
            DirectUnpackAdd(g, gradient, count, expectedAccumulated);

            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] columns = Enumerable.Repeat(float.NaN, expectedColumns.Length).ToArray();
                Im2Col.Pack(g, images, count, columns);
                KernelTestCases.AssertBitEqual(expectedColumns, columns, $"Pack {g}, {count} images");

                float[] unpacked = Enumerable.Repeat(float.NaN, images.Length).ToArray();
                Im2Col.Unpack(g, gradient, count, unpacked);
                KernelTestCases.AssertBitEqual(expectedImages, unpacked, $"Unpack {g}, {count} images");

                float[] accumulated = (float[])prior.Clone();
                Im2Col.UnpackAccumulate(g, gradient, count, accumulated);
                KernelTestCases.AssertBitEqual(expectedAccumulated, accumulated, $"UnpackAccumulate {g}, {count} images");
            });
        }
    }

    [TestMethod]
    [DynamicData(nameof(Geometries))]
    public void UnpackIsTheAdjointOfPack(int channels, int height, int width, int kh, int kw, int stride, int padding)
    {
        var g = new ConvGeometry(channels, height, width, kh, kw, stride, padding);
        const int count = 2;
        float[] x = KernelTestCases.RandomFloats(count * g.ImageSize, 5);
        float[] y = KernelTestCases.RandomFloats(count * g.OutPositions * g.PatchSize, 6);
        var packed = new float[y.Length];
        var unpacked = new float[x.Length];
        Im2Col.Pack(g, x, count, packed);
        Im2Col.Unpack(g, y, count, unpacked);
        double left = 0, right = 0, scale = 0;
        for (int i = 0; i < y.Length; i++)
        {
            left += (double)packed[i] * y[i];
            scale += Math.Abs((double)packed[i] * y[i]);
        }

        for (int i = 0; i < x.Length; i++)
        {
            right += (double)x[i] * unpacked[i];
        }

        // unpacked holds float sums of up to kh·kw terms: allow their rounding, relative to the magnitude of the terms.
        Assert.AreEqual(left, right, 1e-6 * Math.Max(1, scale), $"<Pack(x), y> vs <x, Unpack(y)> for {g}");
    }

    [TestMethod]
    public void BatchOf128SplitsOverThreadsWithIdenticalResults()
    {
        // The paper's first conv layer on CIFAR-sized inputs: large enough to split over the worker pool.
        var g = new ConvGeometry(3, 32, 32, 5, 5, 1, 2);
        const int count = 128;
        float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, 1);
        float[] gradient = KernelTestCases.RandomFloats(count * g.OutPositions * g.PatchSize, 2);
        var expectedColumns = new float[gradient.Length];
        var expectedImages = new float[images.Length];
        using (KernelSettings.Use(KernelPath.Scalar, 1))
        {
            Im2Col.Pack(g, images, count, expectedColumns);
            Im2Col.Unpack(g, gradient, count, expectedImages);
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            var columns = new float[gradient.Length];
            var unpacked = new float[images.Length];
            Im2Col.Pack(g, images, count, columns);
            Im2Col.Unpack(g, gradient, count, unpacked);
            KernelTestCases.AssertBitEqual(expectedColumns, columns, "Pack");
            KernelTestCases.AssertBitEqual(expectedImages, unpacked, "Unpack");
        });
    }

    [TestMethod]
    public void ImageRangeOverloadsProcessAChunkOfTheBatch()
    {
        var g = new ConvGeometry(3, 8, 8, 3, 3, 2, 1);
        const int batch = 5, first = 2, count = 2;
        int rows = g.OutPositions * g.PatchSize;
        float[] images = KernelTestCases.RandomFloats(batch * g.ImageSize, 3);
        var all = new float[batch * rows];
        Im2Col.Pack(g, images, batch, all);
        KernelTestCases.ForEachPath((path, threads) =>
        {
            var chunk = new float[count * rows];
            Im2Col.Pack(g, images, first, count, chunk);
            KernelTestCases.AssertBitEqual(all.AsSpan(first * rows, count * rows), chunk, "Pack chunk");

            // Unpack of a chunk overwrites exactly its images; the accumulating form adds to them.
            float[] target = Enumerable.Repeat(7f, images.Length).ToArray();
            Im2Col.Unpack(g, chunk, first, count, target);
            var expected = new float[count * g.ImageSize];
            Im2Col.Unpack(g, chunk, count, expected);
            KernelTestCases.AssertBitEqual(expected, target.AsSpan(first * g.ImageSize, count * g.ImageSize), "Unpack chunk");
            Assert.IsTrue(target.AsSpan(0, first * g.ImageSize).ToArray().All(v => v == 7f), "Unpack touched images before the chunk");
            Assert.IsTrue(target.AsSpan((first + count) * g.ImageSize).ToArray().All(v => v == 7f), "Unpack touched images after the chunk");

            float[] accumulated = (float[])target.Clone();
            Im2Col.UnpackAccumulate(g, chunk, first, count, accumulated);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i] + expected[i], accumulated[first * g.ImageSize + i], 1e-5f, $"accumulated element {i}");
            }
        });
    }

    [TestMethod]
    public void InvalidGeometryAndShortSpansAreRejectedWithClearErrors()
    {
        var g = new ConvGeometry(3, 4, 4, 3, 3);
        Assert.ThrowsExactly<ArgumentException>(() => Im2Col.Pack(new ConvGeometry(3, 2, 4, 5, 3), new float[24], 1, new float[1000]));
        Assert.ThrowsExactly<ArgumentException>(() => Im2Col.Pack(g with { Stride = 0 }, new float[48], 1, new float[1000]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => Im2Col.Pack(g, new float[47], 1, new float[108]));
        StringAssert.Contains(e.Message, "need 48");
        e = Assert.ThrowsExactly<ArgumentException>(() => Im2Col.Unpack(g, new float[107], 1, new float[48]));
        StringAssert.Contains(e.Message, "need 108");
        Assert.ThrowsExactly<ArgumentException>(() => Im2Col.Pack(g, new float[96], 1, 2, new float[216]));
    }
}
