using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Tests.Sketches;

/// <summary>Layers with each RAD estimator, small enough for thousands of draws.</summary>
internal static class SketchCases
{
    public static IEnumerable<object[]> All => Factories.Keys.Select(name => new object[] { name });

    /// <summary>The cases whose backward pass regenerates its sample from a stored seed (magnitude sampling stores its data-dependent draws instead).</summary>
    public static IEnumerable<object[]> Regenerated => Factories.Keys.Where(name => !name.Contains("magnitude", StringComparison.Ordinal)).Select(name => new object[] { name });

    public static Layer Create(string name) => Factories[name]();

    private static readonly Dictionary<string, Func<Layer>> Factories = new()
    {
        ["dense per-row"] = () => Dense(new SampledColumnsSketch(0.3f, shared: false)),
        ["dense shared"] = () => Dense(new SampledColumnsSketch(0.3f, shared: true)),
        ["dense rademacher"] = () => Dense(new ProjectionSketch(0.3f, gaussian: false)),
        ["dense gaussian"] = () => Dense(new ProjectionSketch(0.3f, gaussian: true)),
        ["dense magnitude"] = () => Dense(new MagnitudeColumnsSketch(0.3f)), // 17 draws of 20 entries: x̂ rebuilt
        ["dense magnitude sparse"] = () => Dense(new MagnitudeColumnsSketch(0.03f), inputs: 100), // 7 draws of 100: summed from them
        ["conv per-plane"] = () => Conv(new SampledPositionsSketch(0.25f)),
        ["conv shared"] = () => Conv(new SharedPositionsSketch(0.25f)),
        ["conv shared stride 2"] = () => Conv(new SharedPositionsSketch(0.25f), stride: 2, padding: 1),
        ["conv magnitude"] = () => Conv(new MagnitudePositionsSketch(0.25f)), // 24 draws of 30 positions: x̂ rebuilt
        ["conv magnitude sparse"] = () => Conv(new MagnitudePositionsSketch(0.05f)), // 3 draws: summed straight from them
        ["conv magnitude stride 2"] = () => Conv(new MagnitudePositionsSketch(0.25f), stride: 2, padding: 1),
        ["irnn per-row"] = () => Recurrent(() => new SampledColumnsSketch(0.4f, shared: false)),
        ["irnn shared"] = () => Recurrent(() => new SampledColumnsSketch(0.4f, shared: true)),
        ["irnn rademacher"] = () => Recurrent(() => new ProjectionSketch(0.4f, gaussian: false)),
        ["irnn magnitude"] = () => Recurrent(() => new MagnitudeColumnsSketch(0.4f)),
    };

    public static Layer Exact(Layer layer) => layer switch
    {
        DenseLayer d => new DenseLayer(d.InputShape, d.OutputShape.Size, Initializer.XavierUniform, new ExactSketch()),
        Conv2DLayer c => new Conv2DLayer(c.InputShape, new Conv2DSpec(c.OutputShape.Channels, c.Geometry.KernelHeight, c.Geometry.Stride, c.Geometry.Padding), Initializer.HeNormal, new ExactImageSketch()),
        RecurrentLayer r => new RecurrentLayer(r.InputShape, r.OutputShape.Size, new ExactSketch(zeroCopy: false), new ExactSketch(zeroCopy: false)),
        _ => throw new NotSupportedException(),
    };

    private static DenseLayer Dense(InputSketch sketch, int inputs = 20) => new(TensorShape.Vector(inputs), 6, Initializer.XavierUniform, sketch);

    private static Conv2DLayer Conv(ImageSketch sketch, int stride = 1, int padding = 1) =>
        new(TensorShape.Image(6, 5, 2), new Conv2DSpec(3, 3, stride, padding), Initializer.HeNormal, sketch);

    private static RecurrentLayer Recurrent(Func<InputSketch> sketch) => new(TensorShape.Sequence(4, 5), 6, sketch(), sketch());
}
