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

/// <summary>
/// Checkpointing, the classic alternative to RAD (RAD-METHOD.md §7): every <paramref name="segment"/>-th state kept whole,
/// and the backward pass recomputes each segment's states from its checkpoint when it reaches it (the segments are met in
/// reverse order, so each is recomputed once: about one extra forward sweep). Exact gradients in
/// ⌈N/segment⌉ + segment states; segments of ⌈√N⌉ steps make that about 2√N (Chen et al. 2016's two-level schedule).
/// </summary>
internal sealed class CheckpointedStateStore(int segment) : IStateStore
{
    private double[] _checkpoints = [], _segmentStates = [], _from = [], _to = [];
    private int _steps, _stateSize, _loadedSegment = -1;
    private StateAdvance? _advance;

    public int Segment { get; } = segment >= 1 ? segment : throw new ArgumentOutOfRangeException(nameof(segment), segment, "A segment holds at least one step.");

    public string Name => $"exact with checkpoints every {Segment} steps";

    /// <summary>Steps recomputed in the last backward pass.</summary>
    public long RecomputedSteps { get; private set; }

    public long Bytes(int steps, int stateSize) => 8L * stateSize * (((steps + Segment - 1) / Segment) + Math.Min(Segment, steps));

    public void Begin(int steps, int stateSize, StateAdvance advance)
    {
        _steps = steps;
        _stateSize = stateSize;
        _advance = advance;
        _loadedSegment = -1;
        RecomputedSteps = 0;
        long checkpoints = (long)((steps + Segment - 1) / Segment) * stateSize, buffer = (long)Math.Min(Segment, steps) * stateSize;
        if (_checkpoints.Length != checkpoints || _segmentStates.Length != buffer)
        {
            _checkpoints = new double[checkpoints];
            _segmentStates = new double[buffer];
        }
    }

    public void Keep(int t, double[] grid, int intervals)
    {
        if ((t - 1) % Segment == 0)
        {
            Interior.Copy(grid, intervals, _checkpoints.AsSpan((t - 1) / Segment * _stateSize, _stateSize));
        }
    }

    public void Restore(int t, double[] grid, int intervals)
    {
        int index = (t - 1) / Segment;
        if (index != _loadedSegment)
        {
            Recompute(index, intervals);
        }

        Interior.Paste(_segmentStates.AsSpan((t - 1 - (index * Segment)) * _stateSize, _stateSize), grid, intervals);
    }

    /// <summary>The states of segment <paramref name="index"/>, from its checkpoint forward, into the segment buffer.</summary>
    private void Recompute(int index, int intervals)
    {
        if (_from.Length != (intervals + 1) * (intervals + 1))
        {
            _from = new double[(intervals + 1) * (intervals + 1)];
            _to = new double[_from.Length];
        }

        int first = 1 + (index * Segment), last = Math.Min(first + Segment - 1, _steps);
        Interior.Paste(_checkpoints.AsSpan(index * _stateSize, _stateSize), _from, intervals);
        for (int t = first; ; t++)
        {
            Interior.Copy(_from, intervals, _segmentStates.AsSpan((t - first) * _stateSize, _stateSize));
            if (t == last)
            {
                break;
            }

            _advance!(_from, _to, t);
            (_from, _to) = (_to, _from);
            RecomputedSteps++;
        }

        _loadedSegment = index;
    }
}

/// <summary>
/// Checkpointing below two-level checkpointing's 2√N states, by a split rule. The forward pass keeps state 1 and, on its
/// way to N, the states the rule picks; the backward pass, asked for state t, advances from the nearest kept state below t
/// and keeps the states the rule picks on its way there; kept states above t are dropped as t falls. Exact gradients.
/// <list type="bullet">
/// <item><see cref="Bisection"/>: halfway each time; about log₂N + 1 states held, each step recomputed about log₂N / 2 times.</item>
/// <item><see cref="Binomial"/>: at most <c>c</c> states, split as in Griewank's binomial checkpointing (revolve): with s
/// states to spend (the base included) and l steps to reverse, r is the least with C(s + r, s) ≥ l, and the next state kept
/// is m = min(l − 1, C(s + r − 1, s)) steps on, leaving l − m ≤ C(s − 1 + r, s − 1) for the rest: no step is recomputed more
/// than r times. Planned afresh at every request, which keeps it within a few per cent of revolve's optimal count.</item>
/// </list>
/// </summary>
internal sealed class CheckpointScheduleStore : IStateStore
{
    private readonly Stack<(int T, double[] Values)> _kept = new();
    private readonly Stack<double[]> _spare = new();
    private readonly int _capacity;
    private readonly bool _binomial;
    private double[] _from = [], _to = [];
    private int _steps, _stateSize, _nextKept;
    private StateAdvance? _advance;

    private CheckpointScheduleStore(int capacity, bool binomial, string name)
    {
        _capacity = capacity;
        _binomial = binomial;
        Name = name;
    }

    public static CheckpointScheduleStore Bisection() => new(int.MaxValue, binomial: false, "exact with checkpoints by bisection");

    /// <summary>At most <paramref name="states"/> states kept at once (at least 1), split binomially.</summary>
    public static CheckpointScheduleStore Binomial(int states) =>
        states >= 1 ? new(states, binomial: true, $"exact with {states} binomial checkpoints")
            : throw new ArgumentOutOfRangeException(nameof(states), states, "At least one state is kept.");

    public string Name { get; }

    /// <summary>Steps recomputed in the last backward pass.</summary>
    public long RecomputedSteps { get; private set; }

    /// <summary>The most states held at once in the last pass.</summary>
    public int MostKept { get; private set; }

    public long Bytes(int steps, int stateSize) => 8L * stateSize * Schedule(steps).MostKept;

    /// <summary>The schedule's cost without the arithmetic: the most states held at once and the steps recomputed.</summary>
    public (int MostKept, long Recomputed) Schedule(int steps)
    {
        var kept = new Stack<int>();
        kept.Push(1);
        for (int p = 1; p < steps;)
        {
            int next = Next(p, steps, _capacity - kept.Count);
            if (next < steps || _capacity > kept.Count)
            {
                kept.Push(next);
            }

            p = next;
        }

        int most = kept.Count;
        long recomputed = 0;
        for (int t = steps; t >= 1; t--)
        {
            while (kept.Peek() > t)
            {
                kept.Pop();
            }

            for (int p = kept.Peek(); p < t;)
            {
                int next = Next(p, t, _capacity - kept.Count);
                recomputed += next - p;
                if (next < t || _capacity > kept.Count)
                {
                    kept.Push(next);
                }

                p = next;
            }

            most = Math.Max(most, kept.Count);
        }

        return (most, recomputed);
    }

    /// <summary>The next state to keep on the way from <paramref name="from"/> to <paramref name="target"/> with <paramref name="free"/> more states to spend.</summary>
    private int Next(int from, int target, int free)
    {
        int l = target - from;
        if (!_binomial)
        {
            return from + ((l + 1) / 2);
        }

        if (free <= 0 || l <= 1)
        {
            return target; // nothing to spend on the way: straight there
        }

        int s = free + 1; // the base counts
        int r = 0;
        while (Beta(s, r) < l)
        {
            r++;
        }

        // m ≤ β(s, r − 1) so the lower part takes r − 1 more repetitions, and l − m ≤ β(s − 1, r) for the upper part
        // (β(s, r) = β(s, r − 1) + β(s − 1, r) ≥ l, so such an m exists). The farthest allowed measured 4.36 sweeps for
        // 17 states over 40,960 steps (the nearest, 4.61; the binomial optimum r·l − β(s + 1, r − 1) − l is 4.18).
        return from + (int)Math.Min(l - 1, Beta(s, r - 1));
    }

    /// <summary>C(s + r, s), capped far above any step count.</summary>
    private static long Beta(int s, int r)
    {
        if (r < 0)
        {
            return 0;
        }

        long value = 1;
        for (int k = 1; k <= Math.Min(s, r); k++)
        {
            value = value * (Math.Max(s, r) + k) / k;
            if (value > int.MaxValue)
            {
                return int.MaxValue;
            }
        }

        return value;
    }

    public void Begin(int steps, int stateSize, StateAdvance advance)
    {
        _steps = steps;
        _stateSize = stateSize;
        _advance = advance;
        while (_kept.Count > 0)
        {
            _spare.Push(_kept.Pop().Values);
        }

        _nextKept = 1;
        RecomputedSteps = 0;
        MostKept = 0;
    }

    public void Keep(int t, double[] grid, int intervals)
    {
        if (t == _nextKept && (t < _steps || _kept.Count < _capacity || t == 1))
        {
            Push(t, grid, intervals);
        }

        if (t == _nextKept && t < _steps)
        {
            _nextKept = Next(t, _steps, _capacity - _kept.Count);
        }
    }

    public void Restore(int t, double[] grid, int intervals)
    {
        while (_kept.Peek().T > t)
        {
            _spare.Push(_kept.Pop().Values);
        }

        if (_from.Length != grid.Length)
        {
            _from = new double[grid.Length];
            _to = new double[grid.Length];
        }

        (int p, double[] values) = _kept.Peek();
        Interior.Paste(values, _from, intervals);
        while (p < t)
        {
            int next = Next(p, t, _capacity - _kept.Count);
            for (; p < next; p++)
            {
                _advance!(_from, _to, p);
                (_from, _to) = (_to, _from);
                RecomputedSteps++;
            }

            if (next < t || _capacity > _kept.Count)
            {
                Push(p, _from, intervals);
            }
        }

        if (_kept.Peek().T == t)
        {
            Interior.Paste(_kept.Peek().Values, grid, intervals);
        }
        else
        {
            _from.AsSpan().CopyTo(grid); // reached with no state left to spend: both boundaries are zero
        }
    }

    private void Push(int t, double[] grid, int intervals)
    {
        double[] values = _spare.Count > 0 ? _spare.Pop() : new double[_stateSize];
        Interior.Copy(grid, intervals, values);
        _kept.Push((t, values));
        MostKept = Math.Max(MostKept, _kept.Count);
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
