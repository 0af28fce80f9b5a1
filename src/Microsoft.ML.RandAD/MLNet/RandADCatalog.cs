using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML;

/// <summary>
/// <c>RandAD(...)</c> on ML.NET's trainer catalogs: a simple overload with the common knobs and an Options overload
/// with everything. Both take their defaults from <see cref="RandADDefaults"/>.
/// </summary>
public static class RandADCatalog
{
    /// <summary>A RandAD neural network for multiclass classification (an MLP of <paramref name="hiddenLayerSizes"/>).</summary>
    /// <param name="catalog">The multiclass trainer catalog.</param>
    /// <param name="labelColumnName">Label column: a key (use <c>MapValueToKey</c>).</param>
    /// <param name="featureColumnName">Feature column: a known-size Single vector.</param>
    /// <param name="exampleWeightColumnName">Optional example weight column.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null = 2 × 256.</param>
    /// <param name="numberOfIterations">Passes over the data (epochs).</param>
    /// <param name="learningRate">Adam learning rate.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="keepFraction">RAD keep fraction in (0, 1]; 1 = exact backpropagation.</param>
    /// <returns>The trainer.</returns>
    public static RandADMulticlassTrainer RandAD(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = RandADDefaults.LabelColumnName,
        string featureColumnName = RandADDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        int numberOfIterations = RandADDefaults.NumberOfIterations,
        float learningRate = RandADDefaults.LearningRate,
        int batchSize = RandADDefaults.BatchSize,
        float keepFraction = RandADDefaults.KeepFraction) =>
        RandAD(catalog, Fill(new RandADMulticlassTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfIterations, learningRate, batchSize, keepFraction));

    /// <summary>A RandAD neural network for multiclass classification, every option given.</summary>
    /// <param name="catalog">The multiclass trainer catalog.</param>
    /// <param name="options">The options.</param>
    /// <returns>The trainer.</returns>
    public static RandADMulticlassTrainer RandAD(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, RandADMulticlassTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RandADMulticlassTrainer(HostAccess.EnvironmentOf(catalog), options);
    }

    /// <summary>A RandAD neural network for binary classification (an MLP of <paramref name="hiddenLayerSizes"/>).</summary>
    /// <param name="catalog">The binary trainer catalog.</param>
    /// <param name="labelColumnName">Label column: Boolean.</param>
    /// <param name="featureColumnName">Feature column: a known-size Single vector.</param>
    /// <param name="exampleWeightColumnName">Optional example weight column.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null = 2 × 256.</param>
    /// <param name="numberOfIterations">Passes over the data (epochs).</param>
    /// <param name="learningRate">Adam learning rate.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="keepFraction">RAD keep fraction in (0, 1]; 1 = exact backpropagation.</param>
    /// <returns>The trainer.</returns>
    public static RandADBinaryTrainer RandAD(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = RandADDefaults.LabelColumnName,
        string featureColumnName = RandADDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        int numberOfIterations = RandADDefaults.NumberOfIterations,
        float learningRate = RandADDefaults.LearningRate,
        int batchSize = RandADDefaults.BatchSize,
        float keepFraction = RandADDefaults.KeepFraction) =>
        RandAD(catalog, Fill(new RandADBinaryTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfIterations, learningRate, batchSize, keepFraction));

    /// <summary>A RandAD neural network for binary classification, every option given.</summary>
    /// <param name="catalog">The binary trainer catalog.</param>
    /// <param name="options">The options.</param>
    /// <returns>The trainer.</returns>
    public static RandADBinaryTrainer RandAD(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, RandADBinaryTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RandADBinaryTrainer(HostAccess.EnvironmentOf(catalog), options);
    }

    /// <summary>A RandAD neural network for regression (an MLP of <paramref name="hiddenLayerSizes"/>, squared error).</summary>
    /// <param name="catalog">The regression trainer catalog.</param>
    /// <param name="labelColumnName">Label column: Single or Double.</param>
    /// <param name="featureColumnName">Feature column: a known-size Single vector.</param>
    /// <param name="exampleWeightColumnName">Optional example weight column.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null = 2 × 256.</param>
    /// <param name="numberOfIterations">Passes over the data (epochs).</param>
    /// <param name="learningRate">Adam learning rate.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="keepFraction">RAD keep fraction in (0, 1]; 1 = exact backpropagation.</param>
    /// <returns>The trainer.</returns>
    public static RandADRegressionTrainer RandAD(
        this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = RandADDefaults.LabelColumnName,
        string featureColumnName = RandADDefaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        int numberOfIterations = RandADDefaults.NumberOfIterations,
        float learningRate = RandADDefaults.LearningRate,
        int batchSize = RandADDefaults.BatchSize,
        float keepFraction = RandADDefaults.KeepFraction) =>
        RandAD(catalog, Fill(new RandADRegressionTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfIterations, learningRate, batchSize, keepFraction));

    /// <summary>A RandAD neural network for regression, every option given.</summary>
    /// <param name="catalog">The regression trainer catalog.</param>
    /// <param name="options">The options.</param>
    /// <returns>The trainer.</returns>
    public static RandADRegressionTrainer RandAD(this RegressionCatalog.RegressionTrainers catalog, RandADRegressionTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RandADRegressionTrainer(HostAccess.EnvironmentOf(catalog), options);
    }

    private static T Fill<T>(T options, string label, string features, string? weight, int[]? hidden, int iterations, float rate, int batch, float keep)
        where T : RandADTrainerOptionsBase
    {
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        options.ExampleWeightColumnName = weight;
        options.HiddenLayerSizes = hidden;
        options.NumberOfIterations = iterations;
        options.LearningRate = rate;
        options.BatchSize = batch;
        options.KeepFraction = keep;
        return options;
    }
}
