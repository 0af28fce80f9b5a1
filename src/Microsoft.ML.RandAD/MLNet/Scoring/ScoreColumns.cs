using System.Reflection;
using Microsoft.ML.Data;

namespace Microsoft.ML.RandAD.MLNet.Scoring;

/// <summary>
/// The columns a RandAD transformer appends (per task: Score, Probability, PredictedLabel), with the types and
/// annotations ML.NET's evaluators and <c>MapKeyToValue</c> expect, and getters that read the row's network outputs.
/// </summary>
internal abstract class ScoreColumns
{
    /// <summary>Output column names, in schema order.</summary>
    public abstract IReadOnlyList<string> Names { get; }

    /// <summary>Adds the columns to a schema being built.</summary>
    public abstract void AddTo(DataViewSchema.Builder builder);

    /// <summary>The getter of output column <paramref name="index"/>, reading <paramref name="row"/>'s network outputs.</summary>
    public abstract Delegate Getter(int index, IScoredOutputs row);

    /// <summary>The columns as <see cref="SchemaShape"/> columns, for an estimator's <c>GetOutputSchema</c>.</summary>
    public abstract IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label);

    /// <summary>The input schema plus the output columns (same-named input columns become hidden).</summary>
    public DataViewSchema OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        AddTo(builder);
        return builder.ToSchema();
    }

    protected static DataViewSchema.Annotations ScoreAnnotations(string columnKind, string valueKind, Action<DataViewSchema.Annotations.Builder>? more = null)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(AnnotationNames.ScoreColumnKind, TextDataViewType.Instance, Text(columnKind));
        builder.Add(AnnotationNames.ScoreValueKind, TextDataViewType.Instance, Text(valueKind));
        more?.Invoke(builder);
        return builder.ToAnnotations();
    }

    protected static ValueGetter<ReadOnlyMemory<char>> Text(string value) => (ref ReadOnlyMemory<char> destination) => destination = value.AsMemory();

    /// <summary><c>SchemaShape.Column</c>'s constructor is internal (MLNET-NOTES.md); reached by reflection.</summary>
    protected static SchemaShape.Column ShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
    {
        ConstructorInfo constructor = typeof(SchemaShape.Column).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Single(c => c.GetParameters().Length == 5);
        return (SchemaShape.Column)constructor.Invoke([name, kind, itemType, isKey, annotations]);
    }

    protected static SchemaShape ScoreShapeAnnotations(params SchemaShape.Column[] extra) =>
        new([
            ShapeColumn(AnnotationNames.ScoreColumnKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
            ShapeColumn(AnnotationNames.ScoreValueKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
            .. extra,
        ]);
}

/// <summary>Annotation kinds, as plain strings (ML.NET's <c>AnnotationUtils</c> is internal).</summary>
internal static class AnnotationNames
{
    public const string ScoreColumnKind = "ScoreColumnKind";
    public const string ScoreValueKind = "ScoreValueKind";
    public const string SlotNames = "SlotNames";
    public const string KeyValues = "KeyValues";
    public const string IsNormalized = "IsNormalized";
}
