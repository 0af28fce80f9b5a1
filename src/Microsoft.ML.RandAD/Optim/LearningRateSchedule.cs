namespace Microsoft.ML.RandAD.Optim;

/// <summary>How the learning rate changes with the optimizer step.</summary>
public abstract record LearningRateSchedule
{
    /// <summary>The rate at step <paramref name="step"/> (0-based) for a base rate <paramref name="baseRate"/>.</summary>
    /// <param name="baseRate">The configured learning rate.</param>
    /// <param name="step">Optimizer steps taken before this one.</param>
    /// <returns>The rate to use.</returns>
    public abstract float RateAt(float baseRate, long step);
}

/// <summary>The base rate throughout.</summary>
public sealed record ConstantSchedule : LearningRateSchedule
{
    /// <inheritdoc/>
    public override float RateAt(float baseRate, long step) => baseRate;
}

/// <summary>Multiply the rate by <paramref name="Factor"/> every <paramref name="Interval"/> steps (the RAD paper: 0.6 every 2,000).</summary>
/// <param name="Factor">Multiplier, in (0, 1].</param>
/// <param name="Interval">Steps between decays, at least 1.</param>
public sealed record StepDecaySchedule(float Factor, long Interval) : LearningRateSchedule
{
    /// <inheritdoc/>
    public override float RateAt(float baseRate, long step) => baseRate * MathF.Pow(Factor, step / Interval);
}

/// <summary>Cosine annealing from the base rate to <c>MinimumFactor·base</c> over <paramref name="TotalSteps"/>, then flat.</summary>
/// <param name="TotalSteps">Length of the anneal.</param>
/// <param name="MinimumFactor">Final rate as a fraction of the base rate.</param>
public sealed record CosineSchedule(long TotalSteps, float MinimumFactor = 0f) : LearningRateSchedule
{
    /// <inheritdoc/>
    public override float RateAt(float baseRate, long step)
    {
        double progress = Math.Min(1.0, (double)step / Math.Max(1, TotalSteps));
        double factor = MinimumFactor + (1 - MinimumFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
        return (float)(baseRate * factor);
    }
}

/// <summary>
/// A linear warm-up: the rate rises from <c>base/Steps</c> at step 0 to the base rate at step <c>Steps − 1</c>; from step
/// <paramref name="Steps"/> on, <paramref name="Then"/> runs as if training started there.
/// </summary>
/// <param name="Steps">Steps of the warm-up, at least 1.</param>
/// <param name="Then">The schedule after it (<see cref="ConstantSchedule"/> for the base rate).</param>
public sealed record WarmupSchedule(long Steps, LearningRateSchedule Then) : LearningRateSchedule
{
    /// <inheritdoc/>
    public override float RateAt(float baseRate, long step) =>
        step < Steps ? (float)(baseRate * ((step + 1) / (double)Steps)) : Then.RateAt(baseRate, step - Steps);
}
