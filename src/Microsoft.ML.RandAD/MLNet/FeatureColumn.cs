using Microsoft.ML.Data;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>Schema checks with errors that name the column and say what to do.</summary>
internal static class FeatureColumn
{
    /// <summary>The feature column: a Single vector of known size (and of <paramref name="expectedSize"/> when given).</summary>
    public static DataViewSchema.Column Find(DataViewSchema schema, string name, int? expectedSize = null)
    {
        DataViewSchema.Column column = FindColumn(schema, name, "feature");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType, IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Feature column '{name}' must be a vector of Single of known size, but is {column.Type}. " +
                "Concatenate numeric columns into one vector (Transforms.Concatenate) and convert other types first.");
        }

        if (expectedSize is int size && vector.Size != size)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Feature column '{name}' has {vector.Size} values per row, but the model was trained on {size}.");
        }

        return column;
    }

    /// <summary>The optional weight column: Single.</summary>
    public static DataViewSchema.Column? FindWeight(DataViewSchema schema, string? name)
    {
        if (name is null)
        {
            return null;
        }

        DataViewSchema.Column column = FindColumn(schema, name, "example weight");
        if (column.Type != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Example weight column '{name}' must be Single, but is {column.Type}.");
        }

        return column;
    }

    public static DataViewSchema.Column FindColumn(DataViewSchema schema, string name, string role)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException($"The {role} column name is empty.");
        }

        return schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(schema),
            $"The {role} column '{name}' is not in the data (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
    }
}
