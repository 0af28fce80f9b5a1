using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class BitMaskTests
{
    public static IEnumerable<object[]> Lengths() =>
        KernelTestCases.EdgeLengths.Concat([(1 << 18) + 64, (1 << 20) + 37]).Select(n => new object[] { n });

    /// <summary>Random values salted with the cases where max and select differ: NaN, ±0, ±∞, subnormals.</summary>
    private static float[] Inputs(int length, int seed)
    {
        float[] x = KernelTestCases.RandomFloats(length, seed);
        float[] special = [float.NaN, -0f, 0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, -float.NaN];
        var random = new Random(seed + 1);
        for (int i = 0; i < length; i += 1 + random.Next(7))
        {
            x[i] = special[random.Next(special.Length)];
        }

        return x;
    }

    [TestMethod]
    [DynamicData(nameof(Lengths))]
    public void ForwardKernelsMatchScalarOnEveryPath(int length)
    {
        float[] x = Inputs(length, length);
        int words = BitMask.WordCount(length);
        var expectedMask = new ulong[words];
        var expectedRelu = new float[length];
        var expectedLeaky = new float[length];
        var expectedLeakyMask = new ulong[words];
        using (KernelSettings.Use(KernelPath.Scalar, 1))
        {
            BitMask.ReluForward(x, expectedRelu, expectedMask);
            BitMask.LeakyReluForward(x, 0.01f, expectedLeaky, expectedLeakyMask);
        }

        KernelTestCases.AssertEqual<ulong>(expectedMask, expectedLeakyMask, "ReLU and LeakyReLU masks");
        for (int i = 0; i < length; i++)
        {
            bool positive = x[i] > 0;
            if (positive != (((expectedMask[i >> 6] >> (i & 63)) & 1) == 1) || BitConverter.SingleToInt32Bits(positive ? x[i] : 0f) != BitConverter.SingleToInt32Bits(expectedRelu[i]))
            {
                Assert.Fail($"scalar ReLU of element {i} = {x[i]}: mask word {expectedMask[i >> 6]:x}, y = {expectedRelu[i]}");
            }
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            // Garbage in the outputs must be overwritten, including mask bits past the end.
            var mask = Enumerable.Repeat(ulong.MaxValue, words).ToArray();
            BitMask.PackGreaterThanZero(x, mask);
            KernelTestCases.AssertEqual<ulong>(expectedMask, mask, "PackGreaterThanZero");

            var y = Enumerable.Repeat(float.NaN, length).ToArray();
            mask.AsSpan().Fill(ulong.MaxValue);
            BitMask.ReluForward(x, y, mask);
            KernelTestCases.AssertBitEqual(expectedRelu, y, "ReluForward y");
            KernelTestCases.AssertEqual<ulong>(expectedMask, mask, "ReluForward mask");

            float[] inPlace = (float[])x.Clone();
            BitMask.LeakyReluForward(inPlace, 0.01f, inPlace, mask);
            KernelTestCases.AssertBitEqual(expectedLeaky, inPlace, "LeakyReluForward in place");
            KernelTestCases.AssertEqual<ulong>(expectedMask, mask, "LeakyReluForward mask");
        });
    }

    [TestMethod]
    [DynamicData(nameof(Lengths))]
    public void ApplyMatchesScalarOnEveryPath(int length)
    {
        float[] gradient = Inputs(length, 7 * length + 3);
        var random = new Random(length);
        var mask = new ulong[BitMask.WordCount(length)];
        for (int w = 0; w < mask.Length; w++)
        {
            mask[w] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40); // bits past the end are garbage on purpose
        }

        foreach (float scale in new[] { 0f, 0.01f, -2f })
        {
            var expected = new float[length];
            using (KernelSettings.Use(KernelPath.Scalar, 1))
            {
                BitMask.Apply(mask, gradient, scale, expected);
            }

            for (int i = 0; i < length; i++)
            {
                bool set = ((mask[i >> 6] >> (i & 63)) & 1) != 0;
                float direct = set ? gradient[i] : scale * gradient[i];
                if (BitConverter.SingleToInt32Bits(direct) != BitConverter.SingleToInt32Bits(expected[i]))
                {
                    Assert.Fail($"scalar Apply element {i}: {expected[i]}, expected {direct}");
                }
            }

            KernelTestCases.ForEachPath((path, threads) =>
            {
                var destination = new float[length];
                BitMask.Apply(mask, gradient, scale, destination);
                KernelTestCases.AssertBitEqual(expected, destination, $"Apply scale {scale}");

                float[] inPlace = (float[])gradient.Clone();
                BitMask.Apply(mask, inPlace, scale, inPlace);
                KernelTestCases.AssertBitEqual(expected, inPlace, $"Apply in place, scale {scale}");
            });
        }
    }

    [TestMethod]
    public void ShortOutputsAreRejectedWithClearErrors()
    {
        var x = new float[65];
        var e = Assert.ThrowsExactly<ArgumentException>(() => BitMask.PackGreaterThanZero(x, new ulong[1]));
        StringAssert.Contains(e.Message, "65 elements need 2");
        Assert.ThrowsExactly<ArgumentException>(() => BitMask.ReluForward(x, new float[64], new ulong[2]));
        Assert.ThrowsExactly<ArgumentException>(() => BitMask.LeakyReluForward(x, 0.1f, new float[65], new ulong[1]));
        Assert.ThrowsExactly<ArgumentException>(() => BitMask.Apply(new ulong[2], x, 0f, new float[10]));
        Assert.ThrowsExactly<ArgumentException>(() => BitMask.Apply(new ulong[1], x, 0f, new float[65]));
    }
}
