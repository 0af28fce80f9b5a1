using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.MLNet.Scoring;
using RandAD.Samples;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>mlnet-score</c>: what <c>Evaluate(model.Transform(test))</c> costs per row through ML.NET, with the trainers'
/// transformers scoring a block of rows at a time against one row at a time (<see cref="ScoredDataView.ScoresBlocks"/>),
/// alternated round by round in one process. The sample's MLP and CNN, each trained one epoch on the Fashion-MNIST
/// training split as the sample feeds it, scored on the 10,000 test rows.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- mlnet-score [--rounds 5]</c>.</remarks>
internal static class MlNetScoring
{
    public static int Run(string[] args)
    {
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        DataSplit split = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine });
        var ml = new MLContext(seed: 1);
        IDataView train = FashionDataView.Load(ml, split.Train), test = FashionDataView.Load(ml, split.Test);
        var models = new (string Name, RandADMulticlassTrainer.Options Options)[]
        {
            ("MLP 784-256-256-10", new() { HiddenLayerSizes = [256, 256], NumberOfIterations = 1, Seed = 1 }),
            ("CNN 16-32 conv", new()
            {
                ImageShape = new RandADImageShape(1, 28, 28), ConvolutionFilters = [16, 32], ConvolutionKernelSize = 5, PoolSize = 2,
                HiddenLayerCount = 0, NumberOfIterations = 1, Seed = 1,
            }),
        };

        foreach ((string name, RandADMulticlassTrainer.Options options) in models)
        {
            ITransformer model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.RandAD(options)).Fit(train);
            var perRow = new List<double>();
            var blocks = new List<double>();
            double accuracyRows = 0, accuracyBlocks = 0;
            for (int round = 0; round <= rounds; round++)
            {
                // Round 0 warms both up and is not counted.
                foreach (bool scoresBlocks in new[] { false, true })
                {
                    ScoredDataView.ScoresBlocks = scoresBlocks;
                    var clock = Stopwatch.StartNew();
                    double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
                    double microseconds = clock.Elapsed.TotalMilliseconds * 1e3 / split.Test.Count;
                    if (round > 0)
                    {
                        (scoresBlocks ? blocks : perRow).Add(microseconds);
                    }

                    if (scoresBlocks)
                    {
                        accuracyBlocks = accuracy;
                    }
                    else
                    {
                        accuracyRows = accuracy;
                    }
                }
            }

            ScoredDataView.ScoresBlocks = true;
            double rowsMedian = Stats.Median([.. perRow]), blocksMedian = Stats.Median([.. blocks]);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{name}: one row at a time {rowsMedian:F1} µs/row (accuracy {accuracyRows:F4}), blocks of {BlockScoringCursor.BlockRows} {blocksMedian:F1} µs/row (accuracy {accuracyBlocks:F4}), ratio {rowsMedian / blocksMedian:F2}×; {rounds} rounds, medians"));
        }

        return 0;
    }
}
