using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>mlnet-feed</c>: what reading the training data through ML.NET costs per row, apart from the training step. The
/// Fashion-MNIST training split as the sample builds it (a list-backed <c>LoadFromEnumerable</c> view with string labels,
/// then <c>MapValueToKey</c>), read in three ways, each pass timed: ML.NET's cursor with the two getters alone; the
/// trainers' minibatch source (shuffle buffer, checks, a random cursor from the second pass on) emitting batches of 128;
/// and the same with each batch's features and targets copied out as the engine asks for them.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- mlnet-feed [--passes 4] [--buffer 4096]</c>
/// (the shuffle buffer's rows; the trainers' default).
/// </remarks>
internal static class MlNetFeed
{
    public static int Run(string[] args)
    {
        int passes = 4, buffer = RandADDefaults.ShuffleBufferSize;
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
                default:
                    Console.WriteLine($"unknown option {args[i]} (--passes N, --buffer ROWS)");
                    return 1;
            }
        }

        DataSet train = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine }).Train;
        var ml = new MLContext(seed: 1);
        var rows = new List<Row>(train.Count);
        for (int i = 0; i < train.Count; i++)
        {
            var features = new float[train.FeatureLength];
            train.CopyImage(i, features);
            rows.Add(new Row { Label = train.ClassNames[train.Labels[i]], Features = features });
        }

        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        DataViewSchema.Column featureColumn = data.Schema["Features"], labelColumn = data.Schema["Label"];
        int classes = (int)((KeyDataViewType)labelColumn.Type).Count;
        Console.WriteLine($"{train.Count} rows of {train.FeatureLength} features, {classes} classes; µs per row for each pass");

        for (int pass = 0; pass < passes; pass++)
        {
            double cursor = CursorPass(data, featureColumn, labelColumn);
            (double source, double copied) = SourcePass(data, featureColumn, classes, pass, buffer);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"pass {pass + 1}: cursor and getters {cursor * 1e6 / train.Count:F2}, minibatch source {source * 1e6 / train.Count:F2}, with the copies to the engine {copied * 1e6 / train.Count:F2}"));
        }

        return 0;
    }

    private static double CursorPass(IDataView data, DataViewSchema.Column features, DataViewSchema.Column label)
    {
        var clock = Stopwatch.StartNew();
        using DataViewRowCursor cursor = data.GetRowCursor([features, label]);
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
        return clock.Elapsed.TotalSeconds;
    }

    private static (double Source, double Copied) SourcePass(IDataView data, DataViewSchema.Column features, int classes, int pass, int buffer)
    {
        const int batch = 128;
        using var source = new DataViewMinibatchSource(
            data, "training data", features, new KeyLabelReader("Label", classes), null, seed: 1, shuffle: true, capacity: buffer, skipNonFinite: false);
        var clock = Stopwatch.StartNew();
        source.StartEpoch(pass);
        while (source.NextBatch(batch) > 0)
        {
        }

        double alone = clock.Elapsed.TotalSeconds;
        var featureBuffer = new float[batch * source.FeatureSize];
        var targets = new float[batch];
        clock.Restart();
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

        return (alone, clock.Elapsed.TotalSeconds);
    }

    /// <summary>A row as the sample builds it.</summary>
    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(28 * 28)]
        public float[] Features { get; set; } = [];
    }
}
