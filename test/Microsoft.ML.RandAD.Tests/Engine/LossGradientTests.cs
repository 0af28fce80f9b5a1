using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>Each loss's value against a double-precision definition, its gradient against central differences.</summary>
[TestClass]
public sealed class LossGradientTests
{
    [TestMethod]
    [DataRow(LossKind.SoftmaxCrossEntropy, 10)]
    [DataRow(LossKind.SoftmaxCrossEntropy, 2)]
    [DataRow(LossKind.SoftmaxCrossEntropy, 40)] // wide rows: reduced through TensorPrimitives
    [DataRow(LossKind.BinaryCrossEntropy, 1)]
    [DataRow(LossKind.MeanSquaredError, 1)]
    [DataRow(LossKind.MeanSquaredError, 3)]
    [DataRow(LossKind.Huber, 1)]
    [DataRow(LossKind.Huber, 4)]
    public void ValueAndGradient(LossKind kind, int width)
    {
        const int batch = 9;
        var spec = new LossSpec(kind, HuberDelta: 0.7f);
        var loss = LayerFactory.CreateLoss(spec);
        var random = new Random(3);
        float[] z = Enumerable.Range(0, batch * width).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        int targetWidth = loss.TargetWidth(width);
        float[] targets = Enumerable.Range(0, batch * targetWidth).Select(_ => kind switch
        {
            LossKind.SoftmaxCrossEntropy => random.Next(width),
            LossKind.BinaryCrossEntropy => random.Next(2),
            _ => (float)(random.NextDouble() * 4 - 2),
        }).ToArray();
        float[] weights = Enumerable.Range(0, batch).Select(_ => (float)(random.NextDouble() + 0.25)).ToArray();

        foreach (float[]? w in new[] { null, weights })
        {
            float[] gradient = new float[z.Length];
            double value = loss.Evaluate(z, targets, w, batch, width, gradient);
            double[] zd = GradientCheck.ToDouble(z);
            double expected = Oracle.Loss(spec, zd, targets, w, batch, width);
            Assert.AreEqual(expected, value, 1e-5 * Math.Max(1, Math.Abs(expected)), $"{kind} value");
            GradientCheck.CompareWithDifferences(gradient, zd, v => Oracle.Loss(spec, v, targets, w, batch, width), random, 100, 1e-4, $"{kind} gradient");

            // The network evaluates in place: the gradient overwriting the outputs it is computed from.
            float[] inPlace = (float[])z.Clone();
            Assert.AreEqual(value, loss.Evaluate(inPlace, targets, w, batch, width, inPlace), $"{kind} value in place");
            CollectionAssert.AreEqual(gradient, inPlace, $"{kind} gradient in place");
        }
    }

    [TestMethod]
    public void SoftmaxCrossEntropyIsStableForHugeLogits()
    {
        var loss = LayerFactory.CreateLoss(new LossSpec(LossKind.SoftmaxCrossEntropy));
        float[] z = [1000f, -1000f, 999f];
        float[] gradient = new float[3];
        double value = loss.Evaluate(z, [2f], default, 1, 3, gradient);
        Assert.AreEqual(1.0 + Math.Log(1 + Math.Exp(-1)), value, 1e-5);
        Assert.IsTrue(gradient.All(float.IsFinite));
    }

    [TestMethod]
    public void BinaryCrossEntropyIsStableForHugeLogits()
    {
        var loss = LayerFactory.CreateLoss(new LossSpec(LossKind.BinaryCrossEntropy));
        float[] gradient = new float[2];
        double value = loss.Evaluate([80f, -80f], [0f, 1f], default, 2, 1, gradient);
        Assert.AreEqual(80.0, value, 1e-4);
        Assert.AreEqual(0.5f, gradient[0], 1e-6f);
        Assert.AreEqual(-0.5f, gradient[1], 1e-6f);
    }

    [TestMethod]
    public void ClassIndexOutOfRangeIsAnError()
    {
        var loss = LayerFactory.CreateLoss(new LossSpec(LossKind.SoftmaxCrossEntropy));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => loss.Evaluate([1f, 2f], [2f], default, 1, 2, new float[2]));
    }
}
