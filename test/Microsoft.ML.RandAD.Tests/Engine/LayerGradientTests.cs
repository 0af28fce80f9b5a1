using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>Every layer's backward pass against central differences of its double-precision definition.</summary>
[TestClass]
public sealed class LayerGradientTests
{
    private static readonly TensorShape Vector12 = TensorShape.Vector(12);

    [TestMethod]
    [DataRow(1)]
    [DataRow(5)]
    [DataRow(33)]
    public void Dense(int batch) =>
        GradientCheck.Layer(new DenseLayer(TensorShape.Vector(17), 9, Initializer.XavierUniform, new ExactSketch()), batch);

    [TestMethod]
    public void Relu() => GradientCheck.Layer(new ReluLayer(Vector12), 7, input: AwayFromZero);

    [TestMethod]
    public void LeakyRelu() => GradientCheck.Layer(new ReluLayer(Vector12, 0.1f), 7, input: AwayFromZero);

    [TestMethod]
    public void Tanh() => GradientCheck.Layer(new TanhLayer(Vector12), 7, input: r => (float)(r.NextDouble() * 6 - 3));

    [TestMethod]
    public void Sigmoid() => GradientCheck.Layer(new SigmoidLayer(Vector12), 7, input: r => (float)(r.NextDouble() * 10 - 5));

    [TestMethod]
    public void Gelu() => GradientCheck.Layer(new GeluLayer(Vector12), 7, input: r => (float)(r.NextDouble() * 8 - 4));

    [TestMethod]
    public void Dropout() => GradientCheck.Layer(new DropoutLayer(TensorShape.Vector(50), 0.3f), 6);

    [TestMethod]
    public void Flatten() => GradientCheck.Layer(new FlattenLayer(TensorShape.Image(3, 4, 2)), 3);

    [TestMethod]
    public void ChannelsLast() => GradientCheck.Layer(new ChannelsLastLayer(TensorShape.Image(3, 4, 5)), 2);

    [TestMethod]
    [DataRow(1, 3, 1, 0, 1)]
    [DataRow(3, 3, 1, 1, 2)]
    [DataRow(2, 5, 1, 2, 4)]
    [DataRow(3, 3, 2, 1, 3)]
    [DataRow(4, 2, 2, 0, 5)]
    [DataRow(16, 3, 1, 1, 16)] // direct forward, weight and input gradient on the 512-bit path (filters a multiple of 16)
    [DataRow(16, 3, 1, 0, 32)] // the same with two vectors of filters
    public void Conv2D(int channels, int kernel, int stride, int padding, int filters)
    {
        var layer = new Conv2DLayer(TensorShape.Image(7, 6, channels), new Conv2DSpec(filters, kernel, stride, padding), Initializer.HeNormal, new ExactImageSketch());
        GradientCheck.Layer(layer, 3);
    }

    [TestMethod]
    [DataRow(2, 2)] // winners kept in 2 bits
    [DataRow(3, 2)] // 4 bits
    [DataRow(2, 1)]
    [DataRow(5, 1)] // a byte
    public void MaxPool(int size, int stride) =>
        GradientCheck.Layer(new Pool2DLayer(TensorShape.Image(6, 7, 3), PoolKind.Max, size, stride), 2);

    [TestMethod]
    [DataRow(2, 2)]
    [DataRow(3, 1)]
    public void AvgPool(int size, int stride) =>
        GradientCheck.Layer(new Pool2DLayer(TensorShape.Image(6, 7, 3), PoolKind.Average, size, stride), 2);

    [TestMethod]
    public void BatchNormVector() => GradientCheck.Layer(new BatchNormLayer(TensorShape.Vector(6), 0.1f, 1e-5f), 9);

    [TestMethod]
    public void BatchNormImage() => GradientCheck.Layer(new BatchNormLayer(TensorShape.Image(3, 4, 5), 0.1f, 1e-5f), 3);

    [TestMethod]
    [DataRow(1, 3, 4)]
    [DataRow(6, 2, 5)]
    [DataRow(9, 1, 8)]
    public void Recurrent(int steps, int inputs, int hidden)
    {
        // Positive biases and inputs keep most units active, so gradients flow through many steps.
        var layer = new RecurrentLayer(TensorShape.Sequence(steps, inputs), hidden, new ExactSketch(zeroCopy: false), new ExactSketch(zeroCopy: false));
        GradientCheck.Layer(layer, 4, input: r => (float)r.NextDouble());
    }

    /// <summary>Inputs at least 0.05 from the ReLU kink, so a finite difference never straddles it.</summary>
    private static float AwayFromZero(Random r)
    {
        float v = (float)(r.NextDouble() * 1.9 + 0.05);
        return r.Next(2) == 0 ? v : -v;
    }
}
