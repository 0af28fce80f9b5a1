using System.Reflection;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Scoring;

namespace Microsoft.ML.RandAD.MLNet.Persistence;

/// <summary>
/// Rebuilds the multiclass <c>PredictedLabel</c> key in a saved model: <c>MapValue</c> from the 0-based class index
/// to the training label's key values with <c>treatValuesAsKeyType: true</c>, which yields a key over those values
/// in the given order, i.e. the label's own key type and <c>KeyValues</c>.
/// </summary>
internal static class SavedKeyMapping
{
    public static IEstimator<ITransformer> Create(MLContext ml, MulticlassScoreColumns columns, string indexColumn, string outputColumn)
    {
        DataViewSchema.Column? keyValues = columns.LabelAnnotations.Schema.GetColumnOrNull(AnnotationNames.KeyValues);
        if (keyValues?.Type is not VectorDataViewType { ItemType: PrimitiveDataViewType item } vector || vector.Size != columns.ClassCount)
        {
            // A key without values (e.g. a key range from a loader): the values 1..K stand in.
            return Map(ml, Enumerable.Range(0, columns.ClassCount).Select(i => (uint)(i + 1)).ToArray(), indexColumn, outputColumn);
        }

        MethodInfo method = typeof(SavedKeyMapping).GetMethod(nameof(FromAnnotations), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(item.RawType);
        return (IEstimator<ITransformer>)method.Invoke(null, [ml, columns.LabelAnnotations, keyValues.Value, indexColumn, outputColumn])!;
    }

    private static IEstimator<ITransformer> FromAnnotations<T>(MLContext ml, DataViewSchema.Annotations annotations, DataViewSchema.Column column, string indexColumn, string outputColumn)
    {
        VBuffer<T> values = default;
        annotations.GetValue(column.Name, ref values);
        T[] dense = values.DenseValues().ToArray();
        return dense is ReadOnlyMemory<char>[] text
            ? Map(ml, text.Select(t => t.ToString()).ToArray(), indexColumn, outputColumn)
            : Map(ml, dense, indexColumn, outputColumn);
    }

    private static IEstimator<ITransformer> Map<T>(MLContext ml, T[] values, string indexColumn, string outputColumn) =>
        ml.Transforms.Conversion.MapValue(outputColumn, values.Select((v, i) => new KeyValuePair<uint, T>((uint)i, v)), indexColumn, treatValuesAsKeyType: true);
}
