using Microsoft.ML.Data;

using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.MLNet.Scoring;

/// <summary>
/// The input schema plus a model's score columns, and the mapping between the two: which input columns a set of
/// output columns needs, and the getters of a scored row. Shared by the scored data view, its cursors and the
/// row-to-row mapper behind prediction engines.
/// </summary>
internal sealed class ScoringSchema
{
    public ScoringSchema(Network network, ScoreColumns columns, DataViewSchema input, DataViewSchema.Column features)
    {
        Network = network;
        Columns = columns;
        Input = input;
        Features = features;
        Output = columns.OutputSchema(input);
    }

    public Network Network { get; }

    public ScoreColumns Columns { get; }

    public DataViewSchema Input { get; }

    public DataViewSchema Output { get; }

    public DataViewSchema.Column Features { get; }

    /// <summary>True when <paramref name="column"/> of the output schema is one of the score columns.</summary>
    public bool IsScoreColumn(DataViewSchema.Column column) => column.Index >= Input.Count;

    /// <summary>Input columns needed to produce <paramref name="outputColumns"/>.</summary>
    public IEnumerable<DataViewSchema.Column> InputColumnsFor(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var needed = new SortedSet<int>();
        foreach (DataViewSchema.Column column in outputColumns)
        {
            needed.Add(IsScoreColumn(column) ? Features.Index : column.Index);
        }

        return needed.Select(i => Input[i]);
    }

    /// <summary>A getter for output column <paramref name="column"/> of a row that wraps <paramref name="input"/>.</summary>
    public ValueGetter<T> GetGetter<T>(DataViewRow input, Func<IScoredOutputs> scorer, DataViewSchema.Column column)
    {
        if (!IsScoreColumn(column))
        {
            return input.GetGetter<T>(Input[column.Index]);
        }

        return ScoreGetter<T>(column, scorer());
    }

    /// <summary>A getter for score column <paramref name="column"/>, reading <paramref name="outputs"/>.</summary>
    public ValueGetter<T> ScoreGetter<T>(DataViewSchema.Column column, IScoredOutputs outputs)
    {
        Delegate getter = Columns.Getter(column.Index - Input.Count, outputs);
        return getter as ValueGetter<T> ?? throw new InvalidOperationException(
            $"Column '{column.Name}' is {column.Type}; a getter of {typeof(T).Name} was asked for.");
    }
}

/// <summary>One scored row: the input row's columns plus the score columns, computed on demand.</summary>
internal sealed class ScoredRow(ScoringSchema schema, DataViewRow input, Func<DataViewSchema.Column, bool> isActive) : DataViewRow
{
    private RowScorer? _scorer;

    public override DataViewSchema Schema => schema.Output;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => schema.IsScoreColumn(column)
        ? isActive(column)
        : input.IsColumnActive(schema.Input[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        schema.GetGetter<TValue>(input, Scorer, column);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            input.Dispose();
        }

        base.Dispose(disposing);
    }

    private RowScorer Scorer() => _scorer ??= new RowScorer(schema.Network, input, schema.Features);
}

/// <summary>A cursor over scored rows: moves its input cursor and scores each row when a score getter is called.</summary>
internal sealed class ScoringCursor(ScoringSchema schema, DataViewRowCursor input, Func<DataViewSchema.Column, bool> isActive) : DataViewRowCursor
{
    private RowScorer? _scorer;

    public override DataViewSchema Schema => schema.Output;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => schema.IsScoreColumn(column)
        ? isActive(column)
        : input.IsColumnActive(schema.Input[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        schema.GetGetter<TValue>(input, Scorer, column);

    public override bool MoveNext() => input.MoveNext();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            input.Dispose();
        }

        base.Dispose(disposing);
    }

    private RowScorer Scorer() => _scorer ??= new RowScorer(schema.Network, input, schema.Features);
}
