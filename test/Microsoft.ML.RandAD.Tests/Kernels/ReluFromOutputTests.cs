using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
public sealed class ReluFromOutputTests
{
    [TestMethod]
    [DataRow(0f)]
    [DataRow(0.2f)]
    public void BackwardMatchesTheDefinitionOnEveryPathAndSplit(float slope)
    {
        // Edge lengths, and one past 2^17 so the work is split over the threads.
        foreach (int length in KernelTestCases.EdgeLengths.Append((1 << 17) + 37))
        {
            float[] x = KernelTestCases.RandomFloats(length, seed: length);
            float[] y = [.. x.Select(v => v > 0 ? v : slope * v)];
            float[] g = KernelTestCases.RandomFloats(length, seed: length + 1);
            float[] expected = [.. Enumerable.Range(0, length).Select(i => x[i] > 0 ? g[i] : slope * g[i])];
            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] d = new float[length + 3];
                d.AsSpan().Fill(float.NaN); // poisoned: every element must be written, none past the end
                ReluFromOutput.Backward(y, g, slope, d);
                CollectionAssert.AreEqual(expected, d.AsSpan(0, length).ToArray(), $"length {length}");
                Assert.IsTrue(d.AsSpan(length).ToArray().All(float.IsNaN), "nothing written past the end");
            });
        }
    }

    [TestMethod]
    public void ForwardIsMaxWithZeroOnEveryPathAndSplit()
    {
        foreach (int length in KernelTestCases.EdgeLengths.Append((1 << 17) + 37))
        {
            float[] x = KernelTestCases.RandomFloats(length, seed: length + 2);
            if (length > 3)
            {
                (x[0], x[1], x[2]) = (float.NaN, -0f, 0f); // signs of zero and NaN as a single max over all of it gives them
            }

            float[] expected = new float[length];
            System.Numerics.Tensors.TensorPrimitives.Max(x, 0f, expected);
            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] y = new float[length + 3];
                y.AsSpan().Fill(float.NaN);
                ReluFromOutput.Forward(x, y);
                CollectionAssert.AreEqual(
                    expected.Select(BitConverter.SingleToInt32Bits).ToArray(), y.AsSpan(0, length).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray(),
                    $"length {length}, {path} ×{threads}");
                Assert.IsTrue(y.AsSpan(length).ToArray().All(float.IsNaN), "nothing written past the end");
                Assert.IsTrue(y.AsSpan(0, length).ToArray().All(v => float.IsNaN(v) || v >= 0), "no negative output");
            });
        }
    }
}
