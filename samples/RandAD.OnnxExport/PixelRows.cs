using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Datasets;

namespace RandAD.OnnxExport;

/// <summary>
/// Fashion-MNIST as the raw columns an application would have: <c>Label</c> (the class name) and <c>Pixels</c>
/// (784 gray levels 0..255, row-major). Scaling is left to the pipeline, so the exported model takes raw pixels.
/// </summary>
internal static class PixelRows
{
    public const int Size = 28 * 28;

    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(Size)]
        public float[] Pixels { get; set; } = [];
    }

    public static List<Row> From(DataSet set)
    {
        var rows = new List<Row>(set.Count);
        for (int i = 0; i < set.Count; i++)
        {
            var pixels = new float[set.FeatureLength];
            set.CopyImage(i, pixels);
            for (int p = 0; p < pixels.Length; p++)
            {
                pixels[p] = MathF.Round(pixels[p] * 255); // back to the gray levels of the image files
            }

            rows.Add(new Row { Label = set.ClassNames[set.Labels[i]], Pixels = pixels });
        }

        return rows;
    }

    public static IDataView Load(MLContext ml, List<Row> rows) => ml.Data.LoadFromEnumerable(rows);
}
