using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>train</c>: trains the MLP or CNN on Fashion-MNIST (or a synthetic stream for memory runs) in this process and
/// prints one result line: samples/s, test accuracy, retained activation bytes (ledger) and process peak memory. The data
/// stay as the loader returns them (a byte per pixel), decoded a chunk at a time.
/// Run each configuration in a fresh process (eng/perf-training.sh does) so the peak belongs to it alone.
/// </summary>
internal static class TrainingRun
{
    public static int Run(string[] args)
    {
        var options = RunOptions.Parse(args);
        KernelSettings.ThreadCount = options.Threads;
        NetworkSpec spec = BenchmarkModels.Get(options.Model);
        (var optimizer, float rate) = BenchmarkModels.Optimizer(options.Model);
        var network = Network.Create(spec, seed: (ulong)options.Seed);
        if (options.ChunkRows > 0)
        {
            network.ChunkRows = options.ChunkRows;
        }

        SketchReport plan = network.ConfigureSketches(options.Sketch, options.Batch);
        long baseline = ProcessMemory.CurrentBytes();
        IMinibatchSource train;
        DataSet? test = null;
        if (options.Synthetic)
        {
            train = new SyntheticMinibatchSource(network.InputSize, 10, options.Rows, options.Seed);
        }
        else
        {
            DataSplit data = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine });
            DataSet trainSet = options.Rows > 0 ? data.Train.Take(options.Rows) : data.Train;
            test = data.Test;
            train = new DataSetMinibatchSource(trainSet, (ulong)options.Seed);
            baseline = ProcessMemory.CurrentBytes();
        }

        StepBands? bands = options.StepBands ? new StepBands(train) : null;
        train = bands ?? train;
        var loop = new TrainingLoop(network, new TrainingSettings(optimizer, rate, options.Batch)) { ReadsAhead = !options.NoReadAhead };
        SwitchingSource? switching = options.SwitchReadAhead ? new SwitchingSource(train, loop) : null;
        train = switching ?? train;
        var epochs = new List<EpochReport>();
        using JitLog? jitLog = options.JitTop > 0 ? new JitLog() : null;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            jitLog?.Recording = epoch == 0;
            TimeSpan jitBefore = System.Runtime.JitInfo.GetCompilationTime();
            long methodsBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
            EpochReport report = loop.RunEpoch(train, epoch);
            epochs.Add(report);
            TimeSpan jit = System.Runtime.JitInfo.GetCompilationTime() - jitBefore;
            long methods = System.Runtime.JitInfo.GetCompiledMethodCount() - methodsBefore;
            Console.Error.WriteLine($"epoch {epoch + 1}: loss {report.TrainLoss:F4}, {report.SamplesPerSecond:N0} samples/s, {report.Elapsed.TotalSeconds:F2} s, JIT {jit.TotalMilliseconds:F0} ms for {methods} methods (all threads)");
            if (bands is not null)
            {
                Console.Error.WriteLine(bands.Describe(epoch));
            }

            if (switching is not null)
            {
                (double ahead, double after) = switching.MeanSteps();
                Console.Error.WriteLine($"epoch {epoch + 1}: step reading ahead {ahead * 1e3:F3} ms, after the update {after * 1e3:F3} ms, ratio {ahead / after:F3}");
            }

            if (epoch == 0 && jitLog is not null)
            {
                jitLog.Recording = false;
                jitLog.Print(options.JitTop, Console.Error);
            }
        }

        double accuracy = test is null ? double.NaN : Accuracy(network, test);
        double total = epochs.Sum(e => e.Elapsed.TotalSeconds);
        var line = new Dictionary<string, string>
        {
            ["model"] = options.Model,
            ["sketch"] = options.SketchName,
            ["batch"] = options.Batch.ToString(CultureInfo.InvariantCulture),
            ["threads"] = options.Threads.ToString(CultureInfo.InvariantCulture),
            ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
            ["samples_per_s"] = (epochs.Sum(e => e.Examples) / total).ToString("F0", CultureInfo.InvariantCulture),
            ["best_epoch_samples_per_s"] = epochs.Max(e => e.SamplesPerSecond).ToString("F0", CultureInfo.InvariantCulture),
            ["train_seconds"] = total.ToString("F2", CultureInfo.InvariantCulture),
            ["test_accuracy"] = accuracy.ToString("F4", CultureInfo.InvariantCulture),
            ["retained_bytes"] = epochs[^1].RetainedBytes.ToString(CultureInfo.InvariantCulture),
            ["planned_bytes"] = plan.RetainedBytes.ToString(CultureInfo.InvariantCulture),
            ["transient_bytes"] = network.TransientBytes.ToString(CultureInfo.InvariantCulture),
            ["parameter_bytes"] = network.Ledger.ParameterBytes.ToString(CultureInfo.InvariantCulture),
            ["baseline_rss_bytes"] = baseline.ToString(CultureInfo.InvariantCulture),
            ["peak_rss_bytes"] = ProcessMemory.PeakBytes().ToString(CultureInfo.InvariantCulture),

            // How often the convolutions' gradients ran over their nonzero output-gradient elements only (same bits either way).
            ["sparse_weight_gradient_parts"] = DirectConvolution.SparseParts.ToString(CultureInfo.InvariantCulture),
            ["sparse_input_gradient_images"] = DirectConvolution.SparseImages.ToString(CultureInfo.InvariantCulture),
            ["kernels"] = KernelSettings.Describe(),
        };
        Console.WriteLine(string.Join(' ', line.Select(kv => $"{kv.Key}={(kv.Value.Contains(' ') ? $"\"{kv.Value}\"" : kv.Value)}")));
        return 0;
    }

    private static double Accuracy(Network network, DataSet test)
    {
        NetworkScorer scorer = network.CreateScorer();
        const int batch = 1000;
        float[] logits = new float[batch * 10];
        float[] images = new float[batch * test.FeatureLength];
        int correct = 0;
        for (int first = 0; first < test.Count; first += batch)
        {
            int rows = Math.Min(batch, test.Count - first);
            test.CopyImages(first, rows, images);

            scorer.Score(images.AsSpan(0, rows * test.FeatureLength), rows, logits);
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = logits.AsSpan(r * 10, 10);
                int best = 0;
                for (int c = 1; c < 10; c++)
                {
                    best = row[c] > row[best] ? c : best;
                }

                correct += best == test.Labels[first + r] ? 1 : 0;
            }
        }

        return (double)correct / test.Count;
    }
}
