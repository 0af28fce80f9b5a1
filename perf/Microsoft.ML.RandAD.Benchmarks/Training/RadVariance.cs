using System.Diagnostics;
using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>rad-variance</c>: the measurement behind the default estimator of each layer type. Trains the model one
/// epoch exactly, then on one fixed batch of Fashion-MNIST draws many RAD gradients per estimator and reports
/// the relative variance E‖ĝ − g‖² / ‖g‖² (over all weights), the relative error of their mean (should shrink
/// like 1/√draws: unbiasedness), the retained bytes and the step time.
/// </summary>
internal static class RadVariance
{
    public static int Run(string[] args)
    {
        var options = RunOptions.Parse(args);
        KernelSettings.ThreadCount = options.Threads;
        NetworkSpec spec = BenchmarkModels.Get(options.Model);
        DataSplit data = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine });
        var trained = Network.Create(spec, seed: 1);
        (var optimizer, float rate) = BenchmarkModels.Optimizer(options.Model);
        var source = new DataSetMinibatchSource(data.Train, seed: 1);
        new TrainingLoop(trained, new TrainingSettings(optimizer, rate, 128)).RunEpoch(source, 0);

        int batch = options.Batch;
        float[] x = new float[batch * 784];
        data.Test.CopyImages(0, batch, x);
        float[] y = [.. data.Test.Labels.Take(batch).Select(l => (float)l)];
        trained.ConfigureSketches(RadSettings.Exact, batch);
        float[] exact = Gradient(trained, x, y, batch);
        double exactNormSquared = exact.Sum(v => (double)v * v);
        int draws = options.Epochs > 5 ? options.Epochs : 200;
        Console.WriteLine($"model={options.Model} batch={batch} draws={draws} keep={options.KeepFraction}");
        Console.WriteLine($"{"estimator",-22} {"rel. variance",14} {"mean rel. err",14} {"retained B",12} {"step ms",9}");
        foreach (RadEstimator estimator in Enum.GetValues<RadEstimator>())
        {
            var settings = new RadSettings { Estimator = estimator, KeepFraction = estimator == RadEstimator.Exact ? 1f : options.KeepFraction };
            Network network;
            try
            {
                network = Network.FromParameters(spec, trained.Parameters, 1);
                network.ConfigureSketches(settings, batch);
            }
            catch (ArgumentException)
            {
                continue; // not available for this model's layers (projections for convolutions)
            }

            var sum = new double[exact.Length];
            double squaredError = 0;
            var clock = new Stopwatch();
            for (int draw = 0; draw < draws; draw++)
            {
                clock.Start();
                float[] g = Gradient(network, x, y, batch);
                clock.Stop();
                for (int i = 0; i < g.Length; i++)
                {
                    double d = g[i] - exact[i];
                    squaredError += d * d;
                    sum[i] += g[i];
                }
            }

            double meanError = 0;
            for (int i = 0; i < sum.Length; i++)
            {
                double d = sum[i] / draws - exact[i];
                meanError += d * d;
            }

            Console.WriteLine($"{estimator,-22} {squaredError / draws / exactNormSquared,14:E3} {Math.Sqrt(meanError / exactNormSquared),14:E3} {network.Ledger.RetainedBytes,12:N0} {clock.Elapsed.TotalMilliseconds / draws,9:F2}");
        }

        return 0;
    }

    /// <summary>One gradient at the network's current weights on (x, y); each call is a new step, so RAD draws a new sample.</summary>
    private static float[] Gradient(Network network, float[] x, float[] y, int batch)
    {
        x.CopyTo(network.BeginStep(batch));
        network.ForwardBackward(y);
        return (float[])network.Gradients.Clone();
    }
}
