using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Sketches;

namespace RandAD.Samples;

/// <summary>The models the sample trains: RandAD MLP, CNN and IRNN (exact and RAD) and ML.NET's own baselines, all through ordinary pipelines.</summary>
internal sealed class SampleRuns(MLContext ml, IDataView train, IDataView test, int epochs, float learningRate, RadEstimator? estimator, int seed)
{
    /// <summary>784-256-256-10 ReLU MLP, Adam (1e-3 unless --lr), batch 128 (the TorchSharp reference's architecture).</summary>
    public RunResult Mlp(float keepFraction) => RandAD($"RandAD MLP 784-256-256-10{Rad(keepFraction)}", new RandADMulticlassTrainer.Options
    {
        HiddenLayerSizes = [256, 256],
        LearningRate = learningRate,
        RadEstimator = keepFraction < 1 ? estimator : null,
        BatchSize = 128,
        NumberOfIterations = epochs,
        KeepFraction = keepFraction,
        Seed = seed,
    });

    /// <summary>conv5×5(16)-ReLU-maxpool2-conv5×5(32)-ReLU-maxpool2-FC(10) (the reference CNN), Adam (1e-3 unless --lr), batch 128.</summary>
    public RunResult Cnn(float keepFraction) => RandAD($"RandAD CNN 16-32 conv{Rad(keepFraction)}", new RandADMulticlassTrainer.Options
    {
        ImageShape = new RandADImageShape(1, 28, 28),
        ConvolutionFilters = [16, 32],
        ConvolutionKernelSize = 5,
        PoolSize = 2,
        HiddenLayerCount = 0,
        LearningRate = learningRate,
        RadEstimator = keepFraction < 1 ? estimator : null,
        BatchSize = 128,
        NumberOfIterations = epochs,
        KeepFraction = keepFraction,
        Seed = seed,
    });

    /// <summary>
    /// A recurrent ReLU network (IRNN, 128 units) reading each image row by row, 28 steps of 28 pixels, then FC(10);
    /// gradients clipped at norm 1, Adam (1e-3 unless --lr), batch 128.
    /// </summary>
    public RunResult Rnn(float keepFraction) => RandAD($"RandAD IRNN 128, 28 rows{Rad(keepFraction)}", new RandADMulticlassTrainer.Options
    {
        SequenceShape = new RandADSequenceShape(28, 28),
        RecurrentUnits = 128,
        HiddenLayerCount = 0,
        GradientClippingNorm = 1f,
        LearningRate = learningRate,
        RadEstimator = keepFraction < 1 ? estimator : null,
        BatchSize = 128,
        NumberOfIterations = epochs,
        KeepFraction = keepFraction,
        Seed = seed,
    });

    public RunResult Sdca() => Baseline("ML.NET SdcaMaximumEntropy", ml.MulticlassClassification.Trainers.SdcaMaximumEntropy());

    public RunResult LightGbm() => Baseline("ML.NET LightGbm", ml.MulticlassClassification.Trainers.LightGbm());

    private RunResult RandAD(string name, RandADMulticlassTrainer.Options options)
    {
        options.MetricsCallback = m => Console.Error.WriteLine($"  {name}: {m}");
        Console.Error.WriteLine($"training {name} ...");
        (ITransformer model, TimeSpan time, double accuracy) = FitAndEvaluate(ml.MulticlassClassification.Trainers.RandAD(options));
        var trained = (RandADMulticlassPredictionTransformer)((TransformerChain<ITransformer>)model).Last();
        RandADModelParameters parameters = trained.Model;
        double samplesPerSecond = parameters.History.Average(h => h.SamplesPerSecond);
        return new RunResult(name, accuracy, time, parameters.RetainedActivationBytes, samplesPerSecond);
    }

    private RunResult Baseline(string name, IEstimator<ITransformer> trainer)
    {
        Console.Error.WriteLine($"training {name} ...");
        (_, TimeSpan time, double accuracy) = FitAndEvaluate(trainer);
        return new RunResult(name, accuracy, time, null, null);
    }

    private (ITransformer Model, TimeSpan Time, double Accuracy) FitAndEvaluate(IEstimator<ITransformer> trainer)
    {
        IEstimator<ITransformer> pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer);
        var clock = Stopwatch.StartNew();
        ITransformer model = pipeline.Fit(train);
        TimeSpan time = clock.Elapsed;
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        Console.Error.WriteLine($"  accuracy {accuracy:F4}, trained in {time.TotalSeconds:F1} s");
        return (model, time, accuracy);
    }

    private static string Rad(float keepFraction) => keepFraction < 1 ? $", RAD f = {keepFraction:0.##}" : ", exact";
}
