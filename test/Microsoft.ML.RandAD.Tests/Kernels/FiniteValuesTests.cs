using System.Numerics.Tensors;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary><see cref="FiniteValues.All"/>: TensorPrimitives.IsFiniteAll's answer on every path, for every length and position.</summary>
[TestClass]
[DoNotParallelize] // KernelSettings are process-wide.
public sealed class FiniteValuesTests
{
    [TestMethod]
    public void FindsEveryNonFiniteValueWhereverItIs()
    {
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -float.NaN];
        float[] finite = [float.MaxValue, -float.MaxValue, float.Epsilon, -0f, 0f, 1e-40f, 3.5f];
        KernelTestCases.ForEachPath((path, threads) =>
        {
            foreach (int length in Enumerable.Range(1, 70).Concat([784]))
            {
                float[] x = [.. Enumerable.Range(0, length).Select(i => finite[i % finite.Length])];
                Assert.IsTrue(FiniteValues.All(x), $"{path}: {length} finite values");
                Assert.IsTrue(FiniteValues.All(x.AsSpan(0, 0)), "no values");
                foreach (int at in new[] { 0, length / 2, length - 1 }.Distinct())
                {
                    foreach (float special in specials)
                    {
                        float kept = x[at];
                        x[at] = special;
                        Assert.AreEqual(TensorPrimitives.IsFiniteAll(x), FiniteValues.All(x), $"{path}: {special} at {at} of {length}");
                        Assert.IsFalse(FiniteValues.All(x), $"{path}: {special} at {at} of {length}");
                        x[at] = kept;
                    }
                }
            }
        });
    }
}
