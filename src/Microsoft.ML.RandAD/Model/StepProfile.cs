using System.Diagnostics;

namespace Microsoft.ML.RandAD.Model;

/// <summary>
/// Time of each layer's forward and backward calls and of the loss, summed over the steps a network runs while
/// <see cref="Network.Profile"/> is set. For benchmarks (<c>step-flops --profile</c>): with no profile set a step
/// reads no clock.
/// </summary>
/// <param name="layerCount">Layers of the network.</param>
/// <param name="clock">The clock (default: the wall clock, <see cref="Stopwatch.GetTimestamp"/>); a benchmark on a
/// shared machine passes the thread's CPU clock.</param>
/// <param name="ticksPerSecond">Ticks of <paramref name="clock"/> per second.</param>
internal sealed class StepProfile(int layerCount, Func<long>? clock = null, long ticksPerSecond = 0)
{
    private readonly Func<long> _clock = clock ?? Stopwatch.GetTimestamp;
    private readonly double _ticksPerSecond = clock is null ? Stopwatch.Frequency : ticksPerSecond;

    /// <summary>Ticks of each layer's forward calls (every chunk), by layer index.</summary>
    public long[] ForwardTicks { get; } = new long[layerCount];

    /// <summary>Ticks of each layer's backward calls, by layer index.</summary>
    public long[] BackwardTicks { get; } = new long[layerCount];

    /// <summary>Ticks of the loss and its gradient.</summary>
    public long LossTicks { get; private set; }

    /// <summary>Steps recorded.</summary>
    public int Steps { get; private set; }

    /// <summary>Reads the clock.</summary>
    public long Now() => _clock();

    /// <summary>Adds the time since <paramref name="start"/> (a <see cref="Now"/> reading) to layer <paramref name="layer"/>'s forward time.</summary>
    public void AddForward(int layer, long start) => ForwardTicks[layer] += Now() - start;

    /// <summary>Adds the time since <paramref name="start"/> to layer <paramref name="layer"/>'s backward time.</summary>
    public void AddBackward(int layer, long start) => BackwardTicks[layer] += Now() - start;

    /// <summary>Adds the time since <paramref name="start"/> to the loss's time.</summary>
    public void AddLoss(long start) => LossTicks += Now() - start;

    /// <summary>Counts a finished step.</summary>
    public void CountStep() => Steps++;

    /// <summary>Milliseconds per step of <paramref name="ticks"/>.</summary>
    public double MillisecondsPerStep(long ticks) => Steps == 0 ? 0 : ticks * 1e3 / _ticksPerSecond / Steps;

    /// <summary>Forgets what was recorded.</summary>
    public void Clear()
    {
        Array.Clear(ForwardTicks);
        Array.Clear(BackwardTicks);
        LossTicks = 0;
        Steps = 0;
    }
}
