using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// Minibatches straight from a <see cref="DataSet"/> as the loader returns it (one byte a pixel), decoding only the
/// rows of each chunk: the process never holds the training set as floats. Same seeded order per epoch as
/// <see cref="InMemoryMinibatchSource"/>.
/// </summary>
internal sealed class DataSetMinibatchSource(DataSet data, ulong seed) : IMinibatchSource
{
    private readonly int[] _order = new int[data.Count];
    private int _position;
    private int _batchStart;
    private int _batchRows;

    public int FeatureSize => data.FeatureLength;

    public int TargetWidth => 1;

    public bool HasWeights => false;

    public void StartEpoch(int epoch)
    {
        EpochOrder.Fill(_order, seed, epoch);
        _position = 0;
    }

    public int NextBatch(int maxRows)
    {
        _batchStart = _position;
        _batchRows = Math.Min(maxRows, _order.Length - _position);
        _position += _batchRows;
        return _batchRows;
    }

    public void FillTargets(Span<float> targets, Span<float> weights)
    {
        for (int r = 0; r < _batchRows; r++)
        {
            targets[r] = data.Labels[_order[_batchStart + r]];
        }
    }

    public void FillFeatures(int firstRow, int rowCount, Span<float> features)
    {
        data.CopyImages(_order.AsSpan(_batchStart + firstRow, rowCount), features);
    }

    /// <summary>True: each row is decoded from the loaded data set alone.</summary>
    public bool FillsRowsConcurrently => true;
}
