using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.MLNet;

// One pass's cursors (RowStream).
internal sealed partial class DataViewMinibatchSource
{
    /// <summary>
    /// One pass of rows: from <c>offset</c> to the end, then (with a second cursor) from the start up to
    /// <c>offset</c>; or one randomized cursor. Reads and checks each row.
    /// </summary>
    private sealed class RowStream(DataViewMinibatchSource source, List<DataViewSchema.Column> columns, long offset, Random? cursorRandom) : IDisposable
    {
        private DataViewRowCursor? _cursor;
        private ValueGetter<VBuffer<float>>? _features;
        private Func<long, float>? _label;
        private ValueGetter<float>? _weight;
        private bool _wrapped;
        private long _row = -1;
        private long _read;

        /// <summary>Reads the next usable row: its features into <paramref name="features"/> (whose arrays the getter reuses).</summary>
        public bool Read(ref VBuffer<float> features, out float target, out float weight)
        {
            target = 0;
            weight = 1;
            while (true)
            {
                if (!MoveNext())
                {
                    return false;
                }

                _features!(ref features);
                // A sparse vector's other slots are zeros; an empty one is all zeros.
                ReadOnlySpan<float> values = features.GetValues();
                if (!values.IsEmpty && !FiniteValues.All(values))
                {
                    if (source._skipNonFinite)
                    {
                        source.SkippedRows++;
                        continue;
                    }

                    int at = FirstNonFinite(values);
                    int slot = features.IsDense ? at : features.GetIndices()[at];
                    throw new InvalidOperationException(
                        $"Feature column '{source._featureColumn.Name}', {RowText()}: slot {slot} is {values[at]}. " +
                        "Replace missing values (Transforms.ReplaceMissingValues) or set SkipRowsWithNonFiniteFeatures = true.");
                }

                target = _label!(_row);
                if (_weight is not null)
                {
                    _weight(ref weight);
                    if (!(weight >= 0) || !float.IsFinite(weight))
                    {
                        throw new InvalidOperationException($"Example weight column '{source._weightColumn!.Value.Name}', {RowText()}: {weight} is not a finite weight ≥ 0.");
                    }
                }

                return true;
            }
        }

        public void Dispose() => _cursor?.Dispose();

        private bool MoveNext()
        {
            if (_cursor is null)
            {
                Open();
                for (long i = 0; i < offset && _cursor!.MoveNext(); i++)
                {
                    _row++;
                }
            }

            if (!_wrapped && _cursor!.MoveNext())
            {
                _row++;
                _read++;
                return true;
            }

            if (!_wrapped)
            {
                if (offset == 0)
                {
                    if (cursorRandom is null)
                    {
                        source._rowCount ??= _read;
                    }

                    _wrapped = true;
                    return false;
                }

                // Second half of an offset pass: rows 0 .. offset−1.
                _cursor!.Dispose();
                Open();
                _wrapped = true;
                _row = -1;
            }

            if (_row + 1 < offset && _cursor!.MoveNext())
            {
                _row++;
                return true;
            }

            return false;
        }

        private void Open()
        {
            _cursor = OpenSingleCursor(source._data, columns, cursorRandom);
            _features = _cursor.GetGetter<VBuffer<float>>(source._featureColumn);
            _label = source._labelReader.Bind(_cursor, source._labelColumn);
            _weight = source._weightColumn is DataViewSchema.Column w ? _cursor.GetGetter<float>(w) : null;
        }

        /// <summary>
        /// A cursor that runs the pipeline on the calling thread. <see cref="IDataView.GetRowCursor"/> on a transform
        /// splits the rows across ML.NET threads of its own (max(2, processors − 1)) and merges them back through
        /// queues, which costs a copy of every row and puts those threads on the cores the training step uses. A
        /// cursor set of one asks for no such split; a view that still returns several falls back to the plain cursor.
        /// </summary>
        private static DataViewRowCursor OpenSingleCursor(IDataView data, List<DataViewSchema.Column> columns, Random? random)
        {
            DataViewRowCursor[] set = data.GetRowCursorSet(columns, 1, random);
            if (set.Length == 1)
            {
                return set[0];
            }

            foreach (DataViewRowCursor cursor in set)
            {
                cursor.Dispose();
            }

            return data.GetRowCursor(columns, random);
        }

        private string RowText() => cursorRandom is null ? $"row {_row}" : "a row (in shuffled order)";

        private static int FirstNonFinite(ReadOnlySpan<float> values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    return i;
                }
            }

            return 0;
        }
    }
}
