using Microsoft.ML;
using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.Kernels;
using RandAD.Samples;

Console.WriteLine("RandAD sample");
Console.WriteLine(KernelSettings.Describe());

SampleSettings settings = SampleSettings.Parse(args);
if (settings.Help)
{
    Console.WriteLine(SampleSettings.Usage);
    return;
}

DataSplit split = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine });
DataSet trainSet = settings.Quick ? split.Train.Take(6_000) : split.Train;
DataSet testSet = settings.Quick ? split.Test.Take(2_000) : split.Test;
int epochs = settings.Epochs ?? (settings.Quick ? 2 : 5);

var ml = new MLContext(seed: 1);
IDataView train = FashionDataView.Load(ml, trainSet);
IDataView test = FashionDataView.Load(ml, testSet);
var runs = new SampleRuns(ml, train, test, epochs, settings.LearningRate, settings.Estimator, settings.Seed);
var results = new List<RunResult>();

results.Add(runs.Mlp(keepFraction: 1f));
results.Add(runs.Cnn(keepFraction: 1f));
results.Add(runs.Rnn(keepFraction: 1f));
if (settings.Rad)
{
    results.Add(runs.Mlp(keepFraction: 0.1f));
    results.Add(runs.Cnn(keepFraction: 0.1f));
    results.Add(runs.Rnn(keepFraction: 0.1f));
}

if (!settings.SkipBaselines)
{
    results.Add(runs.Sdca());
    results.Add(runs.LightGbm());
}

ResultTable.Print(results, trainSet.Count, testSet.Count);
Console.WriteLine();
Console.WriteLine($"RandAD models: {epochs} passes, batch 128, Adam {settings.LearningRate.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}, seed {settings.Seed}{(settings.Estimator is { } e ? $", RAD estimator {e}" : "")}. Retained activations: the engine's ledger, bytes kept between forward and backward per training step.");
if (!settings.Rad)
{
    Console.WriteLine("RAD rows (keep fraction 0.1) left out (--no-rad).");
}
