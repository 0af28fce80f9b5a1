using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// Turns <see cref="RadSettings"/> into a sketch per layer. With a memory budget it picks one keep fraction for
/// every sketched layer — the largest whose predicted retained bytes fit the budget, found by bisection
/// (bytes only grow with f) — so every layer loses the same share of its input: the paper's setting, and one
/// number for a user to read back. Per-layer overrides keep their own fraction.
/// </summary>
internal static class SketchPlanner
{
    private const float SmallestFraction = 1e-4f;

    public static SketchReport Apply(Network network, RadSettings settings, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        settings.Validate();
        IReadOnlyList<Layer> layers = network.Layers;
        int offset = layers.Count - network.Spec.Layers.Count; // layers the factory inserted in front (CHW→HWC)
        var overrides = new Dictionary<int, LayerSketch>();
        foreach ((int specIndex, LayerSketch sketch) in settings.Overrides ?? new Dictionary<int, LayerSketch>())
        {
            int index = specIndex + offset;
            if (specIndex < 0 || index >= layers.Count || !IsSketchable(layers[index]))
            {
                throw new ArgumentException($"Override for layer {specIndex}: only Dense, Conv2D and recurrent layers keep a sketch (the spec has {network.Spec.Layers.Count} layers).");
            }

            overrides[index] = sketch;
        }

        float fraction = settings.KeepFraction;
        if (settings.MemoryBudgetBytes is long budget)
        {
            fraction = FractionForBudget(network, settings, overrides, batchSize, budget);
        }

        Install(network, settings, overrides, fraction);
        int[] chunks = [.. network.ChunkSizes(batchSize)];
        var report = new List<LayerMemory>();
        for (int i = 0; i < layers.Count; i++)
        {
            report.Add(new LayerMemory(i, layers[i].Description, SketchName(layers[i]), Retained(layers[i], chunks)));
        }

        return new SketchReport(batchSize, fraction, report);
    }

    /// <summary>What a layer keeps over a batch run as chunks of the given sizes.</summary>
    private static long Retained(Layer layer, int[] chunks) => chunks.Sum(rows => layer.RetainedBytes(rows));

    private static float FractionForBudget(Network network, RadSettings settings, Dictionary<int, LayerSketch> overrides, int batch, long budget)
    {
        long Bytes(float f)
        {
            // The chunks too depend on the sketches: a convolution over its kept input (or magnitude sampling's rebuilt x̂)
            // reads its pooled gradient, which narrows the widest buffer a step writes.
            Install(network, settings, overrides, f);
            int[] chunks = [.. network.ChunkSizes(batch)];
            return network.Layers.Sum(l => Retained(l, chunks));
        }

        if (Bytes(1f) <= budget)
        {
            return 1f;
        }

        long least = Bytes(SmallestFraction);
        if (least > budget)
        {
            throw new ArgumentOutOfRangeException(
                nameof(settings), budget,
                $"An activation budget of {budget:N0} bytes is below the {least:N0} bytes this network retains at batch {batch} even keeping one entry per row; raise the budget or lower the batch size.");
        }

        float low = SmallestFraction, high = 1f; // Bytes(low) ≤ budget < Bytes(high)
        for (int iteration = 0; iteration < 40 && high - low > 1e-6f; iteration++)
        {
            float middle = 0.5f * (low + high);
            if (Bytes(middle) <= budget)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private static void Install(Network network, RadSettings settings, Dictionary<int, LayerSketch> overrides, float fraction)
    {
        InstallSketches(network.Layers, settings, overrides, fraction);
        network.LinkKeptOutputs();
    }

    private static void InstallSketches(IReadOnlyList<Layer> layers, RadSettings settings, Dictionary<int, LayerSketch> overrides, float fraction)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            (RadEstimator? estimator, float f) = overrides.TryGetValue(i, out LayerSketch? own) ? (own.Estimator, own.KeepFraction) : (settings.Estimator, fraction);
            switch (layers[i])
            {
                case DenseLayer dense:
                    dense.Sketch = ForLinear(estimator ?? RadEstimator.SampledByMagnitude, f, dense.InputShape.Size, zeroCopy: true, dense.Description);
                    break;
                case RecurrentLayer recurrent:
                    recurrent.InputSketch = ForLinear(estimator ?? RadEstimator.SampledByMagnitude, f, recurrent.InputShape.StepSize, zeroCopy: false, recurrent.Description);
                    recurrent.HiddenSketch = ForLinear(estimator ?? RadEstimator.SampledByMagnitude, f, recurrent.OutputShape.Size, zeroCopy: false, recurrent.Description);
                    break;
                case Conv2DLayer conv:
                    conv.Sketch = ForConvolution(estimator ?? RadEstimator.SampledByMagnitude, f, conv.Geometry.Height * conv.Geometry.Width, conv.Description);
                    break;
            }
        }
    }

    /// <summary>
    /// The sketch of a Dense or recurrent input of <paramref name="size"/> entries per row. Magnitude sampling needs room
    /// for the row's norm and one index: where ⌈f·D⌉ floats cannot hold them (f·D ≤ 1), the row is sampled uniformly.
    /// </summary>
    private static InputSketch ForLinear(RadEstimator estimator, float f, int size, bool zeroCopy, string layer) => f >= 1f || estimator == RadEstimator.Exact
        ? new ExactSketch(zeroCopy)
        : estimator switch
        {
            RadEstimator.SampledPerRow => new SampledColumnsSketch(f, shared: false),
            RadEstimator.SampledShared => new SampledColumnsSketch(f, shared: true),
            RadEstimator.SampledByMagnitude => KeepFraction.MagnitudeFits(f, size) ? new MagnitudeColumnsSketch(f) : new SampledColumnsSketch(f, shared: false),
            RadEstimator.RademacherProjection => new ProjectionSketch(f, gaussian: false),
            RadEstimator.GaussianProjection => new ProjectionSketch(f, gaussian: true),
            _ => throw new ArgumentException($"{layer}: unknown estimator {estimator}."),
        };

    /// <summary>The sketch of a convolution input of planes of <paramref name="plane"/> positions (uniform positions where magnitude sampling does not fit, as for <see cref="ForLinear"/>).</summary>
    private static ImageSketch ForConvolution(RadEstimator estimator, float f, int plane, string layer) => f >= 1f || estimator == RadEstimator.Exact
        ? new ExactImageSketch()
        : estimator switch
        {
            RadEstimator.SampledPerRow => new SampledPositionsSketch(f),
            RadEstimator.SampledShared => new SharedPositionsSketch(f),
            RadEstimator.SampledByMagnitude => KeepFraction.MagnitudeFits(f, plane) ? new MagnitudePositionsSketch(f) : new SampledPositionsSketch(f),
            _ => throw new ArgumentException($"{layer}: {estimator} is available for Dense and recurrent layers; a Conv2D layer samples positions (SampledPerRow, SampledShared or SampledByMagnitude)."),
        };

    private static bool IsSketchable(Layer layer) => layer is DenseLayer or Conv2DLayer or RecurrentLayer;

    private static string SketchName(Layer layer) => layer switch
    {
        DenseLayer dense => dense.Sketch.Description,
        Conv2DLayer conv => conv.Sketch.Description,
        RecurrentLayer recurrent => recurrent.InputSketch.Description,
        _ => layer.RetainedBytes(1) > 0 ? "exact" : "-",
    };
}
