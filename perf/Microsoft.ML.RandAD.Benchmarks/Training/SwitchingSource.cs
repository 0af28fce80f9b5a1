using System.Diagnostics;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// Passes a minibatch source through, setting the loop's <see cref="TrainingLoop.ReadsAhead"/> every 8 batches (on, then
/// off) and timing each step: from a batch's preparation to the next one's.
/// </summary>
internal sealed class SwitchingSource(IMinibatchSource inner, TrainingLoop loop) : IMinibatchSource
{
    private readonly double[] _seconds = new double[2];
    private readonly int[] _steps = new int[2];
    private long _batch, _last;

    public int FeatureSize => inner.FeatureSize;

    public int TargetWidth => inner.TargetWidth;

    public bool HasWeights => inner.HasWeights;

    public bool FillsRowsConcurrently => inner.FillsRowsConcurrently;

    public void StartEpoch(int epoch)
    {
        inner.StartEpoch(epoch);
        Array.Clear(_seconds);
        Array.Clear(_steps);
        _batch = 0;
    }

    public int NextBatch(int maxRows)
    {
        long now = Stopwatch.GetTimestamp();
        if (_batch > 0 && (_batch - 1) % 8 != 0)
        {
            // The step that ended here ran the way set at the previous batch, whose own batch was read the same way.
            int way = loop.ReadsAhead ? 0 : 1;
            _seconds[way] += (now - _last) / (double)Stopwatch.Frequency;
            _steps[way]++;
        }

        loop.ReadsAhead = _batch / 8 % 2 == 0;
        _batch++;
        _last = now;
        return inner.NextBatch(maxRows);
    }

    public void FillTargets(Span<float> targets, Span<float> weights) => inner.FillTargets(targets, weights);

    public void FillFeatures(int firstRow, int rowCount, Span<float> features) => inner.FillFeatures(firstRow, rowCount, features);

    /// <summary>Mean step reading ahead and after the update over the epoch, in seconds.</summary>
    public (double Ahead, double After) MeanSteps() => (_seconds[0] / _steps[0], _seconds[1] / _steps[1]);
}
