using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class CounterRngTests
{
    private const ulong Seed = 0x0123_4567_89AB_CDEFUL, Stream = 42;

    // Random123's kat_vectors for philox4x32-10: counter words c0..c3, key words k0, k1, expected x0..x3.
    [TestMethod]
    [DataRow(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [DataRow(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [DataRow(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxMatchesRandom123KnownAnswersOnEveryPath(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint x0, uint x1, uint x2, uint x3)
    {
        // Mapping (see CounterRng remarks): counter = c1:c0, stream = c3:c2, seed = k1:k0.
        ulong counter = ((ulong)c1 << 32) | c0, stream = ((ulong)c3 << 32) | c2, seed = ((ulong)k1 << 32) | k0;
        uint[] expected = [x0, x1, x2, x3];
        var block = new uint[4];
        CounterRng.Block(seed, stream, counter, block);
        KernelTestCases.AssertEqual<uint>(expected, block, "Block");

        KernelTestCases.ForEachPath((path, threads) =>
        {
            // A long fill whose first block is the known answer exercises whole vector chunks, not only the tail.
            var words = new uint[4096];
            CounterRng.FillUInt32(seed, stream, counter, words);
            KernelTestCases.AssertEqual<uint>(expected, words.AsSpan(0, 4), "FillUInt32 first block");
        });
    }

    [TestMethod]
    public void CounterCarriesIntoHighWordAndWrapsAt2To64()
    {
        // Blocks straddling 2^32 - 1 → 2^32 and 2^64 - 1 → 0 exercise the vector carry.
        foreach (ulong counter in new[] { 0xFFFF_FFF0UL, ulong.MaxValue - 7 })
        {
            var expected = new uint[256];
            CounterRngReference.FillUInt32(Seed, Stream, counter, expected);
            KernelTestCases.ForEachPath((path, threads) =>
            {
                var actual = new uint[256];
                CounterRng.FillUInt32(Seed, Stream, counter, actual);
                KernelTestCases.AssertEqual<uint>(expected, actual, $"counter {counter:x}");
            });
        }
    }

    public static IEnumerable<object[]> Lengths() =>
        KernelTestCases.EdgeLengths.Concat([70_001, 300_000]).Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(Lengths))]
    public void EveryGeneratorMatchesScalarReferenceOnEveryPathAndThreadCount(int length)
    {
        var words = new uint[length];
        var floats = new float[length];
        var mask = new ulong[BitMask.WordCount(length)];
        var indices = new int[length];
        var signs = new float[length];
        var normals = new float[length];
        CounterRngReference.FillUInt32(Seed, Stream, 5, words);
        CounterRngReference.UniformFloats(Seed, Stream, 5, floats);
        CounterRngReference.BernoulliMask(Seed, Stream, 5, CounterRng.BernoulliThreshold(0.3f), length, mask);
        CounterRngReference.UniformIndices(Seed, Stream, 5, 784, indices);
        CounterRngReference.Rademacher(Seed, Stream, 5, 0.25f, signs);
        CounterRngReference.Gaussian(Seed, Stream, 5, 2f, normals);

        KernelTestCases.ForEachPath((path, threads) =>
        {
            var w = new uint[length];
            CounterRng.FillUInt32(Seed, Stream, 5, w);
            KernelTestCases.AssertEqual<uint>(words, w, "FillUInt32");
            var f = new float[length];
            CounterRng.UniformFloats(Seed, Stream, 5, f);
            KernelTestCases.AssertBitEqual(floats, f, "UniformFloats");
            var m = Enumerable.Repeat(ulong.MaxValue, mask.Length).ToArray();
            CounterRng.BernoulliMask(Seed, Stream, 5, 0.3f, length, m);
            KernelTestCases.AssertEqual<ulong>(mask, m, "BernoulliMask");
            var ix = new int[length];
            CounterRng.UniformIndices(Seed, Stream, 5, 784, ix);
            KernelTestCases.AssertEqual<int>(indices, ix, "UniformIndices");
            var s = new float[length];
            CounterRng.Rademacher(Seed, Stream, 5, 0.25f, s);
            KernelTestCases.AssertBitEqual(signs, s, "Rademacher");
            var g = new float[length];
            CounterRng.Gaussian(Seed, Stream, 5, 2f, g);
            KernelTestCases.AssertBitEqual(normals, g, "Gaussian");
        });
    }

    [TestMethod]
    public void UniformFloatsAndBernoulliBitsAgree()
    {
        const int n = 10_000;
        var u = new float[n];
        var mask = new ulong[BitMask.WordCount(n)];
        CounterRng.UniformFloats(Seed, Stream, 9, u);
        CounterRng.BernoulliMask(Seed, Stream, 9, 0.7f, n, mask);
        for (int i = 0; i < n; i++)
        {
            bool kept = ((mask[i >> 6] >> (i & 63)) & 1) != 0;
            Assert.AreEqual(u[i] < 0.7f, kept, $"element {i}: u = {u[i]:R}");
        }
    }

    [TestMethod]
    public void SplitCallsContinueTheSequenceAtTheDocumentedCounter()
    {
        const int n = 5_000;
        const ulong counter = 77;
        KernelTestCases.ForEachPath((path, threads) =>
        {
            // Split points that are multiples of each generator's elements per block (and of 64 for masks).
            foreach (int s in new[] { 0, 128, 1024, 3968, n - n % 128 })
            {
                var whole = new uint[n];
                var parts = new uint[n];
                CounterRng.FillUInt32(Seed, Stream, counter, whole);
                CounterRng.FillUInt32(Seed, Stream, counter, parts.AsSpan(0, s));
                CounterRng.FillUInt32(Seed, Stream, counter + (ulong)(s / CounterRng.WordsPerBlock), parts.AsSpan(s));
                KernelTestCases.AssertEqual<uint>(whole, parts, $"FillUInt32 split at {s}");

                var wholeIx = new int[n];
                var partsIx = new int[n];
                CounterRng.UniformIndices(Seed, Stream, counter, 1000, wholeIx);
                CounterRng.UniformIndices(Seed, Stream, counter, 1000, partsIx.AsSpan(0, s));
                CounterRng.UniformIndices(Seed, Stream, counter + (ulong)(s / CounterRng.IndicesPerBlock), 1000, partsIx.AsSpan(s));
                KernelTestCases.AssertEqual<int>(wholeIx, partsIx, $"UniformIndices split at {s}");

                var wholeSigns = new float[n];
                var partsSigns = new float[n];
                CounterRng.Rademacher(Seed, Stream, counter, 1f, wholeSigns);
                CounterRng.Rademacher(Seed, Stream, counter, 1f, partsSigns.AsSpan(0, s));
                CounterRng.Rademacher(Seed, Stream, counter + (ulong)(s / CounterRng.SignsPerBlock), 1f, partsSigns.AsSpan(s));
                KernelTestCases.AssertBitEqual(wholeSigns, partsSigns, $"Rademacher split at {s}");

                var wholeNormals = new float[n];
                var partsNormals = new float[n];
                CounterRng.Gaussian(Seed, Stream, counter, 1f, wholeNormals);
                CounterRng.Gaussian(Seed, Stream, counter, 1f, partsNormals.AsSpan(0, s));
                CounterRng.Gaussian(Seed, Stream, counter + (ulong)(s / CounterRng.WordsPerBlock), 1f, partsNormals.AsSpan(s));
                KernelTestCases.AssertBitEqual(wholeNormals, partsNormals, $"Gaussian split at {s}");

                var wholeMask = new ulong[BitMask.WordCount(n)];
                var partsMask = new ulong[BitMask.WordCount(n)];
                CounterRng.BernoulliMask(Seed, Stream, counter, 0.5f, n, wholeMask);
                CounterRng.BernoulliMask(Seed, Stream, counter, 0.5f, s, partsMask);
                CounterRng.BernoulliMask(Seed, Stream, counter + (ulong)(s / CounterRng.WordsPerBlock), 0.5f, n - s, partsMask.AsSpan(s / 64));
                KernelTestCases.AssertEqual<ulong>(wholeMask, partsMask, $"BernoulliMask split at {s}");
            }
        });
    }

    [TestMethod]
    public void StreamsAndSeedsGiveDifferentSequences()
    {
        var a = new uint[64];
        var b = new uint[64];
        var c = new uint[64];
        CounterRng.FillUInt32(Seed, 1, 0, a);
        CounterRng.FillUInt32(Seed, 2, 0, b);
        CounterRng.FillUInt32(Seed + 1, 1, 0, c);
        Assert.IsFalse(a.AsSpan().SequenceEqual(b), "streams 1 and 2 coincide");
        Assert.IsFalse(a.AsSpan().SequenceEqual(c), "seeds differ by one but sequences coincide");
    }

    [TestMethod]
    public void BadArgumentsAreRejectedWithClearErrors()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CounterRng.UniformIndices(1, 1, 0, 0, new int[4]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CounterRng.BernoulliMask(1, 1, 0, 1.5f, 10, new ulong[1]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CounterRng.BernoulliMask(1, 1, 0, float.NaN, 10, new ulong[1]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => CounterRng.BernoulliMask(1, 1, 0, 0.5f, 65, new ulong[1]));
        StringAssert.Contains(e.Message, "65 bits need 2");
    }

    [TestMethod]
    public void BernoulliExtremesKeepNothingOrEverything()
    {
        var mask = new ulong[2];
        CounterRng.BernoulliMask(Seed, Stream, 0, 1f, 100, mask);
        Assert.AreEqual(ulong.MaxValue, mask[0]);
        Assert.AreEqual((1UL << 36) - 1, mask[1]);
        CounterRng.BernoulliMask(Seed, Stream, 0, 0f, 100, mask);
        Assert.AreEqual(0UL, mask[0] | mask[1]);
    }
}
