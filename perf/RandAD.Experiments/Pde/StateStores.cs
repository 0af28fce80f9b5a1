using Microsoft.ML.RandAD.Kernels;

namespace RandAD.Experiments.Pde;

/// <summary>
/// What the PDE's backward pass keeps of each step's state φ_t (its d interior values) between the forward and the
/// backward pass. States arrive and leave on (n+1)×(n+1) grid arrays whose boundary is zero.
/// </summary>
internal interface IStateStore
{
    /// <summary>Short name for reports: "exact" or "RAD f = …".</summary>
    string Name { get; }

    /// <summary>Bytes held once every state of a pass is kept.</summary>
    long Bytes(int steps, int stateSize);

    /// <summary>
    /// A new pass of <paramref name="steps"/> states of <paramref name="stateSize"/> values (a new random sample each pass);
    /// <paramref name="advance"/> computes φ_{t+1} from φ_t with this pass's parameters, for a store that recomputes states.
    /// </summary>
    void Begin(int steps, int stateSize, StateAdvance advance);

    /// <summary>Keeps what it keeps of state <paramref name="t"/> (1..N).</summary>
    void Keep(int t, double[] grid, int intervals);

    /// <summary>Writes state <paramref name="t"/>, or its unbiased sketch, over the interior of <paramref name="grid"/>.</summary>
    void Restore(int t, double[] grid, int intervals);
}

/// <summary>Writes φ_{t+1} into <paramref name="to"/> from φ_t in <paramref name="from"/> (grid arrays, boundary zero).</summary>
internal delegate void StateAdvance(double[] from, double[] to, int t);

/// <summary>Every value of every state: N·d doubles.</summary>
internal sealed class ExactStateStore : IStateStore
{
    private double[] _states = [];
    private int _stateSize;

    public string Name => "exact";

    public long Bytes(int steps, int stateSize) => 8L * steps * stateSize;

    public void Begin(int steps, int stateSize, StateAdvance advance)
    {
        _stateSize = stateSize;
        if (_states.Length != (long)steps * stateSize)
        {
            _states = new double[(long)steps * stateSize];
        }
    }

    public void Keep(int t, double[] grid, int intervals) =>
        Interior.Copy(grid, intervals, _states.AsSpan((t - 1) * _stateSize, _stateSize));

    public void Restore(int t, double[] grid, int intervals) =>
        Interior.Paste(_states.AsSpan((t - 1) * _stateSize, _stateSize), grid, intervals);
}

/// <summary>
/// RAD's sketch of each state: k = ⌈f·d⌉ interior points drawn uniformly with replacement, their values kept scaled by d/k,
/// so the restored sketch (the kept values summed at their points, zero elsewhere) has expectation φ_t. The points come from
/// the counter-based generator (seed, pass, step) and are drawn again in the backward pass, so only the k values are kept:
/// N·k doubles. Every pass draws afresh (the public reference code reuses one key every iteration and leaves out d/k).
/// </summary>
internal sealed class SampledStateStore(double fraction, ulong seed) : IStateStore
{
    private double[] _values = [];
    private int[] _indices = [];
    private int _k, _stateSize;
    private ulong _pass;

    public double Fraction { get; } = fraction > 0 && fraction <= 1 ? fraction : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The kept fraction must lie in (0, 1].");

    public string Name => $"RAD f = {Fraction:G4}";

    /// <summary>k = ⌈f·d⌉, at least 1 (f·d rounded to 6 decimals first, so 0.1 · 961 is not 97 for a ulp).</summary>
    public static int KeptCount(double fraction, int stateSize) =>
        Math.Clamp((int)Math.Ceiling(Math.Round(fraction * stateSize, 6)), 1, stateSize);

    public long Bytes(int steps, int stateSize) => 8L * steps * KeptCount(Fraction, stateSize);

    public void Begin(int steps, int stateSize, StateAdvance advance)
    {
        _stateSize = stateSize;
        _k = KeptCount(Fraction, stateSize);
        if (_values.Length != (long)steps * _k)
        {
            _values = new double[(long)steps * _k];
            _indices = new int[_k];
        }

        _pass++;
    }

    public void Keep(int t, double[] grid, int intervals)
    {
        Draw(t);
        double scale = _stateSize / (double)_k;
        Span<double> kept = _values.AsSpan((t - 1) * _k, _k);
        for (int s = 0; s < _k; s++)
        {
            kept[s] = scale * grid[Interior.GridIndex(_indices[s], intervals)];
        }
    }

    public void Restore(int t, double[] grid, int intervals)
    {
        Interior.Clear(grid, intervals);
        Draw(t);
        ReadOnlySpan<double> kept = _values.AsSpan((t - 1) * _k, _k);
        for (int s = 0; s < _k; s++)
        {
            grid[Interior.GridIndex(_indices[s], intervals)] += kept[s];
        }
    }

    private void Draw(int t)
    {
        int blocks = (_k + CounterRng.IndicesPerBlock - 1) / CounterRng.IndicesPerBlock;
        CounterRng.UniformIndices(seed, _pass, (ulong)t * (ulong)blocks, _stateSize, _indices);
    }
}

/// <summary>Between a grid array's interior (row i = 1..n−1, column j = 1..n−1) and d packed values.</summary>
internal static class Interior
{
    public static int GridIndex(int packed, int intervals) =>
        ((1 + (packed / (intervals - 1))) * (intervals + 1)) + 1 + (packed % (intervals - 1));

    public static void Copy(double[] grid, int intervals, Span<double> packed)
    {
        int inner = intervals - 1;
        for (int i = 0; i < inner; i++)
        {
            grid.AsSpan(((i + 1) * (intervals + 1)) + 1, inner).CopyTo(packed.Slice(i * inner, inner));
        }
    }

    public static void Paste(ReadOnlySpan<double> packed, double[] grid, int intervals)
    {
        int inner = intervals - 1;
        for (int i = 0; i < inner; i++)
        {
            packed.Slice(i * inner, inner).CopyTo(grid.AsSpan(((i + 1) * (intervals + 1)) + 1, inner));
        }
    }

    public static void Clear(double[] grid, int intervals)
    {
        int inner = intervals - 1;
        for (int i = 0; i < inner; i++)
        {
            grid.AsSpan(((i + 1) * (intervals + 1)) + 1, inner).Clear();
        }
    }
}
