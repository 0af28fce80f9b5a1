using Microsoft.ML.Data;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Reads a row's label into the engine's float target and rejects values the task cannot train on, naming the
/// column and the row. One implementation per task.
/// </summary>
internal abstract class LabelReader
{
    protected LabelReader(string columnName) => ColumnName = columnName;

    public string ColumnName { get; }

    /// <summary>Binds to a cursor; the returned function reads the current row's target (row index for errors).</summary>
    public abstract Func<long, float> Bind(DataViewRow cursor, DataViewSchema.Column column);

    protected InvalidOperationException Bad(long row, string problem) =>
        new($"Label column '{ColumnName}', {(row < 0 ? "a row (in shuffled order)" : $"row {row}")}: {problem}");
}

/// <summary>Multiclass: a key of K values; target = key − 1.</summary>
internal sealed class KeyLabelReader(string columnName, int classCount) : LabelReader(columnName)
{
    public override Func<long, float> Bind(DataViewRow cursor, DataViewSchema.Column column)
    {
        ValueGetter<uint> getter = cursor.GetGetter<uint>(column);
        uint key = 0;
        return row =>
        {
            getter(ref key);
            if (key == 0 || key > classCount)
            {
                throw Bad(row, key == 0
                    ? "the label is missing (key 0: a value not seen by MapValueToKey). Filter such rows out or map them to a class."
                    : $"key {key} is outside 1..{classCount}.");
            }

            return key - 1;
        };
    }
}

/// <summary>Binary: Boolean, or a number that is exactly 0 or 1.</summary>
internal sealed class BinaryLabelReader(string columnName) : LabelReader(columnName)
{
    public override Func<long, float> Bind(DataViewRow cursor, DataViewSchema.Column column)
    {
        if (column.Type == BooleanDataViewType.Instance)
        {
            ValueGetter<bool> getter = cursor.GetGetter<bool>(column);
            bool value = false;
            return _ =>
            {
                getter(ref value);
                return value ? 1f : 0f;
            };
        }

        Func<double> read = NumberReader.Bind(cursor, column);
        return row =>
        {
            double value = read();
            return value is 0 or 1 ? (float)value : throw Bad(row, $"{value} is not a binary label (0 or 1, or use a Boolean column).");
        };
    }
}

/// <summary>Regression: a finite Single or Double.</summary>
internal sealed class RegressionLabelReader(string columnName) : LabelReader(columnName)
{
    public override Func<long, float> Bind(DataViewRow cursor, DataViewSchema.Column column)
    {
        Func<double> read = NumberReader.Bind(cursor, column);
        return row =>
        {
            double value = read();
            return double.IsFinite(value) && Math.Abs(value) <= float.MaxValue
                ? (float)value
                : throw Bad(row, $"{value} is not a finite number. Filter such rows out (Data.FilterRowsByMissingValues).");
        };
    }
}

/// <summary>Reads a Single or Double column as double.</summary>
internal static class NumberReader
{
    public static Func<double> Bind(DataViewRow cursor, DataViewSchema.Column column)
    {
        if (column.Type == NumberDataViewType.Single)
        {
            ValueGetter<float> getter = cursor.GetGetter<float>(column);
            float value = 0;
            return () =>
            {
                getter(ref value);
                return value;
            };
        }

        ValueGetter<double> doubles = cursor.GetGetter<double>(column);
        double number = 0;
        return () =>
        {
            doubles(ref number);
            return number;
        };
    }
}
