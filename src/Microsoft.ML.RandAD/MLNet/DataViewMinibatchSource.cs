using System.Numerics.Tensors;
using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Minibatches streamed from an <see cref="IDataView"/> by cursors, never holding the whole data set: features
/// (a known-size Single vector, densified), the label as the engine's target, and an optional weight.
/// </summary>
/// <remarks>
/// <para>Shuffling without the data in memory, seeded per pass (epoch):</para>
/// <list type="number">
/// <item>A shuffle buffer of <c>capacity</c> rows is filled from a cursor. Each emitted row is drawn uniformly
/// from the buffer and its slot refilled with the next row from the cursor; when the cursor ends the buffer drains
/// in random order. Memory: capacity × features × 4 bytes.</item>
/// <item>From the second pass on, the cursor starts at a random row (skipping to it, then wrapping around with a
/// second cursor), so rows near the start of the data do not always come out early. The first pass reads in order,
/// counts the rows and checks every value, so errors name the true row index.</item>
/// <item>When the data view can shuffle itself (<see cref="IDataView.CanShuffle"/>, e.g. after
/// <c>Data.Cache</c> or data already in memory), later passes ask it for a seeded random cursor instead of an offset.</item>
/// </list>
/// <para>A buffer mixes only rows within reach of one another: data sorted by label needs a buffer of a sizeable
/// fraction of the data set, or one <c>Data.ShuffleRows</c> upstream.</para>
/// </remarks>
internal sealed partial class DataViewMinibatchSource : IMinibatchSource, IDisposable
{
    private readonly IDataView _data;
    private readonly DataViewSchema.Column _featureColumn;
    private readonly DataViewSchema.Column _labelColumn;
    private readonly DataViewSchema.Column? _weightColumn;
    private readonly LabelReader _labelReader;
    private readonly string _role;
    private readonly ulong _seed;
    private readonly bool _shuffle;
    private readonly bool _skipNonFinite;
    private readonly Func<bool> _isCanceled;
    private readonly CancellationToken _token;
    private readonly VBuffer<float>[] _bufferFeatures;
    private readonly float[] _bufferTargets;
    private readonly float[] _bufferWeights;
    private VBuffer<float>[] _stagedFeatures = [];
    private float[] _stagedTargets = [];
    private float[] _stagedWeights = [];
    private int _staged;
    private int _count;
    private SplitMix64 _random;
    private long _emitted;
    private long? _rowCount;
    private RowStream? _stream;

    public DataViewMinibatchSource(
        IDataView data, string role, DataViewSchema.Column features, LabelReader label, DataViewSchema.Column? weight,
        ulong seed, bool shuffle, int capacity, bool skipNonFinite, Func<bool>? isCanceled = null, CancellationToken token = default)
    {
        _data = data;
        _role = role;
        _featureColumn = features;
        _labelReader = label;
        _labelColumn = data.Schema[label.ColumnName];
        _weightColumn = weight;
        _seed = seed;
        _shuffle = shuffle;
        _skipNonFinite = skipNonFinite;
        _isCanceled = isCanceled ?? (() => false);
        _token = token;
        FeatureSize = ((VectorDataViewType)features.Type).Size;
        int rows = shuffle ? capacity : 0;
        _bufferFeatures = Rows(rows, FeatureSize);
        _bufferTargets = new float[rows];
        _bufferWeights = new float[rows];
    }

    /// <inheritdoc/>
    public int FeatureSize { get; }

    /// <inheritdoc/>
    public int TargetWidth => 1;

    /// <inheritdoc/>
    public bool HasWeights => _weightColumn is not null;

    /// <summary>Rows skipped in the current pass for non-finite features.</summary>
    public long SkippedRows { get; private set; }

    /// <summary>Rows in the data, once a whole pass has read them.</summary>
    public long? RowCount => _rowCount;

    /// <inheritdoc/>
    public void StartEpoch(int epoch)
    {
        _stream?.Dispose();
        _random = new SplitMix64(SplitMix64.Mix(_seed ^ (0xD1B54A32D192ED03UL * (ulong)(epoch + 1))));
        bool randomCursor = _shuffle && epoch > 0 && _data.CanShuffle;
        long offset = _shuffle && epoch > 0 && !randomCursor && _rowCount is long n && n > 1 ? (long)(NextRandom() % (ulong)n) : 0;
        var columns = new List<DataViewSchema.Column> { _featureColumn, _labelColumn };
        if (_weightColumn is DataViewSchema.Column w)
        {
            columns.Add(w);
        }

        Random? cursorRandom = randomCursor ? new Random((int)(NextRandom() & int.MaxValue)) : null;
        _stream = new RowStream(this, columns, offset, cursorRandom);
        _emitted = 0;
        _staged = 0;
        SkippedRows = 0;
        _count = 0;
        if (_shuffle)
        {
            int capacity = _bufferTargets.Length;
            while (_count < capacity && _stream.Read(ref _bufferFeatures[_count], out _bufferTargets[_count], out _bufferWeights[_count]))
            {
                _count++;
            }
        }
    }

    /// <inheritdoc/>
    public int NextBatch(int maxRows)
    {
        _token.ThrowIfCancellationRequested();
        if (_isCanceled())
        {
            throw new OperationCanceledException("Training was canceled by MLContext.CancelExecution().");
        }

        if (_stream is null)
        {
            throw new InvalidOperationException("Call StartEpoch first.");
        }

        EnsureStaging(maxRows);
        int n = 0;
        if (_shuffle)
        {
            // Rows change places by swapping their vectors (their arrays), not by copying values: the drawn row goes to the
            // batch, and the batch's spent vector takes the next row from the cursor in its slot.
            for (; n < maxRows && _count > 0; n++)
            {
                int j = (int)(NextRandom() % (ulong)_count);
                (_stagedFeatures[n], _bufferFeatures[j]) = (_bufferFeatures[j], _stagedFeatures[n]);
                _stagedTargets[n] = _bufferTargets[j];
                _stagedWeights[n] = _bufferWeights[j];
                if (!_stream.Read(ref _bufferFeatures[j], out _bufferTargets[j], out _bufferWeights[j]))
                {
                    _count--;
                    if (j != _count)
                    {
                        (_bufferFeatures[j], _bufferFeatures[_count]) = (_bufferFeatures[_count], _bufferFeatures[j]);
                        _bufferTargets[j] = _bufferTargets[_count];
                        _bufferWeights[j] = _bufferWeights[_count];
                    }
                }
            }
        }
        else
        {
            while (n < maxRows && _stream.Read(ref _stagedFeatures[n], out _stagedTargets[n], out _stagedWeights[n]))
            {
                n++;
            }
        }

        if (n == 0 && _emitted == 0)
        {
            throw new InvalidOperationException(SkippedRows > 0
                ? $"The {_role} has no usable rows: all {SkippedRows} rows have NaN or infinite features in column '{_featureColumn.Name}'."
                : $"The {_role} has no rows.");
        }

        _emitted += n;
        _staged = n;
        return n;
    }

    /// <inheritdoc/>
    public void FillTargets(Span<float> targets, Span<float> weights)
    {
        _stagedTargets.AsSpan(0, _staged).CopyTo(targets);
        if (!weights.IsEmpty)
        {
            _stagedWeights.AsSpan(0, _staged).CopyTo(weights);
        }
    }

    /// <inheritdoc/>
    public void FillFeatures(int firstRow, int rowCount, Span<float> features)
    {
        int d = FeatureSize;
        for (int r = 0; r < rowCount; r++)
        {
            _stagedFeatures[firstRow + r].CopyTo(features.Slice(r * d, d));
        }
    }

    /// <inheritdoc/>
    /// <remarks>True: the rows were read and checked when the batch was staged; filling only copies them.</remarks>
    public bool FillsRowsConcurrently => true;

    /// <summary>Closes the open cursor.</summary>
    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }

    /// <summary>Rows of a data view, counted with a cursor that reads no column.</summary>
    public static long CountRows(IDataView data)
    {
        if (data.GetRowCount() is long known)
        {
            return known;
        }

        long count = 0;
        using DataViewRowCursor cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// Dense vectors of <paramref name="length"/> floats, one per row; a cursor's getter writes into their arrays. A slot
    /// may keep its row for many rows after: by ML.NET's convention the caller owns what a getter returns (the getter
    /// reuses or replaces the arrays passed in, and never shares its own).
    /// </summary>
    private static VBuffer<float>[] Rows(int rows, int length)
    {
        var vectors = new VBuffer<float>[rows];
        for (int r = 0; r < rows; r++)
        {
            vectors[r] = new VBuffer<float>(length, new float[length]);
        }

        return vectors;
    }

    private void EnsureStaging(int rows)
    {
        if (_stagedTargets.Length < rows)
        {
            _stagedFeatures = Rows(rows, FeatureSize);
            _stagedTargets = new float[rows];
            _stagedWeights = new float[rows];
        }
    }

    private ulong NextRandom() => _random.Next();
}
