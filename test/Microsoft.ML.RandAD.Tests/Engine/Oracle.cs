using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// Double-precision reference forward passes, written as plain loops straight from each layer's formula and
/// independent of the engine's kernels. Gradients are checked against central differences of these.
/// </summary>
internal static class Oracle
{
    public static double[] Forward(Layer layer, double[] x, double[] p, int batch, ulong stepSeed = 1234, int layerIndex = 0) => layer switch
    {
        DenseLayer d => Dense(x, p, batch, d.InputShape.Size, d.OutputShape.Size),
        ReluLayer r => Map(x, v => v > 0 ? v : r.NegativeSlope * v),
        TanhLayer => Map(x, Math.Tanh),
        SigmoidLayer => Map(x, v => 1 / (1 + Math.Exp(-v))),
        GeluLayer => Map(x, v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))),
        FlattenLayer => (double[])x.Clone(),
        DropoutLayer drop => Dropout(x, drop.Rate, stepSeed, layerIndex),
        ChannelsLastLayer c => ChannelsLast(x, batch, c.InputShape.Channels, c.InputShape.Height * c.InputShape.Width),
        Conv2DLayer conv => Conv(x, p, batch, conv.Geometry, conv.OutputShape.Channels),
        Pool2DLayer pool => Pool(x, batch, pool),
        BatchNormLayer bn => BatchNorm(x, p, batch, bn),
        RecurrentLayer rnn => Recurrent(x, p, batch, rnn.InputShape.Steps, rnn.InputShape.StepSize, rnn.OutputShape.Size),
        _ => throw new NotSupportedException(layer.GetType().Name),
    };

    /// <summary>Weighted mean loss in double.</summary>
    public static double Loss(LossSpec spec, double[] z, float[] targets, float[]? weights, int batch, int width)
    {
        double total = 0, weightSum = 0;
        for (int r = 0; r < batch; r++)
        {
            double w = weights?[r] ?? 1;
            double l = 0;
            switch (spec.Kind)
            {
                case LossKind.SoftmaxCrossEntropy:
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < width; j++) max = Math.Max(max, z[r * width + j]);
                    double sum = 0;
                    for (int j = 0; j < width; j++) sum += Math.Exp(z[r * width + j] - max);
                    l = Math.Log(sum) + max - z[r * width + (int)targets[r]];
                    break;
                case LossKind.BinaryCrossEntropy:
                    double zz = z[r], y = targets[r];
                    l = -(y * Math.Log(1 / (1 + Math.Exp(-zz))) + (1 - y) * Math.Log(1 - 1 / (1 + Math.Exp(-zz))));
                    break;
                case LossKind.MeanSquaredError:
                    for (int j = 0; j < width; j++) l += Math.Pow(z[r * width + j] - targets[r * width + j], 2);
                    break;
                case LossKind.Huber:
                    for (int j = 0; j < width; j++)
                    {
                        double a = Math.Abs(z[r * width + j] - targets[r * width + j]);
                        l += a <= spec.HuberDelta ? 0.5 * a * a : spec.HuberDelta * (a - 0.5 * spec.HuberDelta);
                    }

                    break;
            }

            total += w * l;
            weightSum += w;
        }

        return total / weightSum;
    }

    private static double[] Map(double[] x, Func<double, double> f) => x.Select(f).ToArray();

    private static double[] Dense(double[] x, double[] p, int batch, int d, int n)
    {
        var y = new double[batch * n];
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = p[d * n + j];
                for (int i = 0; i < d; i++) s += x[r * d + i] * p[i * n + j];
                y[r * n + j] = s;
            }
        }

        return y;
    }

    private static double[] Dropout(double[] x, float rate, ulong stepSeed, int layerIndex)
    {
        // The mask as the kernel draws it: apply dropout to ones.
        float[] ones = Enumerable.Repeat(1f, x.Length).ToArray();
        float[] mask = new float[x.Length];
        DropoutKernel.Apply(stepSeed, DropoutLayer.StreamOf(layerIndex, chunk: 0), rate, ones, mask);
        return x.Select((v, i) => v * mask[i]).ToArray();
    }

    private static double[] ChannelsLast(double[] x, int batch, int c, int plane)
    {
        var y = new double[x.Length];
        for (int n = 0; n < batch; n++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < plane; p++)
                    y[n * c * plane + p * c + ch] = x[n * c * plane + ch * plane + p];
        return y;
    }

    private static double[] Conv(double[] x, double[] p, int batch, ConvGeometry g, int filters)
    {
        int oh = g.OutHeight, ow = g.OutWidth, k = g.KernelHeight, c = g.Channels;
        var y = new double[batch * oh * ow * filters];
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int f = 0; f < filters; f++)
                    {
                        double s = p[filters * g.PatchSize + f];
                        for (int a = 0; a < k; a++)
                            for (int b = 0; b < g.KernelWidth; b++)
                            {
                                int ih = i * g.Stride - g.Padding + a, iw = j * g.Stride - g.Padding + b;
                                if (ih < 0 || iw < 0 || ih >= g.Height || iw >= g.Width) continue;
                                for (int ch = 0; ch < c; ch++)
                                    s += x[((n * g.Height + ih) * g.Width + iw) * c + ch] * p[f * g.PatchSize + (a * g.KernelWidth + b) * c + ch];
                            }

                        y[((n * oh + i) * ow + j) * filters + f] = s;
                    }

        return y;
    }

    private static double[] Pool(double[] x, int batch, Pool2DLayer pool)
    {
        int h = pool.InputShape.Height, w = pool.InputShape.Width, c = pool.InputShape.Channels;
        int oh = pool.OutputShape.Height, ow = pool.OutputShape.Width;
        var y = new double[batch * oh * ow * c];
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double acc = pool.Kind == PoolKind.Max ? double.NegativeInfinity : 0;
                        for (int a = 0; a < pool.Size; a++)
                            for (int b = 0; b < pool.Size; b++)
                            {
                                double v = x[((n * h + i * pool.Stride + a) * w + j * pool.Stride + b) * c + ch];
                                acc = pool.Kind == PoolKind.Max ? Math.Max(acc, v) : acc + v / (pool.Size * pool.Size);
                            }

                        y[((n * oh + i) * ow + j) * c + ch] = acc;
                    }

        return y;
    }

    private static double[] BatchNorm(double[] x, double[] p, int batch, BatchNormLayer bn)
    {
        int features = p.Length / 4;
        int rows = x.Length / features;
        var y = new double[x.Length];
        for (int f = 0; f < features; f++)
        {
            double mean = 0, variance = 0;
            for (int r = 0; r < rows; r++) mean += x[r * features + f];
            mean /= rows;
            for (int r = 0; r < rows; r++) variance += Math.Pow(x[r * features + f] - mean, 2);
            variance /= rows;
            for (int r = 0; r < rows; r++)
                y[r * features + f] = p[f] * (x[r * features + f] - mean) / Math.Sqrt(variance + bn.Epsilon) + p[features + f];
        }

        return y;
    }

    private static double[] Recurrent(double[] x, double[] p, int batch, int steps, int d, int hidden)
    {
        int wih = 0, whh = d * hidden, bias = whh + hidden * hidden;
        var h = new double[batch * hidden];
        for (int t = 0; t < steps; t++)
        {
            var next = new double[batch * hidden];
            for (int n = 0; n < batch; n++)
                for (int j = 0; j < hidden; j++)
                {
                    double s = p[bias + j];
                    for (int i = 0; i < d; i++) s += x[(n * steps + t) * d + i] * p[wih + i * hidden + j];
                    for (int i = 0; i < hidden; i++) s += h[n * hidden + i] * p[whh + i * hidden + j];
                    next[n * hidden + j] = Math.Max(s, 0);
                }

            h = next;
        }

        return h;
    }
}
