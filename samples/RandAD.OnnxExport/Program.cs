using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.Onnx;
using RandAD.OnnxExport;

// Trains a small RandAD CNN in an ML.NET pipeline on raw Fashion-MNIST pixels, exports the whole pipeline
// (normalizer + network) to one ONNX file, reloads it in ONNX Runtime and scores the test set both ways; then reads the
// network back from the file and trains it one more pass.
// Usage: dotnet run --project samples/RandAD.OnnxExport -c Release [-- output.onnx]  (default: beside the sample's binary)
string path = Path.GetFullPath(args.FirstOrDefault() ?? Path.Combine(AppContext.BaseDirectory, "fashion-mnist-randad.onnx"));
var clock = Stopwatch.StartNew();

DataSplit split = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine });
List<PixelRows.Row> trainRows = PixelRows.From(split.Train.Take(10_000));
List<PixelRows.Row> testRows = PixelRows.From(split.Test);
var ml = new MLContext(seed: 1);
IDataView train = PixelRows.Load(ml, trainRows);
IDataView test = PixelRows.Load(ml, testRows);

var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.NormalizeMinMax("Features", "Pixels"))
    .Append(ml.MulticlassClassification.Trainers.RandAD(new RandADMulticlassTrainer.Options
    {
        ImageShape = new RandADImageShape(1, 28, 28),
        ConvolutionFilters = [8],
        HiddenLayerCount = 0,
        NumberOfIterations = 3,
        BatchSize = 64,
        LearningRate = 2e-3f,
        Seed = 1,
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
ITransformer model = pipeline.Fit(train);
Console.WriteLine($"Trained on {trainRows.Count:N0} rows in {clock.Elapsed.TotalSeconds:F1} s:{Environment.NewLine}{Network(model)}");

// In process: the ML.NET pipeline itself.
IDataView scored = model.Transform(test);
float[] mlnetProbabilities = [.. scored.GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues().ToArray())];
string[] mlnetLabels = [.. scored.GetColumn<string>("PredictedLabel")];

// The right export call: the whole pipeline, raw pixels in.
ml.Model.ConvertToOnnxWithRandAD(model, train, path);
Console.WriteLine($"Exported the pipeline to {path} ({new FileInfo(path).Length / 1024.0:N0} KiB)");
RandADOnnx.Check(path);

// The wrong one: ML.NET's own converter cannot see inside the RandAD step, and is refused.
try
{
    ml.Model.ConvertToOnnx(model, train, new MemoryStream());
}
catch (NotSupportedException e)
{
    Console.WriteLine($"ML.NET's ConvertToOnnx is refused: {e.Message[..e.Message.IndexOf(':')]}.");
}

// ONNX Runtime: the file alone, fed raw pixels.
using var session = new InferenceSession(path);
Console.WriteLine($"ONNX inputs: {string.Join(", ", session.InputMetadata.Select(i => $"{i.Key} [{string.Join(", ", i.Value.Dimensions)}]"))}; outputs: {string.Join(", ", session.OutputNames)}");
var scoring = Stopwatch.StartNew();
(float[] onnxProbabilities, string[] onnxLabels) = OnnxRuntimeScoring.Score(session, testRows, batchSize: 1000);
scoring.Stop();

double maxDifference = 0;
for (int i = 0; i < mlnetProbabilities.Length; i++)
{
    maxDifference = Math.Max(maxDifference, Math.Abs(mlnetProbabilities[i] - onnxProbabilities[i]));
}

string[] truth = [.. testRows.Select(r => r.Label)];
Console.WriteLine($"Test accuracy ({testRows.Count:N0} rows): ML.NET in process {Accuracy(mlnetLabels, truth):P2}, ONNX Runtime {Accuracy(onnxLabels, truth):P2} ({testRows.Count / scoring.Elapsed.TotalSeconds:N0} rows/s)");
Console.WriteLine($"Max |probability difference| {maxDifference:E2}; predicted labels that differ: {mlnetLabels.Zip(onnxLabels).Count(p => p.First != p.Second)}");

// Training on from the file: the network read back from the ONNX (the same parameters), then one more pass from it on the
// same prepared columns (the pipeline's key mapping and normalizer).
RandADModelParameters reloaded = RandADModelParameters.Load(path);
bool identical = reloaded.Network.Parameters.AsSpan().SequenceEqual(Trained(model).Network.Parameters);
IDataView Prepared(IDataView data) => ((IEnumerable<ITransformer>)model).Take(2).Aggregate(data, (view, step) => step.Transform(view));
var more = ml.MulticlassClassification.Trainers.RandAD(new RandADMulticlassTrainer.Options { NumberOfIterations = 1, BatchSize = 64, LearningRate = 1e-3f, Seed = 2 })
    .Fit(Prepared(train), reloaded);
double before = ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
double after = ml.MulticlassClassification.Evaluate(more.Transform(Prepared(test))).MicroAccuracy;
Console.WriteLine($"Read the network back from the file: parameters {(identical ? "identical" : "DIFFERENT")}; one more pass from it: test accuracy {before:P2} -> {after:P2}");
Console.WriteLine($"Total {clock.Elapsed.TotalSeconds:F1} s");

static double Accuracy(string[] predicted, string[] truth) => predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;

static RandADModelParameters Trained(ITransformer model) =>
    ((IEnumerable<ITransformer>)model).OfType<RandADMulticlassPredictionTransformer>().Single().Model;

static string Network(ITransformer model) => Trained(model).Network.Describe();
