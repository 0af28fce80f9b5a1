using System.Reflection;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.MLNet.Scoring;

/// <summary>
/// A cursor over scored rows that reads its input a block of rows ahead and scores the block in one pass of the network,
/// instead of one row at a time: the engine's products run on many rows at once, several times faster a row. The input
/// columns the caller reads are copied aside for the block's rows (a vector deeply, as ML.NET's own cache does), so the
/// rows come out with the same values, positions and ids as through the input cursor.
/// </summary>
/// <remarks>
/// Scores may differ from one-row scoring (a prediction engine) in the last bits: a block's products may sum in another
/// order (long dot products in blocks of k). <see cref="TryCreate"/> declines, and the caller scores row by row, when an
/// active input column holds a type it cannot copy (a reference type, such as an image).
/// </remarks>
internal sealed class BlockScoringCursor : DataViewRowCursor, IScoredOutputs
{
    /// <summary>
    /// Rows scored together. Through <c>Evaluate(Transform(test))</c> on Fashion-MNIST's 10,000 test rows the MLP took
    /// 2.6× and the CNN 1.4–1.7× less time than one row at a time (<c>mlnet-score</c>); blocks of 256 measured the same as 64.
    /// </summary>
    public const int BlockRows = 64;

    private readonly ScoringSchema _schema;
    private readonly DataViewRowCursor _input;
    private readonly Func<DataViewSchema.Column, bool> _isActive;
    private readonly ColumnBuffer?[] _columns;
    private readonly ValueGetter<VBuffer<float>> _features;
    private readonly ValueGetter<DataViewRowId> _id;
    private readonly DataViewRowId[] _ids = new DataViewRowId[BlockRows];
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private NetworkScorer? _scorer;
    private VBuffer<float> _vector;
    private int _count;
    private int _slot = -1;
    private bool _scored;
    private long _position = -1;

    private BlockScoringCursor(ScoringSchema schema, DataViewRowCursor input, Func<DataViewSchema.Column, bool> isActive, ColumnBuffer?[] columns)
    {
        _schema = schema;
        _input = input;
        _isActive = isActive;
        _columns = columns;
        _features = input.GetGetter<VBuffer<float>>(schema.Features);
        _id = input.GetIdGetter();
        _inputs = new float[BlockRows * schema.Network.InputSize];
        _outputs = new float[BlockRows * schema.Network.OutputSize];
    }

    public override DataViewSchema Schema => _schema.Output;

    public override long Position => _position;

    public override long Batch => _input.Batch;

    /// <inheritdoc/>
    public ReadOnlySpan<float> Outputs
    {
        get
        {
            int slot = CurrentSlot();
            if (!_scored)
            {
                (_scorer ??= _schema.Network.CreateScorer()).Score(_inputs, _count, _outputs);
                _scored = true;
            }

            int width = _schema.Network.OutputSize;
            return _outputs.AsSpan(slot * width, width);
        }
    }

    /// <summary>
    /// A block-scoring cursor over <paramref name="input"/> when some score column is active and every active input column
    /// can be copied aside; null otherwise (the caller then scores row by row).
    /// </summary>
    public static BlockScoringCursor? TryCreate(ScoringSchema schema, DataViewRowCursor input, Func<DataViewSchema.Column, bool> isActive)
    {
        DataViewSchema output = schema.Output;
        if (!output.Any(c => schema.IsScoreColumn(c) && isActive(c)))
        {
            return null;
        }

        var columns = new ColumnBuffer?[schema.Input.Count];
        foreach (DataViewSchema.Column column in output)
        {
            if (schema.IsScoreColumn(column) || !isActive(column))
            {
                continue;
            }

            ColumnBuffer? buffer = ColumnBuffer.TryCreate(input, schema.Input[column.Index]);
            if (buffer is null)
            {
                return null;
            }

            columns[column.Index] = buffer;
        }

        return new BlockScoringCursor(schema, input, isActive, columns);
    }

    /// <summary>
    /// Whether values of <paramref name="type"/> can be copied aside for a block: value types (numbers, keys, booleans, dates,
    /// text spans) and vectors of them. Not reference types, such as images, which the cursor cannot copy.
    /// </summary>
    internal static bool CanCopy(DataViewType type)
    {
        Type raw = type.RawType;
        return VectorItem(raw) is Type item ? item.IsValueType : raw.IsValueType;
    }

    private static Type? VectorItem(Type raw) =>
        raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>) ? raw.GetGenericArguments()[0] : null;

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = _ids[CurrentSlot()];

    public override bool IsColumnActive(DataViewSchema.Column column) => _schema.IsScoreColumn(column)
        ? _isActive(column)
        : _columns[column.Index] is not null;

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (_schema.IsScoreColumn(column))
        {
            return _schema.ScoreGetter<TValue>(column, this);
        }

        ColumnBuffer buffer = _columns[column.Index] ?? throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was made.");
        return buffer.Getter<TValue>(this, column);
    }

    public override bool MoveNext()
    {
        if (_slot + 1 < _count)
        {
            _slot++;
            _position++;
            return true;
        }

        _count = 0;
        _scored = false;
        int width = _schema.Network.InputSize;
        while (_count < BlockRows && _input.MoveNext())
        {
            RowScorer.ReadFeatures(_features, ref _vector, _inputs.AsSpan(_count * width, width));
            _id(ref _ids[_count]);
            foreach (ColumnBuffer? buffer in _columns)
            {
                buffer?.Capture(_count);
            }

            _count++;
        }

        if (_count == 0)
        {
            _slot = -1;
            return false;
        }

        _slot = 0;
        _position++;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _input.Dispose();
        }

        base.Dispose(disposing);
    }

    private int CurrentSlot() => _slot >= 0 && _slot < _count ? _slot : throw new InvalidOperationException("The cursor is not on a row.");

    /// <summary>One input column's values for the rows of a block.</summary>
    private abstract class ColumnBuffer
    {
        private static readonly MethodInfo CreateValues = typeof(ColumnBuffer).GetMethod(nameof(Values), BindingFlags.NonPublic | BindingFlags.Static)!;
        private static readonly MethodInfo CreateVectors = typeof(ColumnBuffer).GetMethod(nameof(Vectors), BindingFlags.NonPublic | BindingFlags.Static)!;

        /// <summary>A buffer for the column where <see cref="CanCopy"/> says so; else null.</summary>
        public static ColumnBuffer? TryCreate(DataViewRowCursor input, DataViewSchema.Column column)
        {
            if (!CanCopy(column.Type))
            {
                return null;
            }

            Type raw = column.Type.RawType;
            return VectorItem(raw) is Type item
                ? (ColumnBuffer)CreateVectors.MakeGenericMethod(item).Invoke(null, [input, column])!
                : (ColumnBuffer)CreateValues.MakeGenericMethod(raw).Invoke(null, [input, column])!;
        }

        /// <summary>Copies the input cursor's current value into <paramref name="slot"/>.</summary>
        public abstract void Capture(int slot);

        /// <summary>A getter of the cursor's current row's value.</summary>
        public abstract ValueGetter<TValue> Getter<TValue>(BlockScoringCursor cursor, DataViewSchema.Column column);

        protected static InvalidOperationException WrongType<TValue>(DataViewSchema.Column column) =>
            new($"Column '{column.Name}' is {column.Type}; a getter of {typeof(TValue).Name} was asked for.");

        private static ColumnBuffer Values<T>(DataViewRowCursor input, DataViewSchema.Column column) => new ValueBuffer<T>(input.GetGetter<T>(column));

        private static ColumnBuffer Vectors<T>(DataViewRowCursor input, DataViewSchema.Column column) => new VectorBuffer<T>(input.GetGetter<VBuffer<T>>(column));
    }

    /// <summary>A value type copied as is; text spans keep pointing at the input's (immutable) strings, as in ML.NET's cache.</summary>
    private sealed class ValueBuffer<T>(ValueGetter<T> getter) : ColumnBuffer
    {
        private readonly T[] _values = new T[BlockRows];

        public override void Capture(int slot) => getter(ref _values[slot]);

        public override ValueGetter<TValue> Getter<TValue>(BlockScoringCursor cursor, DataViewSchema.Column column)
        {
            ValueGetter<T> read = (ref T value) => value = _values[cursor.CurrentSlot()];
            return read as ValueGetter<TValue> ?? throw WrongType<TValue>(column);
        }
    }

    /// <summary>A vector, copied deeply: the input may reuse its buffers on the next row.</summary>
    private sealed class VectorBuffer<T>(ValueGetter<VBuffer<T>> getter) : ColumnBuffer
    {
        private readonly VBuffer<T>[] _values = new VBuffer<T>[BlockRows];
        private VBuffer<T> _read;

        public override void Capture(int slot)
        {
            getter(ref _read);
            _read.CopyTo(ref _values[slot]);
        }

        public override ValueGetter<TValue> Getter<TValue>(BlockScoringCursor cursor, DataViewSchema.Column column)
        {
            ValueGetter<VBuffer<T>> read = (ref VBuffer<T> value) => _values[cursor.CurrentSlot()].CopyTo(ref value);
            return read as ValueGetter<TValue> ?? throw WrongType<TValue>(column);
        }
    }
}
