using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Engine;

namespace Microsoft.ML.RandAD.Tests.Sketches;

/// <summary>The memory planner: what it predicts is what the ledger measures; budgets; the paper's table.</summary>
[TestClass]
public sealed class SketchPlannerTests
{
    private static readonly RadSettings[] Settings =
    [
        RadSettings.Exact,
        new() { KeepFraction = 0.1f },
        new() { KeepFraction = 0.37f, Estimator = RadEstimator.SampledShared },
        new() { KeepFraction = 0.2f, Estimator = RadEstimator.SampledPerRow },
        new() { KeepFraction = 0.3f, Estimator = RadEstimator.SampledByMagnitude },
    ];

    [TestMethod]
    [DynamicData(nameof(NetworkTests.Architectures), typeof(NetworkTests))]
    public void PlannedBytesEqualTheLedgerPerLayer(string name, NetworkSpec spec)
    {
        foreach (RadSettings settings in Settings)
        {
            var network = Network.Create(spec, seed: 2);
            SketchReport report = network.ConfigureSketches(settings, batchSize: 6);
            network.BeginStep(6).Fill(0.25f);
            int width = spec.Loss.Kind is LossKind.MeanSquaredError or LossKind.Huber ? network.OutputSize : 1;
            network.ForwardBackward(new float[6 * width]);
            for (int i = 0; i < report.Layers.Count; i++)
            {
                Assert.AreEqual(report.Layers[i].RetainedBytes, network.Ledger.LayerRetainedBytes(i), $"{name}, f={settings.KeepFraction}: layer {report.Layers[i].Description} ({report.Layers[i].Sketch})");
            }

            Assert.AreEqual(report.RetainedBytes, network.Ledger.RetainedBytes, $"{name}: total");
        }
    }

    /// <summary>RAD-METHOD.md §4: the FC net 784-300-300-300-10 at batch 150, MB = 10⁶ bytes, including 4·|params|.</summary>
    [TestMethod]
    [DataRow(1.0f, 2.69)]
    [DataRow(0.5f, 2.21)]
    [DataRow(0.1f, 1.80)]
    public void LedgerReproducesThePapersTableForTheFullyConnectedNet(float fraction, double paperMegabytes)
    {
        var network = Network.Create(NetworkSpec.Mlp(784, [300, 300, 300], 10, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 1);
        network.ConfigureSketches(new RadSettings { KeepFraction = fraction, Estimator = RadEstimator.SampledPerRow }, 150);
        network.BeginStep(150).Fill(0.5f);
        network.ForwardBackward(new float[150]);
        double megabytes = (network.Ledger.RetainedBytes + network.Ledger.ParameterBytes) / 1e6;
        Assert.AreEqual(paperMegabytes, megabytes, 0.01 * paperMegabytes, $"measured {megabytes:F4} MB");
    }

    [TestMethod]
    public void ABudgetBuysTheLargestFractionThatFits()
    {
        var spec = NetworkSpec.Mlp(784, [300, 300, 300], 10, new LossSpec(LossKind.SoftmaxCrossEntropy));
        var network = Network.Create(spec, seed: 1);
        long exact = network.ConfigureSketches(RadSettings.Exact, 150).RetainedBytes;
        long budget = exact / 4;
        SketchReport report = network.ConfigureSketches(new RadSettings { MemoryBudgetBytes = budget }, 150);
        Assert.IsTrue(report.RetainedBytes <= budget, $"{report.RetainedBytes} > {budget}");
        Assert.IsTrue(report.KeepFraction is > 0.05f and < 0.3f, $"fraction {report.KeepFraction}");

        long above = Network.Create(spec, 1).ConfigureSketches(new RadSettings { KeepFraction = report.KeepFraction + 0.01f }, 150).RetainedBytes;
        Assert.IsTrue(above > budget, "a visibly larger fraction would still have fit");

        Assert.AreEqual(1f, network.ConfigureSketches(new RadSettings { MemoryBudgetBytes = exact }, 150).KeepFraction);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => network.ConfigureSketches(new RadSettings { MemoryBudgetBytes = 1000 }, 150));
        StringAssert.Contains(error.Message, "raise the budget");
    }

    /// <summary>
    /// The CNN at batch 128 runs as one chunk exactly (its first convolution reads the pooled gradient) and as two sketched
    /// per plane (whose first convolution sums its gradient from its samples: the gradient is then written out, twice as
    /// wide): the planner counts the chunks of the sketches it tries, so the budget holds and the ledger of a step equals the plan.
    /// </summary>
    [TestMethod]
    public void ABudgetHoldsWhereTheSketchesChangeTheChunks()
    {
        NetworkSpec spec = TestNetworks.FashionCnn;
        const int batch = 128;
        var network = Network.Create(spec, seed: 1);
        long exact = network.ConfigureSketches(RadSettings.Exact, batch).RetainedBytes;
        Assert.HasCount(1, network.ChunkSizes(batch), "exact: one chunk");

        long budget = exact / 4;
        SketchReport report = network.ConfigureSketches(new RadSettings { MemoryBudgetBytes = budget, Estimator = RadEstimator.SampledPerRow }, batch);
        Assert.HasCount(2, network.ChunkSizes(batch), "sketched: two chunks");
        Assert.IsLessThanOrEqualTo(budget, report.RetainedBytes, "the plan fits the budget");
        network.BeginStep(batch).Fill(0.5f);
        network.ForwardBackward(new float[batch]);
        Assert.AreEqual(report.RetainedBytes, network.Ledger.RetainedBytes, "the ledger of a step equals the plan");

        // Magnitude sampling (the default) rebuilds the first convolution's x̂ and reads the pooled gradient: one chunk again.
        report = network.ConfigureSketches(new RadSettings { MemoryBudgetBytes = budget }, batch);
        Assert.HasCount(1, network.ChunkSizes(batch), "sketched by magnitude: one chunk");
        Assert.IsLessThanOrEqualTo(budget, report.RetainedBytes, "the plan fits the budget");
    }

    [TestMethod]
    public void OverridesApplyToTheNamedLayerOnly()
    {
        var spec = NetworkSpec.Mlp(100, [50, 50], 10, new LossSpec(LossKind.SoftmaxCrossEntropy));
        var network = Network.Create(spec, seed: 1);
        SketchReport report = network.ConfigureSketches(
            new RadSettings { KeepFraction = 0.5f, Overrides = new Dictionary<int, LayerSketch> { [2] = new(RadEstimator.RademacherProjection, 0.2f), [4] = new(RadEstimator.Exact) } }, 10);
        StringAssert.Contains(report.Layers[0].Sketch, "per row f=0.5");
        StringAssert.Contains(report.Layers[2].Sketch, "Rademacher projection f=0.2");
        Assert.AreEqual("exact", report.Layers[4].Sketch);
        Assert.ThrowsExactly<ArgumentException>(() => network.ConfigureSketches(new RadSettings { Overrides = new Dictionary<int, LayerSketch> { [1] = new(RadEstimator.Exact) } }, 10));
    }

    [TestMethod]
    public void MagnitudeSamplingFallsBackToUniformWhereItsCodesDoNotFit()
    {
        // Pixel-by-pixel input (1 value per step): ⌈0.1·1⌉ = 1 float cannot hold a norm and an index.
        var spec = new NetworkSpec(InputSpec.Sequence(7, 1), [new RecurrentSpec(40), new DenseSpec(3)], new LossSpec(LossKind.SoftmaxCrossEntropy));
        var network = Network.Create(spec, seed: 1);
        SketchReport report = network.ConfigureSketches(new RadSettings { KeepFraction = 0.1f }, 8);
        var recurrent = (Microsoft.ML.RandAD.Layers.RecurrentLayer)network.Layers[0];
        StringAssert.StartsWith(recurrent.InputSketch.Description, "sampled per row");
        StringAssert.StartsWith(recurrent.HiddenSketch.Description, "by magnitude");
        StringAssert.StartsWith(report.Layers[1].Sketch, "by magnitude");
        Assert.IsFalse(KeepFraction.MagnitudeFits(0.1f, 1));
        Assert.IsTrue(KeepFraction.MagnitudeFits(0.1f, 40));
    }

    [TestMethod]
    public void ConvolutionRejectsProjections()
    {
        var spec = new NetworkSpec(InputSpec.Image(1, 8, 8), [new Conv2DSpec(2, 3), new FlattenSpec(), new DenseSpec(2)], new LossSpec(LossKind.SoftmaxCrossEntropy));
        var error = Assert.ThrowsExactly<ArgumentException>(() => Network.Create(spec, 1).ConfigureSketches(new RadSettings { KeepFraction = 0.5f, Estimator = RadEstimator.GaussianProjection }, 4));
        StringAssert.Contains(error.Message, "Conv2D");
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(1.5f)]
    [DataRow(float.NaN)]
    public void KeepFractionOutsideTheUnitIntervalIsRejected(float fraction) =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RadSettings { KeepFraction = fraction }.Validate());
}
