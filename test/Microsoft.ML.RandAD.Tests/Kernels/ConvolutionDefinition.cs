using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>
/// A convolution, its weight gradient and its input gradient by definition, in double, with Σ|terms| for the tolerances
/// (float sums may differ from these by rounding in proportion to the terms' magnitudes). <paramref name="Dw"/> and
/// <paramref name="Dx"/> are for the output gradient passed to <see cref="Of"/>.
/// </summary>
internal readonly record struct ConvolutionDefinition(double[] Y, double[] Dw, double[] Dx, double[] YScale, double[] DwScale, double[] DxScale)
{
    public static ConvolutionDefinition Of(ConvGeometry g, float[] x, float[] w, float[] b, float[] dy, int count, int filters)
    {
        var y = new double[count * g.OutPositions * filters];
        var yScale = new double[y.Length];
        var dw = new double[filters * g.PatchSize];
        var dwScale = new double[dw.Length];
        var dx = new double[count * g.ImageSize];
        var dxScale = new double[dx.Length];
        for (int n = 0; n < count; n++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int pixel = (((n * g.OutHeight) + oh) * g.OutWidth) + ow;
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
                                int input = (n * g.ImageSize) + (((ih * g.Width) + iw) * g.Channels) + c;
                                double xv = x[input];
                                int tap = (((kh * g.KernelWidth) + kw) * g.Channels) + c;
                                for (int f = 0; f < filters; f++)
                                {
                                    double product = xv * w[(f * g.PatchSize) + tap];
                                    y[(pixel * filters) + f] += product;
                                    yScale[(pixel * filters) + f] += Math.Abs(product);
                                    double term = xv * dy[(pixel * filters) + f];
                                    dw[(f * g.PatchSize) + tap] += term;
                                    dwScale[(f * g.PatchSize) + tap] += Math.Abs(term);
                                    double back = (double)dy[(pixel * filters) + f] * w[(f * g.PatchSize) + tap];
                                    dx[input] += back;
                                    dxScale[input] += Math.Abs(back);
                                }
                            }
                        }
                    }

                    for (int f = 0; f < filters; f++)
                    {
                        y[(pixel * filters) + f] += b[f];
                        yScale[(pixel * filters) + f] += Math.Abs(b[f]);
                    }
                }
            }
        }

        return new ConvolutionDefinition(y, dw, dx, yScale, dwScale, dxScale);
    }
}
