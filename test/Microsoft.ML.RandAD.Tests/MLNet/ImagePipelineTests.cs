using System.Globalization;
using Microsoft.ML.RandAD.Tests.Datasets;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>
/// Image files the way an ML.NET user feeds them: <c>LoadImages</c>, <c>ResizeImages</c> and <c>ExtractPixels</c>
/// (channels first) into the CNN trainer, then <c>Evaluate</c>, save and reload: the transforms and the trainer fit
/// together. (That the network reads the planes channels first, as ONNX's NCHW convolution does, the export tests check.)
/// It runs in test/RandAD.ImageCheck, a process of its own: ML.NET's image transforms need SkiaSharp 2.88, and this
/// process holds ScottPlot's SkiaSharp 3.
/// </summary>
[TestClass]
public sealed class ImagePipelineTests
{
    [TestMethod]
    public void ImageFilesTrainTheConvolutionalTrainerAndTheSavedPipelineScoresTheSame()
    {
        using var folder = new TempFolder();
        FreshProcess.Run("RandAD.ImageCheck", [folder.Path]);

        string[] lines = File.ReadAllLines(folder.File("result.txt"));
        double accuracy = double.Parse(lines[0], CultureInfo.InvariantCulture);
        Assert.IsGreaterThan(0.9, accuracy, $"accuracy {accuracy} on three classes of stripes");
        Assert.HasCount(91, lines, "the accuracy and 90 test images");
        foreach (string[] row in lines.Skip(1).Select(l => l.Split(' ')))
        {
            Assert.AreEqual(row[0], row[1], "the reloaded pipeline (ONNX Runtime) predicts the same label");
            Assert.IsLessThan(1e-5, float.Parse(row[2], CultureInfo.InvariantCulture), "and the same scores");
        }
    }
}
