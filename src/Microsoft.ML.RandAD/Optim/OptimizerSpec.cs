namespace Microsoft.ML.RandAD.Optim;

/// <summary>Optimizer families.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, optionally with (Nesterov) momentum; weight decay as L2 on the gradient.</summary>
    Sgd,

    /// <summary>Adam (Kingma and Ba); weight decay as L2 on the gradient.</summary>
    Adam,

    /// <summary>AdamW (Loshchilov and Hutter): Adam with weight decay applied to the weights directly (decoupled).</summary>
    AdamW,
}

/// <summary>Which optimizer and its hyperparameters (the learning rate comes from the schedule).</summary>
/// <param name="Kind">The family.</param>
/// <param name="Momentum">SGD momentum μ (0 = plain SGD).</param>
/// <param name="Nesterov">SGD: use Nesterov momentum.</param>
/// <param name="Beta1">Adam: decay of the first moment.</param>
/// <param name="Beta2">Adam: decay of the second moment.</param>
/// <param name="Epsilon">Adam: added to the root of the second moment.</param>
/// <param name="WeightDecay">L2 coefficient (SGD, Adam) or decoupled decay rate (AdamW); biases and normalization parameters are exempt.</param>
public sealed record OptimizerSpec(
    OptimizerKind Kind = OptimizerKind.Adam,
    float Momentum = 0.9f,
    bool Nesterov = false,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Epsilon = 1e-8f,
    float WeightDecay = 0f)
{
    /// <summary>Throws when a hyperparameter is outside its valid range.</summary>
    public void Validate()
    {
        Check(Momentum is >= 0f and < 1f, nameof(Momentum), Momentum, "in [0, 1)");
        Check(Beta1 is >= 0f and < 1f, nameof(Beta1), Beta1, "in [0, 1)");
        Check(Beta2 is >= 0f and < 1f, nameof(Beta2), Beta2, "in [0, 1)");
        Check(Epsilon > 0f && float.IsFinite(Epsilon), nameof(Epsilon), Epsilon, "positive");
        Check(WeightDecay >= 0f && float.IsFinite(WeightDecay), nameof(WeightDecay), WeightDecay, "zero or positive");
        if (Nesterov && (Kind != OptimizerKind.Sgd || Momentum == 0f))
        {
            throw new ArgumentException("Nesterov momentum needs the SGD optimizer with a momentum above 0.");
        }
    }

    private static void Check(bool ok, string name, float value, string range)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}, got {value}.");
        }
    }
}
