using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// Seeded generator of valid network specs covering every layer type: vectors (Dense stacks), images (1 or 3
/// channels; conv shapes, strides, padding, max/average pooling, batch norm, dropout, flatten) and sequences (IRNN),
/// with multiclass, binary and regression heads.
/// </summary>
internal static class RandomArchitectures
{
    private static readonly ActivationKind[] Activations = Enum.GetValues<ActivationKind>();

    public static NetworkSpec Create(int seed)
    {
        var random = new Random(seed);
        var layers = new List<LayerSpec>();
        double kind = random.NextDouble();
        InputSpec input = kind < 0.5 ? Image(random, layers) : kind < 0.8 ? Vector(random, layers) : Sequence(random, layers);

        int hidden = random.Next(3);
        for (int i = 0; i < hidden; i++)
        {
            layers.Add(new DenseSpec(random.Next(3, 17)));
            Extras(random, layers);
        }

        (int outputs, LossSpec loss) = random.Next(3) switch
        {
            0 => (random.Next(2, 7), new LossSpec(LossKind.SoftmaxCrossEntropy)),
            1 => (1, new LossSpec(LossKind.BinaryCrossEntropy)),
            _ => (random.Next(1, 3), new LossSpec(random.Next(2) == 0 ? LossKind.MeanSquaredError : LossKind.Huber)),
        };
        layers.Add(new DenseSpec(outputs));
        return new NetworkSpec(input, layers, loss);
    }

    private static InputSpec Vector(Random random, List<LayerSpec> layers)
    {
        layers.Add(new DenseSpec(random.Next(4, 25)));
        Extras(random, layers);
        return InputSpec.Vector(random.Next(3, 30));
    }

    private static InputSpec Sequence(Random random, List<LayerSpec> layers)
    {
        if (random.Next(2) == 0)
        {
            layers.Add(new BatchNormSpec());
        }

        layers.Add(new RecurrentSpec(random.Next(2, 11)));
        Extras(random, layers);
        return InputSpec.Sequence(random.Next(1, 8), random.Next(1, 6));
    }

    private static InputSpec Image(Random random, List<LayerSpec> layers)
    {
        int channels = random.Next(2) == 0 ? 1 : 3;
        int height = random.Next(5, 15), width = random.Next(5, 15);
        int h = height, w = width;
        int blocks = random.Next(1, 4);
        for (int b = 0; b < blocks; b++)
        {
            int kernel = random.Next(1, Math.Min(5, Math.Min(h, w)) + 1);
            int padding = random.Next(0, kernel / 2 + 1);
            int stride = random.Next(1, 3);
            layers.Add(new Conv2DSpec(random.Next(2, 9), kernel, stride, padding));
            h = (h + 2 * padding - kernel) / stride + 1;
            w = (w + 2 * padding - kernel) / stride + 1;
            if (random.Next(2) == 0)
            {
                layers.Add(new BatchNormSpec());
            }

            layers.Add(new ActivationSpec(Activations[random.Next(Activations.Length)], 0.05f));
            int size = random.Next(2, 4);
            if (random.Next(2) == 0 && size <= h && size <= w)
            {
                int poolStride = random.Next(2) == 0 ? 0 : random.Next(1, size + 1);
                layers.Add(new Pool2DSpec(random.Next(2) == 0 ? PoolKind.Max : PoolKind.Average, size, poolStride));
                int s = poolStride == 0 ? size : poolStride;
                h = (h - size) / s + 1;
                w = (w - size) / s + 1;
            }

            if (random.Next(4) == 0)
            {
                layers.Add(new DropoutSpec(0.25f));
            }
        }

        layers.Add(new FlattenSpec());
        return InputSpec.Image(channels, height, width);
    }

    /// <summary>After a Dense or recurrent layer: maybe batch norm, maybe an activation, maybe dropout.</summary>
    private static void Extras(Random random, List<LayerSpec> layers)
    {
        if (random.Next(3) == 0)
        {
            layers.Add(new BatchNormSpec());
        }

        if (random.Next(4) != 0)
        {
            layers.Add(new ActivationSpec(Activations[random.Next(Activations.Length)], (float)(0.01 + 0.3 * random.NextDouble())));
        }

        if (random.Next(4) == 0)
        {
            layers.Add(new DropoutSpec(0.3f));
        }
    }
}
