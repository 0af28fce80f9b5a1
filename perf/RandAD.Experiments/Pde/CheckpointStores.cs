namespace RandAD.Experiments.Pde;

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

    /// <summary>
    /// The schedule's cost without the arithmetic: this store's logic replayed on states of no values with a step that does
    /// nothing, giving the most states held at once and the steps recomputed in one pass.
    /// </summary>
    public (int MostKept, long Recomputed) Schedule(int steps)
    {
        var dry = new CheckpointScheduleStore(_capacity, _binomial, Name);
        double[] grid = new double[4]; // a 1-interval grid: no interior values
        dry.Begin(steps, 0, static (_, _, _) => { });
        for (int t = 1; t <= steps; t++)
        {
            dry.Keep(t, grid, 1);
        }

        for (int t = steps; t >= 1; t--)
        {
            dry.Restore(t, grid, 1);
        }

        return (dry.MostKept, dry.RecomputedSteps);
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
