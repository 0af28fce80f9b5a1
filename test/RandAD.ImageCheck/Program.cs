// Image files the way an ML.NET user feeds them: LoadImages, ResizeImages and ExtractPixels (channels first) into the
// CNN trainer with RandADImageShape; then Evaluate, Model.Save and Model.Load. Writes what the test checks to
// <folder>/result.txt: the test accuracy, then per test row the label predicted in memory and after reloading, and the
// largest difference of their scores.
// Usage: RandAD.ImageCheck <folder>
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;

string folder = args.Length == 1 ? args[0] : throw new ArgumentException("usage: RandAD.ImageCheck <folder>");
string[] classes = ["rows", "columns", "checks"];
var ml = new MLContext(seed: 1);
IDataView train = ml.Data.LoadFromEnumerable(WriteImages("train", 240, seed: 1));
IDataView test = ml.Data.LoadFromEnumerable(WriteImages("test", 90, seed: 2));

var options = new RandADMulticlassTrainer.Options
{
    ImageShape = new RandADImageShape(3, 16, 16),
    ConvolutionFilters = [8],
    HiddenLayerCount = 0,
    NumberOfIterations = 10,
    BatchSize = 32,
    LearningRate = 0.01f,
    Seed = 3,
};
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.LoadImages("Image", folder, "ImagePath"))
    .Append(ml.Transforms.ResizeImages("Image", imageWidth: 16, imageHeight: 16))
    .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
    .Append(ml.MulticlassClassification.Trainers.RandAD(options))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
ITransformer model = pipeline.Fit(train);
IDataView scored = model.Transform(test);
MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(scored);

string zip = Path.Combine(folder, "images.zip");
ml.Model.Save(model, train.Schema, zip);
IDataView rescored = ml.Model.Load(zip, out _).Transform(test);

string[] predicted = [.. scored.GetColumn<string>("PredictedLabel")], repredicted = [.. rescored.GetColumn<string>("PredictedLabel")];
float[][] scores = [.. scored.GetColumn<float[]>("Score")], rescores = [.. rescored.GetColumn<float[]>("Score")];
using (var result = new StreamWriter(Path.Combine(folder, "result.txt")))
{
    result.WriteLine(metrics.MicroAccuracy.ToString("R", CultureInfo.InvariantCulture));
    for (int r = 0; r < predicted.Length; r++)
    {
        float difference = scores[r].Zip(rescores[r], (a, b) => Math.Abs(a - b)).Max();
        result.WriteLine($"{predicted[r]} {repredicted[r]} {difference.ToString("R", CultureInfo.InvariantCulture)}");
    }
}

Console.WriteLine($"accuracy {metrics.MicroAccuracy:F4} on {predicted.Length} images");
return 0;

// Writes count 20×20 PNG files, a third of each class: red stripes along rows, along columns, or in checks, each with a
// random phase, over random green and blue and pixel noise.
List<ImageRow> WriteImages(string prefix, int count, int seed)
{
    const int Size = 20;
    var random = new Random(seed);
    var rows = new List<ImageRow>();
    byte[] pixels = new byte[Size * Size * 4];
    for (int i = 0; i < count; i++)
    {
        int label = i % classes.Length, phaseY = random.Next(5), phaseX = random.Next(5);
        int green = random.Next(40, 200), blue = random.Next(40, 200);
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                bool rowOn = (y + phaseY) / 5 % 2 == 0, columnOn = (x + phaseX) / 5 % 2 == 0;
                bool on = label switch { 0 => rowOn, 1 => columnOn, _ => rowOn ^ columnOn };
                int at = ((y * Size) + x) * 4; // BGRA
                pixels[at] = Noisy(blue);
                pixels[at + 1] = Noisy(green);
                pixels[at + 2] = Noisy(on ? 220 : 40);
                pixels[at + 3] = 255;
            }
        }

        string name = $"{prefix}-{i}.png";
        using (MLImage image = MLImage.CreateFromPixels(Size, Size, MLPixelFormat.Bgra32, pixels))
        {
            image.Save(Path.Combine(folder, name));
        }

        rows.Add(new ImageRow { ImagePath = name, Label = classes[label] });
    }

    return rows;

    byte Noisy(int value) => (byte)Math.Clamp(value + random.Next(-30, 31), 0, 255);
}

internal sealed class ImageRow
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}
