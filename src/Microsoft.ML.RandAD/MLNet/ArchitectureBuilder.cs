using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>Turns the trainer options into the engine's <see cref="NetworkSpec"/>.</summary>
internal static class ArchitectureBuilder
{
    /// <summary>
    /// Image options: conv blocks (Conv k×k same padding → activation → max-pool) then flatten; sequence options: a
    /// recurrent ReLU layer whose last state goes on; then the hidden fully connected layers (Dense → activation →
    /// dropout); then a Dense output of <paramref name="outputs"/>.
    /// </summary>
    public static NetworkSpec Build(RandADTrainerOptionsBase options, string featureColumn, int featureSize, int outputs, LossSpec loss)
    {
        InputSpec input = InputSpec.Vector(featureSize);
        if (options.ImageShape is RandADImageShape image)
        {
            if (image.Size != featureSize)
            {
                throw new ArgumentOutOfRangeException(nameof(options),
                    $"ImageShape {image} holds {image.Size} values but feature column '{featureColumn}' has {featureSize} per row.");
            }

            input = InputSpec.Image(image.Channels, image.Height, image.Width);
        }
        else if (options.SequenceShape is RandADSequenceShape sequence)
        {
            if (sequence.Size != featureSize)
            {
                throw new ArgumentOutOfRangeException(nameof(options),
                    $"SequenceShape {sequence} holds {sequence.Size} values but feature column '{featureColumn}' has {featureSize} per row.");
            }

            input = InputSpec.Sequence(sequence.Steps, sequence.StepSize);
        }

        var layers = new List<LayerSpec>();
        if (options.HiddenLayers is { } custom)
        {
            layers.AddRange(custom);
        }
        else
        {
            if (options.ImageShape is not null)
            {
                AddConvolutions(options, layers);
            }
            else if (options.SequenceShape is not null)
            {
                layers.Add(new RecurrentSpec(options.RecurrentUnits));
            }

            foreach (int width in options.HiddenLayerSizes ?? Enumerable.Repeat(options.HiddenLayerWidth, options.HiddenLayerCount))
            {
                layers.Add(new DenseSpec(width));
                layers.Add(new ActivationSpec(options.Activation));
                if (options.DropoutRate > 0)
                {
                    layers.Add(new DropoutSpec(options.DropoutRate));
                }
            }
        }

        layers.Add(new DenseSpec(outputs));
        return new NetworkSpec(input, layers, loss);
    }

    private static void AddConvolutions(RandADTrainerOptionsBase options, List<LayerSpec> layers)
    {
        RandADImageShape image = options.ImageShape!;
        int height = image.Height, width = image.Width;
        foreach (int filters in options.ConvolutionFilters ?? RandADDefaults.ConvolutionFilters)
        {
            layers.Add(new Conv2DSpec(filters, options.ConvolutionKernelSize, 1, options.ConvolutionKernelSize / 2));
            layers.Add(new ActivationSpec(options.Activation));
            if (options.PoolSize > 1)
            {
                if (height < options.PoolSize || width < options.PoolSize)
                {
                    throw new ArgumentOutOfRangeException(nameof(options),
                        $"The image ({image}) shrinks to {height}×{width} before pooling {options.PoolSize}×{options.PoolSize}: use fewer ConvolutionFilters or a smaller PoolSize.");
                }

                layers.Add(new Pool2DSpec(PoolKind.Max, options.PoolSize));
                height /= options.PoolSize;
                width /= options.PoolSize;
            }
        }

        layers.Add(new FlattenSpec());
    }
}
