using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.RandAD.Benchmarks.Training;
using Microsoft.ML.RandAD.Datasets;
using TorchSharp;
using static TorchSharp.torch;

// The TorchSharp-cpu reference of the training benchmarks (../shared/DATA.md's settings): the MLP 784-256-256-10 with Adam
// 1e-3 and the CNN (conv 5×5×16 pad 2, ReLU, max pool 2, conv 5×5×32 pad 2, ReLU, max pool 2, FC 10) with SGD 0.01 and
// momentum 0.9, batch 128, on the same Fashion-MNIST split as RandAD's train verb, timed the same way (each epoch's wall
// time, shuffling and batching included), and printed as one line of the same keys.
//
// Usage: torchsharp-reference --model mlp|cnn [--epochs N] [--threads N] [--batch N] [--seed N]
var options = Options.Parse(args);
torch.set_num_threads(options.Threads);
torch.manual_seed(options.Seed);

DataSplit data = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine });
long baseline = ProcessMemory.CurrentBytes();
long[] imageShape = options.Model == "cnn" ? [1, data.Train.ImageHeight, data.Train.ImageWidth] : [data.Train.FeatureLength];

using nn.Module<Tensor, Tensor> model = options.Model == "cnn" ? Models.Cnn() : Models.Mlp();
using optim.Optimizer optimizer = options.Model == "cnn"
    ? optim.SGD(model.parameters(), 0.01, momentum: 0.9)
    : optim.Adam(model.parameters(), 1e-3);

int count = data.Train.Count;
var batch = new BatchBuffers(options.Batch, data.Train.FeatureLength);
var epochSeconds = new List<double>();
for (int epoch = 0; epoch < options.Epochs; epoch++)
{
    model.train();
    var clock = Stopwatch.StartNew();
    double lossSum = 0;
    int batches = 0;
    int[] order = Permutation(count, options.Seed + epoch);
    for (int first = 0; first < count; first += options.Batch)
    {
        using var scope = torch.NewDisposeScope();
        int rows = Math.Min(options.Batch, count - first);
        (Tensor x, Tensor y) = batch.Fill(data.Train, order.AsSpan(first, rows), imageShape);
        optimizer.zero_grad();
        Tensor loss = nn.functional.cross_entropy(model.forward(x), y);
        loss.backward();
        optimizer.step();
        if ((batches++ & 63) == 0)
        {
            lossSum += loss.item<float>(); // every 64th step's loss, for the progress line
        }
    }

    double seconds = clock.Elapsed.TotalSeconds;
    epochSeconds.Add(seconds);
    Console.Error.WriteLine($"epoch {epoch + 1}: loss {lossSum / ((batches + 63) / 64):F4}, {count / seconds:N0} samples/s, {seconds:F2} s");
}

double accuracy = Accuracy(model, data.Test, imageShape);
var line = new Dictionary<string, string>
{
    ["model"] = options.Model,
    ["peer"] = $"TorchSharp-cpu {typeof(torch).Assembly.GetName().Version} (libtorch {torch.__version__})",
    ["batch"] = options.Batch.ToString(CultureInfo.InvariantCulture),
    ["threads"] = torch.get_num_threads().ToString(CultureInfo.InvariantCulture),
    ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
    ["samples_per_s"] = (count * options.Epochs / epochSeconds.Sum()).ToString("F0", CultureInfo.InvariantCulture),
    ["best_epoch_samples_per_s"] = (count / epochSeconds.Min()).ToString("F0", CultureInfo.InvariantCulture),
    ["train_seconds"] = epochSeconds.Sum().ToString("F2", CultureInfo.InvariantCulture),
    ["test_accuracy"] = accuracy.ToString("F4", CultureInfo.InvariantCulture),
    ["baseline_rss_bytes"] = baseline.ToString(CultureInfo.InvariantCulture),
    ["peak_rss_bytes"] = ProcessMemory.PeakBytes().ToString(CultureInfo.InvariantCulture),
};
Console.WriteLine(string.Join(' ', line.Select(pair => pair.Value.Contains(' ') ? $"{pair.Key}=\"{pair.Value}\"" : $"{pair.Key}={pair.Value}")));
return 0;

static int[] Permutation(int count, int seed)
{
    int[] order = Enumerable.Range(0, count).ToArray();
    new Random(seed).Shuffle(order);
    return order;
}

static double Accuracy(nn.Module<Tensor, Tensor> model, DataSet test, long[] imageShape)
{
    model.eval();
    using var noGrad = torch.no_grad();
    long correct = 0;
    int[] all = Enumerable.Range(0, test.Count).ToArray();
    var buffers = new BatchBuffers(1000, test.FeatureLength);
    for (int first = 0; first < test.Count; first += 1000)
    {
        using var scope = torch.NewDisposeScope();
        (Tensor x, Tensor y) = buffers.Fill(test, all.AsSpan(first, Math.Min(1000, test.Count - first)), imageShape);
        correct += model.forward(x).argmax(1).eq(y).sum().item<long>();
    }

    return (double)correct / test.Count;
}

// A batch as the peer's users build one: the images decoded (like the train verb, from the loader's byte per pixel) into
// a float array that torch.tensor copies, and the labels as int64. The arrays are reused: a 400 KB array a step kept the
// garbage collector busy, and a collection during Adam's step sometimes freed a Scalar that libtorch was still reading
// (TorchSharp-cpu 0.107.0: "Expected false to be true ... toFloat at c10/core/Scalar.h:140"). That took 3 of 9 MLP runs
// with an array a step, 1 of 14 since; eng/peer-training.sh runs such a run again.
internal sealed class BatchBuffers(int rows, int imageSize)
{
    private readonly float[] _pixels = new float[rows * imageSize];
    private readonly long[] _labels = new long[rows];

    public (Tensor Images, Tensor Labels) Fill(DataSet set, ReadOnlySpan<int> order, long[] imageShape)
    {
        set.CopyImages(order, _pixels);
        for (int i = 0; i < order.Length; i++)
        {
            _labels[i] = set.Labels[order[i]];
        }

        Tensor images = torch.tensor(_pixels, [rows, .. imageShape]), labels = torch.tensor(_labels);
        return order.Length == rows ? (images, labels) : (images.narrow(0, 0, order.Length), labels.narrow(0, 0, order.Length));
    }
}

internal static class Models
{
    public static nn.Module<Tensor, Tensor> Mlp() => nn.Sequential(
        ("fc1", nn.Linear(784, 256)), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(256, 256)), ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(256, 10)));

    public static nn.Module<Tensor, Tensor> Cnn() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 16, 5, padding: 2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(16, 32, 5, padding: 2)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(7 * 7 * 32, 10)));
}

internal sealed record Options(string Model, int Epochs, int Threads, int Batch, int Seed)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        string model = values.GetValueOrDefault("model", "mlp");
        if (model is not ("mlp" or "cnn"))
        {
            throw new ArgumentException($"--model is mlp or cnn, not {model}.");
        }

        int Get(string name, int fallback) => values.TryGetValue(name, out string? text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        return new Options(model, Get("epochs", model == "cnn" ? 2 : 5), Get("threads", 2), Get("batch", 128), Get("seed", 1));
    }
}
