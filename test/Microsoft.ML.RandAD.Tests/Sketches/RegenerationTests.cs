using System.Reflection;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;
using Microsoft.ML.RandAD.Tests.Engine;

namespace Microsoft.ML.RandAD.Tests.Sketches;

/// <summary>The backward pass regenerates the forward pass's sample from the stored seed, and a different one is caught.</summary>
[TestClass]
public sealed class RegenerationTests
{
    public static IEnumerable<object[]> Cases => SketchCases.All;

    public static IEnumerable<object[]> RegeneratedCases => SketchCases.Regenerated;

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void BackwardTwiceFromTheSameStateGivesIdenticalGradients(string name)
    {
        (LayerHarness harness, float[] upstream) = Forwarded(SketchCases.Create(name));
        float[] dx1 = harness.Backward(upstream);
        float[] g1 = (float[])harness.Gradients.Clone();
        float[] dx2 = harness.Backward(upstream);
        CollectionAssert.AreEqual(g1, harness.Gradients, $"{name}: weight gradient");
        CollectionAssert.AreEqual(dx1, dx2, $"{name}: input gradient");
    }

    [TestMethod]
    [DynamicData(nameof(RegeneratedCases))]
    public void RegeneratingWithADifferentSeedIsCaught(string name)
    {
        Layer layer = SketchCases.Create(name);
        (LayerHarness harness, float[] upstream) = Forwarded(layer);
        foreach (object sketch in Sketches(layer))
        {
            // Flip one bit of the stored seed, as a regeneration from the wrong seed would see it.
            foreach (RetainedBlock<ulong> seal in Seals(sketch))
            {
                harness.Context.Kept(seal)[0] ^= 1;
            }
        }

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => harness.Backward(upstream), name);
        StringAssert.Contains(error.Message, "regenerated a different random sample");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void DifferentStepsDrawDifferentSamples(string name)
    {
        (LayerHarness harness, float[] upstream) = Forwarded(SketchCases.Create(name));
        harness.Backward(upstream);
        float[] first = (float[])harness.Gradients.Clone();
        harness.Context.StepSeed += 1;
        harness.Forward(Input(harness.Layer));
        harness.Backward(upstream);
        CollectionAssert.AreNotEqual(first, harness.Gradients, $"{name}: two steps drew the same sample");
    }

    private static (LayerHarness, float[]) Forwarded(Layer layer)
    {
        var harness = new LayerHarness(layer, 4, seed: 2);
        harness.Forward(Input(layer));
        var random = new Random(4);
        return (harness, Enumerable.Range(0, 4 * layer.OutputShape.Size).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
    }

    private static float[] Input(Layer layer)
    {
        var random = new Random(6);
        return Enumerable.Range(0, 4 * layer.InputShape.Size).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static IEnumerable<object> Sketches(Layer layer) => layer switch
    {
        DenseLayer d => [d.Sketch],
        Conv2DLayer c => [c.Sketch],
        RecurrentLayer r => [r.InputSketch, r.HiddenSketch],
        _ => [],
    };

    private static IEnumerable<RetainedBlock<ulong>> Seals(object sketch)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.NonPublic;
        FieldInfo field = sketch.GetType().GetField("_seals", flags) ?? sketch.GetType().GetField("_seal", flags)!;
        return ((KeptTable<ulong>)field.GetValue(sketch)!).All;
    }
}
