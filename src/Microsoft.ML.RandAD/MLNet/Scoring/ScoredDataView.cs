using Microsoft.ML.Data;

namespace Microsoft.ML.RandAD.MLNet.Scoring;

/// <summary>
/// What <c>Transform</c> returns: the input data view plus the score columns, computed lazily and streamed through the
/// input's own cursors (one network scorer per cursor, a block of rows at a time), so scoring never loads the data.
/// </summary>
internal sealed class ScoredDataView(IDataView input, ScoringSchema schema) : IDataView
{
    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => schema.Output;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        return Scored(input.GetRowCursor(schema.InputColumnsFor(needed), rand), IsActive(needed));
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        Func<DataViewSchema.Column, bool> isActive = IsActive(needed);
        return [.. input.GetRowCursorSet(schema.InputColumnsFor(needed), n, rand).Select(c => Scored(c, isActive))];
    }

    /// <summary>Whether cursors score blocks of rows (the default); off, every row alone. For same-session benchmarks.</summary>
    internal static bool ScoresBlocks { get; set; } = true;

    /// <summary>Scores a block of rows at a time where it can (<see cref="BlockScoringCursor"/>), else row by row.</summary>
    private DataViewRowCursor Scored(DataViewRowCursor cursor, Func<DataViewSchema.Column, bool> isActive) =>
        (ScoresBlocks ? BlockScoringCursor.TryCreate(schema, cursor, isActive) : null) ?? (DataViewRowCursor)new ScoringCursor(schema, cursor, isActive);

    internal static Func<DataViewSchema.Column, bool> IsActive(IReadOnlyCollection<DataViewSchema.Column> needed)
    {
        var active = new HashSet<int>(needed.Select(c => c.Index));
        return column => active.Contains(column.Index);
    }
}

/// <summary>The row-to-row mapper behind <c>CreatePredictionEngine</c> and transformer chains.</summary>
internal sealed class ScoringRowMapper(ScoringSchema schema) : IRowToRowMapper
{
    public DataViewSchema InputSchema => schema.Input;

    public DataViewSchema OutputSchema => schema.Output;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        schema.InputColumnsFor(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new ScoredRow(schema, input, ScoredDataView.IsActive(activeColumns.ToList()));
}
