using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Sketches;

namespace Microsoft.ML.RandAD.Tests.Sketches;

/// <summary>Systematic magnitude sampling of one row: what it keeps, and how often it draws each entry.</summary>
[TestClass]
public sealed class MagnitudeSamplingTests
{
    [TestMethod]
    [DataRow(0.1f, 196, 67)] // 20 floats = 80 bytes: 4 (norm) + 67 one-byte indices + 9 bytes of signs
    [DataRow(0.1f, 256, 88)] // 26 floats = 104 bytes: 4 + 88 + 11
    [DataRow(0.1f, 784, 146)] // 79 floats = 316 bytes: 4 + 292 + 19
    [DataRow(0.1f, 1568, 293)] // 157 floats = 628 bytes: 4 + 586 + 37
    [DataRow(0.3f, 20, 17)] // SketchCases "dense magnitude": rebuilt route
    [DataRow(0.03f, 100, 7)] // "dense magnitude sparse": summed from the draws
    [DataRow(0.01f, 10, 1)] // a single float's bytes cannot hold norm and index: at least one draw
    public void DrawsAreAsManyAsFitInTheBytesOfUniformSampling(float fraction, int size, int expected)
    {
        int draws = KeepFraction.MagnitudeDraws(fraction, size);
        Assert.AreEqual(expected, draws);
        if (draws > 1)
        {
            Assert.IsLessThanOrEqualTo(4 * KeepFraction.Count(fraction, size), 4 + MagnitudeSampling.CodeBytes(draws, size));
            Assert.IsGreaterThan(4 * KeepFraction.Count(fraction, size), 4 + MagnitudeSampling.CodeBytes(draws + 1, size));
        }
    }

    [TestMethod]
    [DataRow(40, 7)]
    [DataRow(300, 50)]
    [DataRow(30, 70)] // more draws than entries: every non-zero entry is drawn at least twice
    public void EachEntryIsDrawnTheFloorOrCeilingOfItsShareAndSignsSurvive(int size, int draws)
    {
        var random = new Random(3);
        float[] x = Enumerable.Range(0, size).Select(i => i % 3 == 0 ? 0f : (float)(random.NextDouble() - 0.3)).ToArray();
        double norm = x.Sum(v => Math.Abs((double)v));
        var codes = new byte[MagnitudeSampling.CodeBytes(draws, size)];
        var indices = new int[draws];
        var values = new float[draws];
        foreach (float offset in new[] { 0f, 0.25f, 0.999f })
        {
            float kept = MagnitudeSampling.Sample(x, draws, offset, codes);
            Assert.AreEqual(norm, kept, 1e-5 * norm);
            MagnitudeSampling.Decode(codes, size, draws, kept, indices, values);
            for (int i = 0; i < size; i++)
            {
                int count = indices.Count(j => j == i);
                double share = draws * Math.Abs(x[i]) / norm;
                Assert.IsTrue(count == Math.Floor(share) || count == Math.Ceiling(share), $"entry {i}: drawn {count} times for a share of {share:0.###}");
            }

            for (int j = 0; j < draws; j++)
            {
                Assert.AreNotEqual(0f, x[indices[j]], "a zero entry was drawn");
                Assert.AreEqual(Math.Sign(x[indices[j]]), Math.Sign(values[j]));
                Assert.AreEqual(kept / draws, Math.Abs(values[j]));
            }
        }
    }

    [TestMethod]
    public void ARebuiltStridedPlaneHoldsTheDecodedDraws()
    {
        const int size = 25, stride = 3, draws = 11;
        var random = new Random(8);
        float[] plane = Enumerable.Range(0, size).Select(_ => (float)random.NextDouble()).ToArray();
        var codes = new byte[MagnitudeSampling.CodeBytes(draws, size)];
        float norm = MagnitudeSampling.Sample(plane, draws, 0.5f, codes);
        Assert.AreEqual(plane.Sum(), norm, 1e-4);

        var rebuilt = new float[size * stride];
        MagnitudeSampling.AddTo(codes, size, draws, norm, rebuilt.AsSpan(1), stride);
        var indices = new int[draws];
        var values = new float[draws];
        MagnitudeSampling.Decode(codes, size, draws, norm, indices, values);
        var expected = new float[size * stride];
        for (int j = 0; j < draws; j++)
        {
            expected[(indices[j] * stride) + 1] += values[j];
        }

        CollectionAssert.AreEqual(expected, rebuilt);
        Assert.AreEqual(norm, rebuilt.Sum(), 1e-4, "non-negative input: the draws add up to the row's sum");
    }

    [TestMethod]
    [DataRow(1, 40, 7)] // rows: one draw per changed entry almost everywhere
    [DataRow(1, 300, 50)]
    [DataRow(1, 30, 70)] // entries drawn twice or more: the per-entry loop
    [DataRow(1, 64, 40)] // entries drawn once or twice: AVX2's permutations of pairs
    [DataRow(3, 49, 17)] // NHWC planes, entries three floats apart
    [DataRow(16, 196, 67)] // the CNN's second layer input, per (image, channel) plane
    [DoNotParallelize] // MagnitudeSampling.WalksWholeVectors is process-wide
    public void EveryPathAndThreadCountDrawsTheSameCodesWithTheEntriesSigns(int channels, int size, int draws)
    {
        const int count = 5;
        var random = new Random(size + draws);
        float[] images = Enumerable.Range(0, count * size * channels).Select(i => i % 5 == 0 ? 0f : (float)(random.NextDouble() - 0.4)).ToArray();
        float[] offsets = Enumerable.Range(0, count * channels).Select(_ => (float)random.NextDouble()).ToArray();
        int codeBytes = MagnitudeSampling.CodeBytes(draws, size);
        byte[] scalarCodes = [];
        float[] scalarNorms = [];
        try
        {
            foreach (bool wholeVectors in new[] { true, false })
            {
                MagnitudeSampling.WalksWholeVectors = wholeVectors;
                Tests.Kernels.KernelTestCases.ForEachPath((path, threads) => Check(path, threads, wholeVectors ? "whole vectors" : "the last session's walk"));
            }
        }
        finally
        {
            MagnitudeSampling.WalksWholeVectors = true;
        }

        void Check(KernelPath path, int threads, string walk)
        {
            var norms = new float[count * channels];
            var codes = new byte[count * channels * codeBytes];
            if (channels == 1)
            {
                MagnitudeSampling.SampleRows(images, count, size, size, draws, offsets, norms, codes);
            }
            else
            {
                MagnitudeSampling.SamplePlanes(images, count, size, channels, draws, offsets, norms, codes);
            }

            var indices = new int[draws];
            var values = new float[draws];
            for (int p = 0; p < count * channels; p++)
            {
                MagnitudeSampling.Decode(codes.AsSpan(p * codeBytes, codeBytes), size, draws, norms[p], indices, values);
                int n = p / channels, c = p % channels;
                for (int j = 0; j < draws; j++)
                {
                    float entry = images[(((n * size) + indices[j]) * channels) + c];
                    Assert.AreNotEqual(0f, entry, $"plane {p}: a zero entry was drawn");
                    Assert.AreEqual(Math.Sign(entry), Math.Sign(values[j]), $"plane {p}, draw {j}: sign");
                }
            }

            if (path == KernelPath.Scalar && threads == 1 && scalarCodes.Length == 0)
            {
                (scalarCodes, scalarNorms) = (codes, norms);
            }
            else
            {
                CollectionAssert.AreEqual(scalarCodes, codes, $"codes against the scalar path ({walk})");
                Tests.Kernels.KernelTestCases.AssertBitEqual(scalarNorms, norms, $"norms against the scalar path ({walk})");
            }
        }
    }

    [TestMethod]
    public void AZeroRowRebuildsToZero()
    {
        var codes = new byte[MagnitudeSampling.CodeBytes(4, 9)];
        float norm = MagnitudeSampling.Sample(new float[9], 4, 0.3f, codes);
        var rebuilt = new float[9];
        MagnitudeSampling.AddTo(codes, 9, 4, norm, rebuilt, 1);
        Assert.AreEqual(0f, norm);
        CollectionAssert.AreEqual(new float[9], rebuilt);
    }
}
