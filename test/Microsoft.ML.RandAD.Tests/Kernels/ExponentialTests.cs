using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>The loss's exponential: within 2e-7 of e^x on every path and length, TensorPrimitives.Exp's bits where both run 16-float vectors.</summary>
[TestClass]
[DoNotParallelize] // KernelSettings is process-wide.
public sealed class ExponentialTests
{
    [TestMethod]
    public void MatchesTensorPrimitivesOnEveryPathAndLength()
    {
        foreach (int length in KernelTestCases.EdgeLengths)
        {
            var random = new Random(length + 1);
            // Shifted logits lie in (−∞, 0]; include the underflow range, 0 and a few positive values.
            float[] x = [.. Enumerable.Range(0, length).Select(i => i % 17 == 3 ? 0f : (float)((random.NextDouble() * 110) - 100))];
            float[] expected = new float[length];
            TensorPrimitives.Exp(x, expected);
            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] actual = [.. x, -1f];
                Exponential.InPlace(actual.AsSpan(0, length));
                Assert.AreEqual(-1f, actual[length], "an element past the span was written");
                for (int i = 0; i < length; i++)
                {
                    double exact = Math.Exp(x[i]);
                    Assert.AreEqual(exact, actual[i], (2e-7 * exact) + 1e-45, $"e^{x[i]} on {path}");
                }

                // Where TensorPrimitives runs whole vectors of the same width, the same function gives the same bits.
                if (path == KernelPath.Vector512 && length >= 16)
                {
                    KernelTestCases.AssertBitEqual(expected, actual.AsSpan(0, length), $"e^x, {length} floats on {path}");
                }
            });
        }
    }
}
