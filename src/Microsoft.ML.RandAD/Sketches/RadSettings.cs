namespace Microsoft.ML.RandAD.Sketches;

/// <summary>How a layer keeps its input for the weight gradient (RAD estimators, RAD-METHOD.md §3).</summary>
public enum RadEstimator
{
    /// <summary>Plain backpropagation: the exact input is kept.</summary>
    Exact,

    /// <summary>
    /// "Different sample": every row (for a convolution, every (example, channel) plane) keeps k = ⌈f·D⌉ of its
    /// D entries, drawn with replacement, scaled by D/k.
    /// </summary>
    SampledPerRow,

    /// <summary>
    /// "Same sample": one index set (for a convolution, one set of positions) for the whole minibatch; the
    /// weight-gradient product then runs over the k kept columns only, about f of the exact cost.
    /// </summary>
    SampledShared,

    /// <summary>Random projection <c>x·R</c>, R of ±1/√k entries (one R per minibatch); x̂ = (xR)Rᵀ.</summary>
    RademacherProjection,

    /// <summary>Random projection <c>x·R</c>, R of N(0, 1/k) entries (one R per minibatch).</summary>
    GaussianProjection,

    /// <summary>
    /// Magnitude sampling: every row (for a convolution, every (example, channel) plane) keeps its ℓ1 norm and the
    /// indices of k draws with probability proportional to |xᵢ| (systematic sampling), each standing for
    /// ±‖x‖₁/k. Keeps no values, so k is as many indices as fit in the bytes of ⌈f·D⌉ floats (about 1.9–3.6× as many
    /// draws at f = 0.1), and zero entries are never drawn: the lowest variance at equal memory (docs/rad.md).
    /// </summary>
    SampledByMagnitude,
}

/// <summary>A per-layer choice that overrides the global RAD settings.</summary>
/// <param name="Estimator">The estimator for this layer.</param>
/// <param name="KeepFraction">Its keep fraction f in (0, 1].</param>
public sealed record LayerSketch(RadEstimator Estimator, float KeepFraction = 1f);

/// <summary>
/// The one budget knob of randomized backprop: a global keep fraction, or an activation-memory budget from
/// which the planner derives the fraction; per-layer overrides as the advanced option.
/// </summary>
public sealed record RadSettings
{
    /// <summary>No randomization: exact backprop.</summary>
    public static RadSettings Exact { get; } = new() { KeepFraction = 1f };

    /// <summary>
    /// The estimator for every sketchable layer, or null for the default: <see cref="RadEstimator.SampledByMagnitude"/>
    /// for every layer type (a twelfth to a fourteenth of uniform sampling's variance at the same memory in our
    /// measurements, docs/rad.md); <see cref="RadEstimator.SampledShared"/> trades variance for a cheaper weight gradient.
    /// </summary>
    public RadEstimator? Estimator { get; init; }

    /// <summary>Fraction f in (0, 1] of each sketched input that is kept. 1 = exact backprop.</summary>
    public float KeepFraction { get; init; } = 1f;

    /// <summary>
    /// Bytes of activations a training step may retain between forward and backward (at the training batch size).
    /// When set, the planner picks the largest single keep fraction that fits, overriding <see cref="KeepFraction"/>.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>Per-layer overrides, keyed by the layer's index in the network spec.</summary>
    public IReadOnlyDictionary<int, LayerSketch>? Overrides { get; init; }

    /// <summary>Throws when a setting is outside its range.</summary>
    public void Validate()
    {
        if (!(KeepFraction > 0f && KeepFraction <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(KeepFraction), KeepFraction, $"The keep fraction must be in (0, 1], got {KeepFraction}.");
        }

        if (MemoryBudgetBytes is long budget && budget <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), budget, "The activation memory budget must be positive.");
        }

        foreach ((int layer, LayerSketch sketch) in Overrides ?? new Dictionary<int, LayerSketch>())
        {
            if (!(sketch.KeepFraction > 0f && sketch.KeepFraction <= 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(Overrides), sketch.KeepFraction, $"The keep fraction of layer {layer} must be in (0, 1], got {sketch.KeepFraction}.");
            }
        }
    }
}

/// <summary>What one layer retains under a sketch plan.</summary>
/// <param name="Layer">Index in the engine's layer list.</param>
/// <param name="Description">The layer, e.g. <c>Dense 784→256</c>.</param>
/// <param name="Sketch">Exact, or the estimator and fraction, e.g. <c>sampled per row f=0.10</c>; "-" when the layer keeps no input.</param>
/// <param name="RetainedBytes">Bytes the layer keeps between forward and backward at the planned batch size.</param>
public sealed record LayerMemory(int Layer, string Description, string Sketch, long RetainedBytes);

/// <summary>The plan's report: per layer what it keeps, and the total at the planned batch size.</summary>
/// <param name="BatchSize">The batch size planned for.</param>
/// <param name="KeepFraction">The global fraction chosen (from the budget, or as given).</param>
/// <param name="Layers">Per layer.</param>
public sealed record SketchReport(int BatchSize, float KeepFraction, IReadOnlyList<LayerMemory> Layers)
{
    /// <summary>Total retained activation bytes per step.</summary>
    public long RetainedBytes => Layers.Sum(l => l.RetainedBytes);

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"retained activations at batch {BatchSize} (keep fraction {KeepFraction:0.###}):");
        foreach (LayerMemory layer in Layers)
        {
            text.AppendLine($"  {layer.Description,-30} {layer.Sketch,-28} {layer.RetainedBytes,14:N0} B");
        }

        text.Append($"  {"total",-59} {RetainedBytes,14:N0} B");
        return text.ToString();
    }
}
