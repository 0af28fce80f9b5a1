using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class SparseGradientTests
{
    [TestMethod]
    [DataRow(5, 20, 6, 3)]
    [DataRow(128, 784, 256, 79)]
    [DataRow(3, 9, 17, 9)]
    [DataRow(7, 33, 40, 1)]
    public void RowProductsEqualTheDenseProductOfTheRebuiltInputOnEveryPath(int rows, int columns, int width, int k)
    {
        var random = new Random(rows + k);
        float[] values = KernelTestCases.RandomFloats(rows * k, 1);
        int[] indices = [.. Enumerable.Range(0, rows * k).Select(_ => random.Next(columns))]; // with replacement: duplicates add up
        float[] dy = KernelTestCases.RandomFloats(rows * width, 2);
        float[] prior = KernelTestCases.RandomFloats(columns * width, 3);

        // Definition: x̂ rebuilt densely (scatter-add), then x̂ᵀ·dY in double.
        var rebuilt = new double[rows * columns];
        for (int i = 0; i < rows * k; i++)
        {
            rebuilt[((i / k) * columns) + indices[i]] += values[i];
        }

        var expected = new double[columns * width];
        var scale = new double[expected.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                for (int o = 0; o < width; o++)
                {
                    double term = rebuilt[(r * columns) + c] * dy[(r * width) + o];
                    expected[(c * width) + o] += term;
                    scale[(c * width) + o] += Math.Abs(term);
                }
            }
        }

        float[] reference = [];
        KernelTestCases.ForEachPath((path, threads) =>
        {
            float[] gradient = Enumerable.Repeat(float.NaN, columns * width).ToArray();
            SparseGradient.AddRowProducts(values, indices, rows, k, dy, width, gradient, columns, accumulate: false);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i], gradient[i], 1e-5 * (1 + scale[i]), $"element {i}");
            }

            float[] accumulated = (float[])prior.Clone();
            SparseGradient.AddRowProducts(values, indices, rows, k, dy, width, accumulated, columns, accumulate: true);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i] + prior[i], accumulated[i], 1e-5 * (1 + scale[i] + Math.Abs(prior[i])), $"accumulated element {i}");
            }

            if (path == KernelPath.Scalar && threads == 1)
            {
                reference = gradient;
            }
            else
            {
                KernelTestCases.AssertBitEqual(reference, gradient, $"row products {rows}×{k} into {columns}×{width} against the scalar path");
            }
        });
    }

    public static IEnumerable<object[]> ConvolutionCases()
    {
        // channels, height, width, kernel, stride, padding, filters, samples, per plane, images
        yield return [1, 28, 28, 5, 1, 2, 16, 79, false, 3];
        yield return [16, 14, 14, 5, 1, 2, 32, 20, false, 2];
        yield return [16, 14, 14, 5, 1, 2, 32, 20, true, 2];
        yield return [2, 6, 5, 3, 1, 1, 3, 8, true, 4];
        yield return [2, 6, 5, 3, 2, 1, 3, 8, false, 4];
        yield return [3, 7, 9, 3, 2, 0, 17, 12, true, 1];
        yield return [1, 28, 28, 5, 1, 2, 16, 79, true, 16];
    }

    [TestMethod]
    [DynamicData(nameof(ConvolutionCases))]
    public void ConvolutionProductsEqualTheDenseGradientOfTheRebuiltImagesOnEveryPath(
        int channels, int height, int width, int kernel, int stride, int padding, int filters, int k, bool perPlane, int count)
    {
        var g = new ConvGeometry(channels, height, width, kernel, kernel, stride, padding);
        var random = new Random(channels + k + count);
        long samples = (long)count * channels * k;
        float[] values = KernelTestCases.RandomFloats((int)samples, 4);
        int[] positions = [.. Enumerable.Range(0, (int)(perPlane ? samples : k)).Select(_ => random.Next(height * width))];
        float[] dy = KernelTestCases.RandomFloats(count * g.OutPositions * filters, 5);

        // Definition: rebuild the images (duplicates add up), then the dense weight gradient in double.
        var images = new double[count * g.ImageSize];
        for (int n = 0; n < count; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int j = 0; j < k; j++)
                {
                    int p = perPlane ? positions[(((n * channels) + c) * k) + j] : positions[j];
                    float v = perPlane ? values[(((n * channels) + c) * k) + j] : values[(((n * k) + j) * channels) + c];
                    images[(n * g.ImageSize) + (p * channels) + c] += v;
                }
            }
        }

        (double[] expected, double[] scale) = DenseWeightGradient(g, images, dy, count, filters);
        float[] reference = [];
        KernelTestCases.ForEachPath((path, threads) =>
        {
            float[] gradient = Enumerable.Repeat(float.NaN, filters * g.PatchSize).ToArray();
            SparseGradient.AddConvolutionProducts(g, filters, values, positions, new SampleLayout(k, perPlane), count, dy, gradient, accumulate: false);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i], gradient[i], 1e-5 * (1 + scale[i]), $"element {i}");
            }

            if (path == KernelPath.Scalar && threads == 1)
            {
                reference = gradient;
            }
            else
            {
                KernelTestCases.AssertBitEqual(reference, gradient, $"convolution products {g} against the scalar path");
            }
        });
    }

    /// <summary>The per-thread buffers are sized separately: wide dW with few samples, then narrow dW with many.</summary>
    [TestMethod]
    public void RowProductsAfterACallWithFewerSamplesButMoreRows()
    {
        foreach ((int weightRows, int rows, int k) in new[] { (1000, 10, 10), (10, 50, 10) })
        {
            var random = new Random(weightRows);
            float[] values = [.. Enumerable.Range(0, rows * k).Select(_ => (float)random.NextDouble())];
            int[] indices = [.. Enumerable.Range(0, rows * k).Select(_ => random.Next(weightRows))];
            float[] dy = [.. Enumerable.Range(0, rows * 3).Select(_ => (float)random.NextDouble())];
            var dw = new float[weightRows * 3];
            SparseGradient.AddRowProducts(values, indices, rows, k, dy, 3, dw, weightRows, accumulate: false);

            var expected = new double[weightRows * 3];
            for (int i = 0; i < rows * k; i++)
            {
                for (int c = 0; c < 3; c++)
                {
                    expected[(indices[i] * 3) + c] += values[i] * (double)dy[((i / k) * 3) + c];
                }
            }

            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i], dw[i], 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"dW[{i}] with {weightRows} rows");
            }
        }
    }

    [TestMethod]
    public void IndicesAndPositionsOutsideTheirRangeAreRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseGradient.AddRowProducts([1f], [5], 1, 1, [1f, 2f], 2, new float[10], 5, false));
        var g = new ConvGeometry(1, 4, 4, 3, 3, 1, 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            SparseGradient.AddConvolutionProducts(g, 2, [1f], [16], new SampleLayout(1, false), 1, new float[32], new float[18], false));
    }

    private static (double[] Gradient, double[] Scale) DenseWeightGradient(ConvGeometry g, double[] images, float[] dy, int count, int filters)
    {
        var gradient = new double[filters * g.PatchSize];
        var scale = new double[gradient.Length];
        for (int n = 0; n < count; n++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    for (int a = 0; a < g.KernelHeight; a++)
                    {
                        for (int b = 0; b < g.KernelWidth; b++)
                        {
                            int ih = (oh * g.Stride) - g.Padding + a, iw = (ow * g.Stride) - g.Padding + b;
                            if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width)
                            {
                                continue;
                            }

                            for (int c = 0; c < g.Channels; c++)
                            {
                                double x = images[(n * g.ImageSize) + (((ih * g.Width) + iw) * g.Channels) + c];
                                for (int f = 0; f < filters; f++)
                                {
                                    double term = x * dy[(((((n * g.OutHeight) + oh) * g.OutWidth) + ow) * filters) + f];
                                    int at = (f * g.PatchSize) + (((a * g.KernelWidth) + b) * g.Channels) + c;
                                    gradient[at] += term;
                                    scale[at] += Math.Abs(term);
                                }
                            }
                        }
                    }
                }
            }
        }

        return (gradient, scale);
    }
}
