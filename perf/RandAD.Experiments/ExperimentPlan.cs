namespace RandAD.Experiments;

/// <summary>
/// How one (data set, model) pair of the paper's comparison runs.
/// </summary>
/// <param name="Dataset">Short data-set name (<see cref="ExperimentData"/>).</param>
/// <param name="Model">Short model name (<see cref="ModelZoo"/>).</param>
/// <param name="Iterations">Steps per run.</param>
/// <param name="Seeds">Runs per arm (seeds 0..Seeds-1).</param>
/// <param name="EvaluateEvery">Steps between curve checkpoints.</param>
/// <param name="LearningRates">The grid searched per arm on the held-out split; one value = no search.</param>
/// <param name="TuneIterations">Steps of each search run.</param>
/// <param name="LossRows">Training rows whose loss the curves track.</param>
/// <param name="CurveTestRows">Test rows scored at curve checkpoints.</param>
/// <param name="FinalTestRows">Test rows scored at the end of a run (the table's accuracy).</param>
/// <param name="ClipNorm">Gradient clipping (the paper clips the IRNN at 1).</param>
internal sealed record ModelPlan(
    string Dataset, string Model, int Iterations, int Seeds, int EvaluateEvery, float[] LearningRates, int TuneIterations,
    int LossRows = 2000, int CurveTestRows = 2000, int FinalTestRows = 10000, float ClipNorm = 0f);

/// <summary>The memory-vs-accuracy sweep: RAD per-row at the paper batch, and exact at the batch of equal memory, per f.</summary>
internal sealed record SweepPlan(string Dataset, string Model, float[] Fractions, int Iterations, int Seeds);

/// <summary>A whole experiment: the comparisons, the sweep, and the memory table.</summary>
internal sealed record ExperimentPlan(
    string Name, IReadOnlyList<ModelPlan> Comparisons, SweepPlan? Sweep, bool MeasureMemory,
    int BatchSize = 150, float KeepFraction = 0.1f, int TrainRows = int.MaxValue)
{
    /// <summary>
    /// The search grid. A first full run over {3e-4, 1e-3, 3e-3} chose 3e-3, the grid's edge, for every arm; a second,
    /// over {3e-4, ..., 1e-2}, chose the new edge 1e-2 for 7 of 19 arms. So it reaches 3e-2.
    /// </summary>
    public static readonly float[] SearchGrid = [3e-4f, 1e-3f, 3e-3f, 1e-2f, 3e-2f];
    public static readonly float[] QuickGrid = [1e-3f, 3e-3f, 1e-2f];
    public static readonly float[] SweepFractions = [1f, 0.5f, 0.3f, 0.1f, 0.05f];

    /// <summary>
    /// About 10 minutes on 2 busy cores: every model and estimator for a few hundred steps, the search on FC only,
    /// the ConvNet for a handful of steps (one of its steps costs ~60 of the FC net's).
    /// </summary>
    public static ExperimentPlan Quick { get; } = new("quick",
    [
        new(ExperimentData.Fashion, ModelZoo.FullyConnected, 300, 3, 50, QuickGrid, 100),
        new(ExperimentData.Mnist, ModelZoo.FullyConnected, 200, 3, 50, [1e-3f], 0, FinalTestRows: 2000),
        new(ExperimentData.Fashion, ModelZoo.Irnn, 200, 3, 50, [1e-3f], 0, ClipNorm: 1f),
        new(ExperimentData.Fashion, ModelZoo.ConvNet, 10, 1, 10, [1e-3f], 0, LossRows: 250, CurveTestRows: 250, FinalTestRows: 500),
    ],
    new SweepPlan(ExperimentData.Fashion, ModelZoo.FullyConnected, SweepFractions, 300, 1),
    MeasureMemory: false);

    /// <summary>
    /// The run behind docs/results.md: scaled down from the paper's 20,000 steps to fit a shared 2-core machine
    /// (the learning-rate decay is scaled with it: ten ×0.6 steps per run).
    /// </summary>
    public static ExperimentPlan Full { get; } = new("full",
    [
        new(ExperimentData.Fashion, ModelZoo.FullyConnected, 1500, 3, 100, SearchGrid, 300),
        new(ExperimentData.Mnist, ModelZoo.FullyConnected, 1000, 3, 100, SearchGrid, 200, FinalTestRows: 2000),
        new(ExperimentData.Fashion, ModelZoo.Irnn, 500, 3, 50, SearchGrid, 150, ClipNorm: 1f),
        // ConvNet searches of 150 steps, half a run like the IRNN's: 60-step ones squeezed the ten decays into 60 steps and
        // chose rates that ended 0.3–1.5 points lower (docs/results.md).
        new(ExperimentData.Fashion, ModelZoo.ConvNet, 300, 3, 30, SearchGrid, 150, LossRows: 500, CurveTestRows: 500, FinalTestRows: 2000),
    ],
    new SweepPlan(ExperimentData.Fashion, ModelZoo.FullyConnected, SweepFractions, 600, 3),
    MeasureMemory: true);

    /// <summary>
    /// The paper's pixel-by-pixel IRNN (784 steps of one pixel, 100 hidden) on the MNIST subset, where activations dominate
    /// most: exact backprop keeps 49 MB a step at batch 150, RAD f = 0.1 6.7 MB. Not in the full plan: one of its steps costs
    /// 30–170 ms on this project's 2-core VMs, so each arm runs 1,000 steps at the row IRNN's rate and clipping, no search.
    /// </summary>
    public static ExperimentPlan Pixel { get; } = new("pixel",
    [
        new(ExperimentData.Mnist, ModelZoo.PixelIrnn, 1000, 3, 100, [1e-3f], 0, LossRows: 1000, CurveTestRows: 1000, FinalTestRows: 2000, ClipNorm: 1f),
    ],
    Sweep: null,
    MeasureMemory: false);

    /// <summary>Seconds-long plan for the test suite: 300 training rows, two estimators, one seed.</summary>
    public static ExperimentPlan Tiny { get; } = new("tiny",
    [
        new(ExperimentData.Mnist, ModelZoo.FullyConnected, 6, 1, 3, [1e-3f, 3e-3f], 3, LossRows: 100, CurveTestRows: 100, FinalTestRows: 200),
    ],
    new SweepPlan(ExperimentData.Mnist, ModelZoo.FullyConnected, [1f, 0.1f], 4, 1),
    MeasureMemory: false, TrainRows: 300);

    /// <summary>Arms chosen on the command line (<c>--arms</c>), or null for the plan's own.</summary>
    public IReadOnlyCollection<string>? Arms { get; init; }

    /// <summary>Arms a comparison runs: those chosen, else all (the tiny plan keeps two to stay fast).</summary>
    public IEnumerable<string>? ArmKeys => Arms ?? (Name == "tiny" ? [EstimatorArm.ExactReduced, EstimatorArm.RadPerRow] : null);

    public static ExperimentPlan Named(string name) => name switch
    {
        "quick" => Quick,
        "full" => Full,
        "tiny" => Tiny,
        "pixel" => Pixel,
        _ => throw new ArgumentException($"Unknown plan '{name}'; use quick, full, pixel or tiny."),
    };

    /// <summary>This plan restricted to the given models (e.g. to run the ConvNet in a second process).</summary>
    public ExperimentPlan OnlyModels(IReadOnlyCollection<string> models) => this with
    {
        Comparisons = [.. Comparisons.Where(c => models.Contains(c.Model))],
        Sweep = Sweep is not null && models.Contains(Sweep.Model) ? Sweep : null,
        MeasureMemory = MeasureMemory && models.Contains("memory"),
    };
}
