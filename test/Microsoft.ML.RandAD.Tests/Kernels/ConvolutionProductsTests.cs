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
                var definition = ConvolutionDefinition.Of(g, images, new float[filters * g.PatchSize], new float[filters], dy, count, filters);
                (double[] expected, double[] magnitude) = (definition.Dw, definition.DwScale);
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
}
