using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>What every kernel test runs over: each supported path, with one and two threads.</summary>
internal static class KernelTestCases
{
    /// <summary>Lengths around the vector widths and the mask word (64) and the RNG chunk sizes.</summary>
    public static readonly int[] EdgeLengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 257, 1000, 2049];

    /// <summary>
    /// Every path the tests run: those the processor accelerates, and the 512-bit path in software where it lacks
    /// AVX-512 (<see cref="KernelSettings.AllowEmulatedVector512"/>), so the kernels the issues' machine runs are
    /// checked on every machine.
    /// </summary>
    public static IReadOnlyList<KernelPath> Paths { get; } = AllPaths();

    public static IEnumerable<(KernelPath Path, int Threads)> PathsAndThreads()
    {
        foreach (KernelPath path in Paths)
        {
            yield return (path, 1);
            yield return (path, 2);
        }
    }

    private static IReadOnlyList<KernelPath> AllPaths()
    {
        KernelSettings.AllowEmulatedVector512 = true;
        return KernelSettings.SelectablePaths;
    }

    /// <summary>Runs <paramref name="body"/> under every path and thread count, naming the case on failure.</summary>
    public static void ForEachPath(Action<KernelPath, int> body)
    {
        foreach (var (path, threads) in PathsAndThreads())
        {
            using (KernelSettings.Use(path, threads))
            {
                try
                {
                    body(path, threads);
                }
                catch (AssertFailedException e)
                {
                    throw new AssertFailedException($"[{path}, {threads} thread(s)] {e.Message}", e);
                }
            }
        }
    }

    public static float[] RandomFloats(int length, int seed, float negativeFraction = 0.5f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            float magnitude = (float)random.NextDouble() * 4f;
            values[i] = random.NextDouble() < negativeFraction ? -magnitude : magnitude;
        }

        return values;
    }

    /// <summary>Bit-exact comparison (NaN payloads and signed zeros included).</summary>
    public static void AssertBitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]:R}, expected {expected[i]:R}");
            }
        }
    }

    public static void AssertEqual<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what)
        where T : IEquatable<T>
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            if (!expected[i].Equals(actual[i]))
            {
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]}, expected {expected[i]}");
            }
        }
    }
}
