using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Opt-in early stopping on the validation loss or accuracy: remembers the best pass's parameters (running
/// batch-norm statistics included, they live in the same array) and puts them back when training stops early.
/// </summary>
internal sealed class EarlyStopping(RandADTrainerOptionsBase options, Network network)
{
    private readonly bool _enabled = options.EarlyStoppingPatience > 0;
    private float[]? _best;
    private double _bestScore = double.NegativeInfinity;
    private int _stale;

    /// <summary>The 1-based pass whose parameters are kept.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Records a pass; true when patience is exhausted.</summary>
    public bool ShouldStop(int epoch, double loss, double accuracy)
    {
        if (!_enabled)
        {
            return false;
        }

        // Higher is better for both: the loss is negated.
        double score = options.EarlyStoppingMetric == RandADEarlyStoppingMetric.Accuracy ? accuracy : -loss;
        if (score > _bestScore + options.EarlyStoppingMinDelta || _best is null)
        {
            _bestScore = score;
            BestEpoch = epoch;
            _best ??= new float[network.Parameters.Length];
            network.Parameters.CopyTo(_best, 0);
            _stale = 0;
            return false;
        }

        return ++_stale >= options.EarlyStoppingPatience;
    }

    /// <summary>Puts back the best pass's parameters (only when early stopping is on).</summary>
    public void RestoreBest()
    {
        if (_best is not null)
        {
            _best.CopyTo(network.Parameters, 0);
        }
    }
}
