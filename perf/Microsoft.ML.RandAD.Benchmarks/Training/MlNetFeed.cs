using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Training;
using RandAD.Samples;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>mlnet-feed</c>: what reading the training data through ML.NET costs per row, apart from the training step. The
/// Fashion-MNIST training split as the sample builds it (a list-backed <c>LoadFromEnumerable</c> view with string labels,
/// then <c>MapValueToKey</c>), read in three ways, each pass timed: ML.NET's cursor (a cursor set of one, as the trainers open it) with the two getters alone; the
/// trainers' minibatch source (shuffle buffer, checks, a random cursor from the second pass on) emitting batches of 128;
/// and the same with each batch's features and targets copied out as the engine asks for them. Each figure is wall time
/// and, in brackets, the CPU time of all the process's threads: ML.NET's own cursor threads, when a view splits its
/// rows across them, count in the second and would take cores from a training step.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- mlnet-feed [--passes 4] [--buffer 4096] [--train-epochs 0] [--read-ahead-epochs 0]</c>
/// (the shuffle buffer's rows, the trainers' default; with <c>--train-epochs N</c> it then fits the sample's MLP through the
/// multiclass trainer on the same view for N epochs and prints the fit's wall and CPU time and each epoch's samples/s; with
/// <c>--read-ahead-epochs N</c> it compares, over N epochs, the training loop reading each next batch during the optimizer's
/// update and after it).
/// </remarks>
internal static class MlNetFeed
{
    public static int Run(string[] args)
    {
        int passes = 4, buffer = RandADDefaults.ShuffleBufferSize, trainEpochs = 0, readAheadEpochs = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--passes":
                    passes = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--buffer":
                    buffer = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--train-epochs":
                    trainEpochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--read-ahead-epochs":
                    readAheadEpochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.WriteLine($"unknown option {args[i]} (--passes N, --buffer ROWS, --train-epochs N, --read-ahead-epochs N)");
                    return 1;
            }
        }

        DataSet train = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine }).Train;
        var ml = new MLContext(seed: 1);
        IDataView raw = FashionDataView.Load(ml, train);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        DataViewSchema.Column featureColumn = data.Schema["Features"], labelColumn = data.Schema["Label"];
        int classes = (int)((KeyDataViewType)labelColumn.Type).Count;
        Console.WriteLine($"{train.Count} rows of {train.FeatureLength} features, {classes} classes; µs per row for each pass");

        for (int pass = 0; pass < passes; pass++)
        {
            PassTime cursor = CursorPass(data, featureColumn, labelColumn);
            (PassTime source, PassTime copied) = SourcePass(data, featureColumn, classes, pass, buffer);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"pass {pass + 1}: cursor and getters {cursor.PerRow(train.Count)}, minibatch source {source.PerRow(train.Count)}, with the copies to the engine {copied.PerRow(train.Count)}"));
        }

        if (trainEpochs > 0)
        {
            Train(ml, data, trainEpochs);
        }

        if (readAheadEpochs > 0)
        {
            CompareReadAhead(data, featureColumn, classes, buffer, readAheadEpochs);
        }

        return 0;
    }

    /// <summary>
    /// The sample's MLP trained through the trainers' minibatch source with the next batch read during the optimizer's update
    /// (<see cref="TrainingLoop.ReadsAhead"/>, the default) and after it, switched every 8 steps within each epoch of the whole
    /// view (<see cref="SwitchingSource"/>): each way's mean step is taken over the same seconds on a VM whose speed drifts.
    /// A step is the time from one batch's preparation to the next's; the first step of each run of 8 is left out (its batch
    /// was read the other way). Prints each epoch's ratio and the median of epochs 2 on.
    /// </summary>
    private static void CompareReadAhead(IDataView data, DataViewSchema.Column features, int classes, int buffer, int epochs)
    {
        (OptimizerSpec spec, float rate) = BenchmarkModels.Optimizer("mlp");
        var network = Network.Create(BenchmarkModels.Get("mlp"), seed: 1);
        var loop = new TrainingLoop(network, new TrainingSettings(spec, rate, 128));
        using var inner = new DataViewMinibatchSource(
            data, "training data", features, new KeyLabelReader("Label", classes), null, seed: 1, shuffle: true, capacity: buffer, skipNonFinite: false);
        var source = new SwitchingSource(inner, loop);
        var ratios = new List<double>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            loop.RunEpoch(source, epoch);
            (double ahead, double after) = source.MeanSteps();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}: step reading ahead {ahead * 1e3:F3} ms, after the update {after * 1e3:F3} ms, ratio {ahead / after:F3}"));
            if (epoch > 0)
            {
                ratios.Add(ahead / after);
            }
        }

        double[] sorted = [.. ratios.Order()];
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"trainer source, MLP: read ahead / after the update, epochs 2-{epochs}: median {sorted[sorted.Length / 2]:F3} (min {sorted[0]:F3}, max {sorted[^1]:F3})"));
    }

    /// <summary>The sample's MLP (784-256-256-10, Adam 1e-3, batch 128) fitted through the trainer on the label-keyed view.</summary>
    private static void Train(MLContext ml, IDataView data, int epochs)
    {
        var trainer = ml.MulticlassClassification.Trainers.RandAD(new RandADMulticlassTrainer.Options
        {
            HiddenLayerSizes = [256, 256],
            LearningRate = 1e-3f,
            BatchSize = 128,
            NumberOfIterations = epochs,
            Seed = 1,
        });
        var clock = PassClock.Start();
        RandADMulticlassPredictionTransformer model = trainer.Fit(data);
        PassTime fit = clock.Stop();
        string perEpoch = string.Join(", ", model.Model.History.Select(e => e.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"trainer MLP, {epochs} epochs: fit {fit.Wall:F2} s (cpu {fit.Cpu:F2} s), samples/s per epoch {perEpoch}"));
    }

    private static PassTime CursorPass(IDataView data, DataViewSchema.Column features, DataViewSchema.Column label)
    {
        var clock = PassClock.Start();
        using DataViewRowCursor cursor = data.GetRowCursorSet([features, label], 1)[0];
        ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        ValueGetter<uint> getLabel = cursor.GetGetter<uint>(label);
        VBuffer<float> vector = default;
        uint key = 0;
        float sum = 0;
        while (cursor.MoveNext())
        {
            getFeatures(ref vector);
            getLabel(ref key);
            sum += vector.GetValues()[0] + key;
        }

        GC.KeepAlive(sum);
        return clock.Stop();
    }

    private static (PassTime Source, PassTime Copied) SourcePass(IDataView data, DataViewSchema.Column features, int classes, int pass, int buffer)
    {
        const int batch = 128;
        using var source = new DataViewMinibatchSource(
            data, "training data", features, new KeyLabelReader("Label", classes), null, seed: 1, shuffle: true, capacity: buffer, skipNonFinite: false);
        var clock = PassClock.Start();
        source.StartEpoch(pass);
        while (source.NextBatch(batch) > 0)
        {
        }

        PassTime alone = clock.Stop();
        var featureBuffer = new float[batch * source.FeatureSize];
        var targets = new float[batch];
        clock = PassClock.Start();
        source.StartEpoch(pass);
        int rows;
        while ((rows = source.NextBatch(batch)) > 0)
        {
            source.FillTargets(targets.AsSpan(0, rows), default);
            for (int first = 0; first < rows; first += 16)
            {
                int count = Math.Min(16, rows - first);
                source.FillFeatures(first, count, featureBuffer.AsSpan(first * source.FeatureSize, count * source.FeatureSize));
            }
        }

        return (alone, clock.Stop());
    }

    /// <summary>A pass's wall time and the CPU time of all the process's threads over it, in seconds.</summary>
    private readonly record struct PassTime(double Wall, double Cpu)
    {
        public string PerRow(int rows) => string.Create(CultureInfo.InvariantCulture, $"{Wall * 1e6 / rows:F2} (cpu {Cpu * 1e6 / rows:F2})");
    }

    private readonly record struct PassClock(long Timestamp, TimeSpan Cpu)
    {
        public static PassClock Start() => new(Stopwatch.GetTimestamp(), ProcessCpu());

        public PassTime Stop() => new(Stopwatch.GetElapsedTime(Timestamp).TotalSeconds, (ProcessCpu() - Cpu).TotalSeconds);

        private static TimeSpan ProcessCpu()
        {
            using var process = Process.GetCurrentProcess();
            return process.TotalProcessorTime;
        }
    }
}
