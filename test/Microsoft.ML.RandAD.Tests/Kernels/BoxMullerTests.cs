using System.Runtime.Intrinsics;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
public sealed class BoxMullerTests
{
    /// <summary>Words at the edges of the transform: u1 = 1 and 2^-24, mantissa around √½, and every quadrant boundary of the angle.</summary>
    private static (uint[] A, uint[] B) EdgeWords()
    {
        var a = new List<uint> { 0u, 0xFFu, 0x100u, 0xFFFF_FFFFu, 0xFFFF_FF00u, 0x7FFF_FFFFu, 0x8000_0000u, 0xB504_F300u, 0xB504_F400u, 0x5A82_7A00u };
        var b = new List<uint>();
        foreach (uint quarter in new uint[] { 0, 1, 2, 3, 4 })
        {
            foreach (int delta in new[] { -(1 << 21) - 1, -(1 << 21), -(1 << 21) + 1, -1, 0, 1, (1 << 21) - 1, 1 << 21 })
            {
                long k = (long)quarter * (1 << 22) + delta;
                if (k >= 0 && k < (1 << 24))
                {
                    b.Add((uint)k << 8 | 0xAB);
                }
            }
        }

        var random = new Random(5);
        while (a.Count < 64 || b.Count < 64)
        {
            a.Add((uint)random.NextInt64(0, 1L << 32));
            b.Add((uint)random.NextInt64(0, 1L << 32));
        }

        int n = Math.Min(a.Count, b.Count);
        var allA = new uint[n * n];
        var allB = new uint[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                allA[i * n + j] = a[i];
                allB[i * n + j] = b[j];
            }
        }

        return (allA, allB);
    }

    [TestMethod]
    public void VectorTwinsMatchScalarBitForBitOnEdgeWords()
    {
        (uint[] a, uint[] b) = EdgeWords();
        var expectedCos = new float[a.Length];
        var expectedSin = new float[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            BoxMuller.Pair(a[i], b[i], 1.5f, out expectedCos[i], out expectedSin[i]);
        }

        Check<Width128, Vector128<uint>, Vector128<float>>(a, b, expectedCos, expectedSin);
        if (KernelSettings.IsSupported(KernelPath.Vector256))
        {
            Check<Width256, Vector256<uint>, Vector256<float>>(a, b, expectedCos, expectedSin);
        }

        if (KernelTestCases.Paths.Contains(KernelPath.Vector512))
        {
            Check<Width512, Vector512<uint>, Vector512<float>>(a, b, expectedCos, expectedSin);
        }
    }

    private static unsafe void Check<TW, TU, TF>(uint[] a, uint[] b, float[] expectedCos, float[] expectedSin)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        var cos = new float[a.Length];
        var sin = new float[a.Length];
        fixed (uint* pa = a, pb = b)
        fixed (float* pc = cos, ps = sin)
        {
            for (int i = 0; i + n <= a.Length; i += n)
            {
                BoxMuller.Pair<TW, TU, TF>(TW.Load(pa + i), TW.Load(pb + i), TW.BroadcastSingle(1.5f), out TF c, out TF s);
                TW.StoreSingle(c, pc + i);
                TW.StoreSingle(s, ps + i);
            }
        }

        KernelTestCases.AssertBitEqual(expectedCos, cos, $"{typeof(TW).Name} cosine");
        KernelTestCases.AssertBitEqual(expectedSin, sin, $"{typeof(TW).Name} sine");
    }

    [TestMethod]
    public void TransformIsWithinAFewUlpsOfDoublePrecisionBoxMuller()
    {
        (uint[] a, uint[] b) = EdgeWords();
        var words = new uint[200_000];
        CounterRng.FillUInt32(11, 12, 13, words);
        a = [.. a, .. words.Where((_, i) => i % 2 == 0)];
        b = [.. b, .. words.Where((_, i) => i % 2 == 1)];
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            BoxMuller.Pair(a[i], b[i], 1f, out float cos, out float sin);
            double u1 = ((a[i] >> 8) + 1) / 16777216.0, u2 = (b[i] >> 8) / 16777216.0;
            double r = Math.Sqrt(-2 * Math.Log(u1));
            double exactCos = r * Math.Cos(2 * Math.PI * u2), exactSin = r * Math.Sin(2 * Math.PI * u2);

            // Measured in units of r's float spacing: the outputs are r times a unit vector.
            double ulp = Math.Max(MathF.BitIncrement((float)r) - (float)r, float.Epsilon);
            worst = Math.Max(worst, Math.Max(Math.Abs(cos - exactCos), Math.Abs(sin - exactSin)) / ulp);
        }

        Assert.IsTrue(worst <= 4, $"worst error {worst:F2} ulps of r");
        Console.WriteLine($"worst error {worst:F2} ulps of r");
    }
}
