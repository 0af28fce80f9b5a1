namespace Microsoft.ML.RandAD.Training;

/// <summary>
/// Minibatches from arrays already in memory, in a new seeded random order every epoch (Fisher–Yates with a
/// SplitMix64 stream of the seed and epoch), so a run is reproducible.
/// </summary>
public sealed class InMemoryMinibatchSource : IMinibatchSource
{
    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly float[]? _weights;
    private readonly int[] _order;
    private readonly ulong _seed;
    private readonly bool _shuffle;
    private int _position;
    private int _batchStart;
    private int _batchRows;

    /// <summary>Wraps examples held in arrays.</summary>
    /// <param name="features">rows × featureSize floats.</param>
    /// <param name="targets">rows × targetWidth floats.</param>
    /// <param name="weights">rows weights, or null.</param>
    /// <param name="featureSize">Floats per example.</param>
    /// <param name="targetWidth">Targets per example.</param>
    /// <param name="seed">Shuffle seed.</param>
    /// <param name="shuffle">Whether to shuffle each epoch.</param>
    public InMemoryMinibatchSource(float[] features, float[] targets, float[]? weights, int featureSize, int targetWidth = 1, ulong seed = 0, bool shuffle = true)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureSize, 1);
        int rows = features.Length / featureSize;
        if (features.Length != rows * featureSize || targets.Length != rows * targetWidth || (weights is not null && weights.Length != rows))
        {
            throw new ArgumentException($"Features ({features.Length}), targets ({targets.Length}) and weights ({weights?.Length}) do not describe the same {rows} rows.");
        }

        _features = features;
        _targets = targets;
        _weights = weights;
        FeatureSize = featureSize;
        TargetWidth = targetWidth;
        _order = new int[rows];
        _seed = seed;
        _shuffle = shuffle;
    }

    /// <summary>Number of examples.</summary>
    public int Count => _order.Length;

    /// <inheritdoc/>
    public int FeatureSize { get; }

    /// <inheritdoc/>
    public int TargetWidth { get; }

    /// <inheritdoc/>
    public bool HasWeights => _weights is not null;

    /// <inheritdoc/>
    public void StartEpoch(int epoch)
    {
        EpochOrder.Fill(_order, _seed, epoch, _shuffle);
        _position = 0;
    }

    /// <inheritdoc/>
    public int NextBatch(int maxRows)
    {
        _batchStart = _position;
        _batchRows = Math.Min(maxRows, _order.Length - _position);
        _position += _batchRows;
        return _batchRows;
    }

    /// <inheritdoc/>
    public void FillTargets(Span<float> targets, Span<float> weights)
    {
        int t = TargetWidth;
        for (int r = 0; r < _batchRows; r++)
        {
            int row = _order[_batchStart + r];
            _targets.AsSpan(row * t, t).CopyTo(targets.Slice(r * t, t));
            if (_weights is not null)
            {
                weights[r] = _weights[row];
            }
        }
    }

    /// <inheritdoc/>
    public void FillFeatures(int firstRow, int rowCount, Span<float> features)
    {
        int d = FeatureSize;
        for (int r = 0; r < rowCount; r++)
        {
            int row = _order[_batchStart + firstRow + r];
            _features.AsSpan(row * d, d).CopyTo(features.Slice(r * d, d));
        }
    }

    /// <inheritdoc/>
    /// <remarks>True: filling only copies rows of the source's arrays.</remarks>
    public bool FillsRowsConcurrently => true;
}
