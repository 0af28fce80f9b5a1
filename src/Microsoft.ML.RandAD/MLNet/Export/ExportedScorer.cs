using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Scoring;
using Microsoft.ML.RandAD.Onnx;

namespace Microsoft.ML.RandAD.MLNet.Export;

/// <summary>How a RandAD prediction transformer is exported: its task and, for multiclass, its label values.</summary>
internal static class ExportedScorer
{
    public static OnnxTask Task(RandADPredictionTransformer transformer) => transformer switch
    {
        RandADMulticlassPredictionTransformer => OnnxTask.Multiclass,
        RandADBinaryPredictionTransformer => OnnxTask.Binary,
        _ => OnnxTask.Regression,
    };

    /// <summary>A copy of <paramref name="options"/> with the transformer's task (unless one is given) and label values.</summary>
    public static OnnxExportOptions Options(RandADPredictionTransformer transformer, OnnxExportOptions? options)
    {
        OnnxExportOptions copy = (options ?? new OnnxExportOptions()).Clone();
        copy.Task ??= Task(transformer);
        if (copy.Task == OnnxTask.Multiclass && transformer is RandADMulticlassPredictionTransformer multiclass)
        {
            copy.LabelValues = LabelValues(multiclass.MulticlassColumns.LabelAnnotations, multiclass.MulticlassColumns.ClassCount);
        }

        return copy;
    }

    /// <summary>
    /// The label's key values as LabelEncoder values: text as strings, Single and Double as floats, integers as
    /// int64s; <see langword="null"/> (no value output) when the label has no key values or they are of another type.
    /// </summary>
    internal static OnnxLabelValues? LabelValues(DataViewSchema.Annotations label, int classCount)
    {
        DataViewSchema.Column? column = label.Schema.GetColumnOrNull(AnnotationNames.KeyValues);
        if (column?.Type is not VectorDataViewType { Size: var size } vector || size != classCount)
        {
            return null;
        }

        return vector.ItemType switch
        {
            TextDataViewType => OnnxLabelValues.FromStrings([.. Read<ReadOnlyMemory<char>>(label).Select(v => v.ToString())]),
            NumberDataViewType n when n.RawType == typeof(float) => OnnxLabelValues.FromFloats(Read<float>(label)),
            NumberDataViewType n when n.RawType == typeof(double) => OnnxLabelValues.FromFloats([.. Read<double>(label).Select(v => (float)v)]),
            NumberDataViewType n when n.RawType == typeof(byte) => OnnxLabelValues.FromInt64s([.. Read<byte>(label).Select(v => (long)v)]),
            NumberDataViewType n when n.RawType == typeof(sbyte) => OnnxLabelValues.FromInt64s([.. Read<sbyte>(label).Select(v => (long)v)]),
            NumberDataViewType n when n.RawType == typeof(short) => OnnxLabelValues.FromInt64s([.. Read<short>(label).Select(v => (long)v)]),
            NumberDataViewType n when n.RawType == typeof(ushort) => OnnxLabelValues.FromInt64s([.. Read<ushort>(label).Select(v => (long)v)]),
            NumberDataViewType n when n.RawType == typeof(int) => OnnxLabelValues.FromInt64s([.. Read<int>(label).Select(v => (long)v)]),
            NumberDataViewType n when n.RawType == typeof(uint) => OnnxLabelValues.FromInt64s([.. Read<uint>(label).Select(v => (long)v)]),
            NumberDataViewType n when n.RawType == typeof(long) => OnnxLabelValues.FromInt64s(Read<long>(label)),
            _ => null,
        };
    }

    private static T[] Read<T>(DataViewSchema.Annotations annotations)
    {
        VBuffer<T> values = default;
        annotations.GetValue(AnnotationNames.KeyValues, ref values);
        return values.DenseValues().ToArray();
    }
}
