using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Datasets;

namespace RandAD.Samples;

/// <summary>A Fashion-MNIST split as an ML.NET data view: <c>Label</c> (class name), <c>Features</c> (784 pixels in [0, 1]).</summary>
internal static class FashionDataView
{
    public const int Pixels = 28 * 28;

    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(Pixels)]
        public float[] Features { get; set; } = [];
    }

    public static IDataView Load(MLContext ml, DataSet set)
    {
        var rows = new List<Row>(set.Count);
        for (int i = 0; i < set.Count; i++)
        {
            var features = new float[set.FeatureLength];
            set.CopyImage(i, features); // one image at a time: the data set stays one byte a pixel
            rows.Add(new Row { Label = set.ClassNames[set.Labels[i]], Features = features });
        }

        // A list-backed view can shuffle itself, so later passes get a full random order (see DataViewMinibatchSource).
        return ml.Data.LoadFromEnumerable(rows);
    }
}
