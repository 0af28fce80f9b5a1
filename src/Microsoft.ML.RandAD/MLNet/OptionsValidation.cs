namespace Microsoft.ML.RandAD.MLNet;

/// <summary>Checks options before any data is read, with messages that name the field and its valid range.</summary>
internal static class OptionsValidation
{
    public static void Check(RandADTrainerOptionsBase options, bool isClassification)
    {
        ArgumentNullException.ThrowIfNull(options);
        Require(options.BatchSize >= 1, nameof(options.BatchSize), options.BatchSize, "at least 1");
        Require(options.NumberOfIterations >= 1, nameof(options.NumberOfIterations), options.NumberOfIterations, "at least 1");
        Require(options.KeepFraction > 0f && options.KeepFraction <= 1f, nameof(options.KeepFraction), options.KeepFraction, "in (0, 1] (1 = exact backpropagation)");
        Require(options.ActivationMemoryBudgetBytes is null or > 0, nameof(options.ActivationMemoryBudgetBytes), options.ActivationMemoryBudgetBytes, "positive, or null");
        Require(options.LearningRate > 0f && float.IsFinite(options.LearningRate), nameof(options.LearningRate), options.LearningRate, "a positive number");
        Require(options.Momentum is >= 0f and < 1f, nameof(options.Momentum), options.Momentum, "in [0, 1)");
        Require(options.L2Regularization >= 0f && float.IsFinite(options.L2Regularization), nameof(options.L2Regularization), options.L2Regularization, "zero or positive");
        Require(options.GradientClippingNorm >= 0f && float.IsFinite(options.GradientClippingNorm), nameof(options.GradientClippingNorm), options.GradientClippingNorm, "0 (off) or positive");
        Require(options.DropoutRate is >= 0f and < 1f, nameof(options.DropoutRate), options.DropoutRate, "in [0, 1)");
        Require(options.LearningRateDecayFactor is > 0f and <= 1f, nameof(options.LearningRateDecayFactor), options.LearningRateDecayFactor, "in (0, 1]");
        Require(options.LearningRateDecayIterations >= 1, nameof(options.LearningRateDecayIterations), options.LearningRateDecayIterations, "at least 1");
        Require(options.LearningRateWarmupIterations >= 0f && float.IsFinite(options.LearningRateWarmupIterations), nameof(options.LearningRateWarmupIterations), options.LearningRateWarmupIterations, "0 (off) or a positive number of passes");
        Require(options.NumberOfThreads is null or >= 1, nameof(options.NumberOfThreads), options.NumberOfThreads, "at least 1, or null (every processor)");
        Require(options.ShuffleBufferSize >= 1, nameof(options.ShuffleBufferSize), options.ShuffleBufferSize, "at least 1");
        Require(options.EarlyStoppingPatience >= 0, nameof(options.EarlyStoppingPatience), options.EarlyStoppingPatience, "0 (off) or positive");
        Require(options.EarlyStoppingMinDelta >= 0f && float.IsFinite(options.EarlyStoppingMinDelta), nameof(options.EarlyStoppingMinDelta), options.EarlyStoppingMinDelta, "zero or positive");
        if (options.HiddenLayerSizes is int[] sizes)
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                Require(sizes[i] >= 1, $"{nameof(options.HiddenLayerSizes)}[{i}]", sizes[i], "at least 1");
            }
        }
        else
        {
            Require(options.HiddenLayerCount >= 0, nameof(options.HiddenLayerCount), options.HiddenLayerCount, "0 or more");
            Require(options.HiddenLayerWidth >= 1 || options.HiddenLayerCount == 0, nameof(options.HiddenLayerWidth), options.HiddenLayerWidth, "at least 1");
        }

        if (options.ImageShape is RandADImageShape image)
        {
            Require(image.Channels >= 1 && image.Height >= 1 && image.Width >= 1, nameof(options.ImageShape), image, "positive in every dimension");
            Require(options.ConvolutionKernelSize >= 1 && options.ConvolutionKernelSize % 2 == 1, nameof(options.ConvolutionKernelSize), options.ConvolutionKernelSize, "odd and positive");
            Require(options.PoolSize >= 1, nameof(options.PoolSize), options.PoolSize, "at least 1");
            foreach (int filters in options.ConvolutionFilters ?? [])
            {
                Require(filters >= 1, nameof(options.ConvolutionFilters), filters, "at least 1 per layer");
            }
        }

        if (options.SequenceShape is RandADSequenceShape sequence)
        {
            if (options.ImageShape is not null)
            {
                throw new ArgumentException(
                    $"Set ImageShape ({options.ImageShape}) or SequenceShape ({sequence}), not both: the features are read as images or as sequences.", nameof(options));
            }

            Require(sequence.Steps >= 1 && sequence.StepSize >= 1, nameof(options.SequenceShape), sequence, "at least one step of at least one value");
            Require(options.RecurrentUnits >= 1, nameof(options.RecurrentUnits), options.RecurrentUnits, "at least 1");
        }

        if (!isClassification && options.EarlyStoppingMetric == RandADEarlyStoppingMetric.Accuracy)
        {
            throw new ArgumentException("Early stopping on accuracy needs a classification trainer; use RandADEarlyStoppingMetric.Loss for regression.", nameof(options));
        }
    }

    private static void Require(bool ok, string field, object? value, string range)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(field, value, $"Options.{field} must be {range}, but is {value}.");
        }
    }
}
