using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>The im2col + GEMM convolution's weight gradient (<see cref="ConvolutionProducts.WeightGradient"/>).</summary>
[TestClass]
public sealed class ConvolutionProductsTests
{
    private static readonly ConvGeometry[] Geometries =
    [
        new ConvGeometry(16, 14, 14, 5, 5, 1, 2), // the CNN's second layer: 400 taps
        new ConvGeometry(3, 9, 7, 3, 3, 2, 1),    // strided, odd sizes
    ];

    [TestMethod]
    public void WeightGradientIsTheSumOverImagesOfOutputGradientTimesPatches()
    {
        const int count = 5;
        foreach (ConvGeometry g in Geometries)
        {
            foreach (int filters in new[] { 7, 32, 40 })
            {
                float[] images = KernelTestCases.RandomFloats(count * g.ImageSize, 11);
                float[] dy = KernelTestCases.RandomFloats(count * g.OutPositions * filters, 12);
                float[] prior = KernelTestCases.RandomFloats(filters * g.PatchSize, 13);
                (double[] expected, double[] magnitude) = Reference(g, images, dy, count, filters);
                KernelTestCases.ForEachPath((path, threads) =>
                {
                    foreach (bool accumulate in new[] { false, true })
                    {
                        float[] gradient = (float[])prior.Clone();
                        var partials = new float[ConvolutionProducts.WeightGradientParts * filters * g.PatchSize];
                        ConvolutionProducts.WeightGradient(g, images, dy, count, filters, gradient, accumulate, partials);
                        for (int i = 0; i < gradient.Length; i++)
                        {
                            // Float sums of up to 980 terms: within 1e-5 of the sum of the terms' magnitudes (rounding grows with it).
                            double want = expected[i] + (accumulate ? prior[i] : 0);
                            double tolerance = 1e-5 * (magnitude[i] + Math.Abs(prior[i]) + 1e-3);
                            Assert.AreEqual(want, gradient[i], tolerance, $"{g.Channels} channels, {filters} filters, accumulate {accumulate}: element {i}");
                        }
                    }
                });
            }
        }
    }

    /// <summary>The gradient in double precision, and the sum of its terms' magnitudes (the scale of its rounding error).</summary>
    private static (double[] Sums, double[] Magnitudes) Reference(ConvGeometry g, float[] images, float[] dy, int count, int filters)
    {
        var sums = new double[filters * g.PatchSize];
        var magnitudes = new double[sums.Length];
        for (int n = 0; n < count; n++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int position = (n * g.OutPositions) + (oh * g.OutWidth) + ow;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int ih = (oh * g.Stride) - g.Padding + kh, iw = (ow * g.Stride) - g.Padding + kw;
                            if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width)
                            {
                                continue;
                            }

                            for (int c = 0; c < g.Channels; c++)
                            {
                                double x = images[(n * g.ImageSize) + (((ih * g.Width) + iw) * g.Channels) + c];
                                int tap = (((kh * g.KernelWidth) + kw) * g.Channels) + c;
                                for (int f = 0; f < filters; f++)
                                {
                                    double term = dy[(position * filters) + f] * x;
                                    sums[(f * g.PatchSize) + tap] += term;
                                    magnitudes[(f * g.PatchSize) + tap] += Math.Abs(term);
                                }
                            }
                        }
                    }
                }
            }
        }

        return (sums, magnitudes);
    }
}
