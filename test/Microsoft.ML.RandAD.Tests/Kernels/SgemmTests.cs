using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>
/// SGEMM against a double-precision reference, under every kernel path this machine supports and with
/// 1 and 2 threads; plus reproducibility, allocation and argument checks.
/// </summary>
[TestClass]
[DoNotParallelize] // KernelSettings is process-wide.
public sealed class SgemmTests
{
    private static readonly GemmCase[] s_cases = [.. BuildCases()];

    /// <summary>Every path the tests run (<see cref="KernelTestCases.Paths"/>) × 1 and 2 threads.</summary>
    public static IEnumerable<object[]> Configurations =>
        KernelTestCases.Paths.SelectMany(path => new[] { new object[] { path, 1 }, new object[] { path, 2 } });

    [TestMethod]
    [DynamicData(nameof(Configurations))]
    public void MatchesDoubleReference(KernelPath path, int threads)
    {
        using (KernelSettings.Use(path, threads))
        {
            double worst = 0;
            foreach (GemmCase g in s_cases)
            {
                worst = Math.Max(worst, g.Check(g.Run(), $"{path}, {threads} thread(s)"));
            }

            Console.WriteLine($"{path}, {threads} thread(s): {s_cases.Length} cases, worst normalized error {worst:E2}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Configurations))]
    public void RepeatedCallsAreBitIdentical(KernelPath path, int threads)
    {
        GemmCase[] shapes =
        [
            new(false, false, 128, 256, 784, 1, 0),
            new(true, false, 784, 256, 128, 1, 1),
            new(false, true, 128, 784, 256, 1, 0),
            new(false, true, 2000, 16, 25, 1, 0),
            new(false, false, 37, 11, 301, -0.5f, 0.25f),
        ];
        using (KernelSettings.Use(path, threads))
        {
            foreach (GemmCase g in shapes)
            {
                float[] first = g.Run();
                for (int repeat = 0; repeat < 3; repeat++)
                {
                    CollectionAssert.AreEqual(first, g.Run(), $"{path}, {threads} thread(s): {g} changed between calls.");
                }
            }
        }
    }

    [TestMethod]
    public void ResultDoesNotDependOnThreadCount()
    {
        // Stronger than the contract (bit-identical for a given thread count): the k blocking and the
        // summation order do not depend on how C is split, so 1, 2 and 3 threads agree exactly.
        var g = new GemmCase(false, true, 203, 781, 397, 1.5f, 0.5f, PadA: 3, PadB: 1, PadC: 5);
        foreach (KernelPath path in KernelTestCases.Paths)
        {
            float[] single;
            using (KernelSettings.Use(path, 1))
            {
                single = g.Run();
            }

            foreach (int threads in new[] { 2, 3 })
            {
                using (KernelSettings.Use(path, threads))
                {
                    CollectionAssert.AreEqual(single, g.Run(), $"{path}: {threads} threads differ from 1.");
                }
            }
        }
    }

    [TestMethod]
    [DynamicData(nameof(Configurations))]
    public void RowsInTheLastTileGetTheBitsOfAFullTile(KernelPath path, int threads)
    {
        // The last tile of an m that is not a multiple of the tile's rows may run a shorter kernel (AVX-512: six rows of
        // twelve); its rows must still be the exact sums a full tile gives. So C's first m rows are computed twice: alone,
        // and as the top of a taller product whose extra rows put them in full tiles. Both transposes of A (its two
        // packed layouts), tails on both sides of six rows, and a k past one k block.
        var random = new Random(7);
        using (KernelSettings.Use(path, threads))
        {
            foreach (bool transposeA in new[] { false, true })
            {
                foreach (int m in new[] { 253, 254, 256, 258, 259, 263 }) // 21 full tiles and 1, 2, 4, 6, 7, 11 rows
                {
                    const int n = 80, k = 449, extra = 12;
                    int tall = m + extra;
                    float[] a = KernelTestCases.RandomFloats(tall * k, random.Next());
                    float[] b = KernelTestCases.RandomFloats(k * n, random.Next());
                    float[] alone = new float[m * n], top = new float[tall * n];

                    // A stored k×tall when transposed: the first m columns are the short product's A with lda = tall.
                    int lda = transposeA ? tall : k;
                    Sgemm.Multiply(transposeA, false, m, n, k, 1, a, lda, b, n, 0, alone, n);
                    Sgemm.Multiply(transposeA, false, tall, n, k, 1, a, lda, b, n, 0, top, n);
                    KernelTestCases.AssertBitEqual(top.AsSpan(0, m * n), alone, $"{path}, {threads} thread(s), {(transposeA ? "TN" : "NN")} m={m}");
                }
            }
        }
    }

    [TestMethod]
    [DynamicData(nameof(Configurations))]
    public void SteadyStateCallsAllocateNothing(KernelPath path, int threads)
    {
        float[] a = new float[256 * 784], b = new float[784 * 256], c = new float[256 * 256];
        using (KernelSettings.Use(path, threads))
        {
            void Calls()
            {
                Sgemm.Multiply(false, false, 128, 256, 784, 1, a, 784, b, 256, 0, c, 256); // packed, threaded
                Sgemm.Multiply(true, false, 256, 128, 128, 1, a, 256, b, 128, 1, c, 128);  // packed, A copied
                Sgemm.Multiply(false, true, 20, 10, 30, 1, a, 30, b, 30, 0, c, 10);        // direct, B transposed
                Sgemm.Multiply(false, false, 5, 3, 0, 1, a, 1, b, 3, 2, c, 3);             // k = 0: C scaled
            }

            Calls();

            // A per-call allocation shows in every round; the runtime's own one-off work (a type or its
            // statics loaded late, seen once in ~20 runs under the test host) shows in one at most.
            long fewest = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 5; i++)
                {
                    Calls();
                }

                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            Assert.AreEqual(0L, fewest, $"{path}, {threads} thread(s): every round of steady-state calls allocated, at least {fewest} bytes.");
        }
    }

    [TestMethod]
    public void AlphaZeroScalesCWithoutReadingAOrB()
    {
        float[] a = [float.NaN, float.NaN], b = [float.NaN, float.NaN], c = [1, 2, float.NaN, 4];
        Sgemm.Multiply(false, false, 2, 2, 1, 0, a, 1, b, 2, 2, c, 2);
        CollectionAssert.AreEqual(new float[] { 2, 4, float.NaN, 8 }, c, "alpha = 0: C = beta·C, A and B not used.");
        Sgemm.Multiply(false, false, 2, 2, 1, 0, a, 1, b, 2, 0, c, 2);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0 }, c, "alpha = 0, beta = 0: C cleared, NaN included.");
    }

    [TestMethod]
    public void InvalidArgumentsThrowNamingTheArgument()
    {
        float[] buffer = new float[100];
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, -1, 2, 2, 1, buffer, 2, buffer, 2, 0, buffer, 2));
        Assert.AreEqual("lda", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, 3, 3, 4, 1, buffer, 3, buffer, 3, 0, buffer, 3)).ParamName);
        Assert.AreEqual("ldb", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, true, 3, 3, 4, 1, buffer, 4, buffer, 3, 0, buffer, 3)).ParamName);
        Assert.AreEqual("ldc", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, 3, 3, 4, 1, buffer, 4, buffer, 3, 0, buffer, 2)).ParamName);
        Assert.AreEqual("b", Assert.ThrowsExactly<ArgumentException>(() => Sgemm.Multiply(false, false, 3, 30, 4, 1, buffer, 4, buffer, 30, 0, new float[90], 30)).ParamName);
        Assert.AreEqual("c", Assert.ThrowsExactly<ArgumentException>(() => Sgemm.Multiply(false, false, 3, 3, 4, 1, buffer, 4, buffer, 3, 0, new float[8], 3)).ParamName);
    }

    private static IEnumerable<GemmCase> BuildCases()
    {
        bool[] flags = [false, true];

        // Degenerate and tiny: empty dimensions, single rows/columns, k = 0 (C = beta·C).
        foreach (bool ta in flags)
        {
            foreach (bool tb in flags)
            {
                yield return new(ta, tb, 0, 5, 3, 1, 0);
                yield return new(ta, tb, 5, 0, 3, 1, 0);
                yield return new(ta, tb, 4, 5, 0, 1, 0.5f);
                yield return new(ta, tb, 4, 5, 0, 1, 0);
                yield return new(ta, tb, 1, 1, 1, 1, 0);
                yield return new(ta, tb, 1, 37, 1, 2, 1);
                yield return new(ta, tb, 37, 1, 5, -1, 0);
                yield return new(ta, tb, 1, 1, 300, 1, 0, PadA: 2, PadB: 3);
                yield return new(ta, tb, 7, 13, 11, 1, 0, PadA: 1, PadB: 1, PadC: 1);
                yield return new(ta, tb, 31, 37, 41, 0.5f, -1, PadA: 5, PadB: 2, PadC: 3);

                // Around the micro-tiles (12×32, 6×16, 6×8, 6×2) and the k and column blocks (384, 480).
                yield return new(ta, tb, 25, 65, 385, 1, 0, PadC: 7);
                yield return new(ta, tb, 13, 33, 769, 1, 1, PadA: 1);
                yield return new(ta, tb, 24, 481, 17, 1, 0, PadB: 5);
                yield return new(ta, tb, 97, 101, 103, -2, 0.5f, PadA: 3, PadB: 3, PadC: 3);
                yield return new(ta, tb, 128, 48, 96, 1, 1);
                yield return new(ta, tb, 61, 960, 3, 1, 0);

                // Narrow products: unpacked and split between threads (k ≤ 512, or any k with A stored by rows: the CNN's
                // head, 64×10×1568), packed one-vector panels (k > 512 with A stored transposed).
                yield return new(ta, tb, 1100, 21, 300, 1, 0.5f, PadB: 1);
                yield return new(ta, tb, 100, 20, 1500, -1, 0, PadA: 2);
                yield return new(ta, tb, 64, 10, 1568, 1, 0);

                // One or two rows (scoring): runs of eight vectors of each B row, then the rest by one or two vectors.
                yield return new(ta, tb, 1, 300, 784, 1, 0, PadB: 1);
                yield return new(ta, tb, 2, 257, 65, -1, 1, PadA: 2, PadC: 3);
                yield return new(ta, tb, 1, 1024, 513, 0.5f, 0.5f);

                // Ragged last blocks of one row read in place with masked loads: 20 columns past the runs (a vector and a
                // part on AVX-512), and 10 columns alone (the dense head of a CNN).
                yield return new(ta, tb, 1, 276, 40, 1, 1, PadC: 2);
                yield return new(ta, tb, 1, 10, 1568, 1, 0);
            }
        }

        foreach (int m in new[] { 11, 12, 13, 23, 36 })
        {
            foreach (int n in new[] { 15, 16, 17, 31, 32, 47, 49, 64, 65 })
            {
                yield return new(m % 2 == 0, n % 3 == 0, m, n, 383 + (n % 3), 1, m % 3 == 0 ? 0 : 1, PadC: n % 4);
            }
        }

        // Random shapes, seeded.
        var random = new Random(20240611);
        float[] alphas = [1, -0.5f, 2], betas = [0, 1, 0.5f, -1];
        for (int i = 0; i < 40; i++)
        {
            yield return new(
                random.Next(2) == 1, random.Next(2) == 1, random.Next(0, 150), random.Next(0, 150), random.Next(0, 400),
                alphas[random.Next(alphas.Length)], betas[random.Next(betas.Length)],
                random.Next(0, 4) * random.Next(0, 3), random.Next(0, 4) * random.Next(0, 3), random.Next(0, 4));
        }

        // Training shapes (dense backward: TN and NT) and one product past 1000 in every dimension.
        yield return new(true, false, 784, 256, 128, 1, 0);
        yield return new(false, true, 128, 784, 256, 1, 1);
        yield return new(false, false, 1003, 1009, 1013, 1, 0, PadA: 1, PadB: 2, PadC: 3);
    }
}
