using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// Random features and labels generated on the fly, so a memory benchmark's process holds no data set:
/// its peak is the runtime, the parameters and what training itself needs.
/// </summary>
internal sealed class SyntheticMinibatchSource(int featureSize, int classes, int rows, int seed) : IMinibatchSource
{
    private int _position;
    private int _batchStart;
    private int _batchRows;

    public int FeatureSize => featureSize;

    public int TargetWidth => 1;

    public bool HasWeights => false;

    public void StartEpoch(int epoch) => _position = 0;

    public int NextBatch(int maxRows)
    {
        _batchStart = _position;
        _batchRows = Math.Min(maxRows, rows - _position);
        _position += _batchRows;
        return _batchRows;
    }

    public void FillTargets(Span<float> targets, Span<float> weights)
    {
        for (int r = 0; r < _batchRows; r++)
        {
            targets[r] = (uint)Hash(_batchStart + r, -1) % (uint)classes;
        }
    }

    public void FillFeatures(int firstRow, int rowCount, Span<float> features)
    {
        for (int r = 0; r < rowCount; r++)
        {
            int row = _batchStart + firstRow + r;
            for (int j = 0; j < featureSize; j++)
            {
                features[r * featureSize + j] = (Hash(row, j) & 0xFF) / 255f;
            }
        }
    }

    private int Hash(int row, int column)
    {
        uint h = (uint)(row * 73856093) ^ (uint)(column * 19349663) ^ (uint)(seed * 83492791);
        h ^= h >> 13;
        h *= 0x5BD1E995;
        return (int)(h ^ (h >> 15));
    }
}
