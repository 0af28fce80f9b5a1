using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Sketches;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>magnitude-timing</c>: nanoseconds per element of the magnitude-sampling kernel on the shapes of the benchmark
/// models at f = 0.1 (the MLP's rows, the CNN's NHWC planes), and of rebuilding x̂ from the codes, rounds alternated
/// between the shapes so drift hits them alike. Prints the median over the rounds of each.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- magnitude-timing [--threads 1] [--whole-vectors]</c>;
/// with <c>--whole-vectors</c>, each shape's sampling with the eighteenth session's walk against whole vectors of draws
/// (<see cref="MagnitudeSampling.WalksWholeVectors"/>), alternated, and their ratio.</remarks>
internal static class MagnitudeSamplingTiming
{
    private sealed record Shape(string Name, int Count, int Size, int Channels, bool Relu);

    public static int Run(string[] args)
    {
        var options = RunOptions.Parse(args);
        KernelSettings.ThreadCount = options.Threads;
        Shape[] shapes =
        [
            new("mlp rows 128x784 (signed)", 128, 784, 0, false),
            new("mlp rows 128x256 (relu)", 128, 256, 0, true),
            new("cnn planes 128x(28x28)x1 (signed)", 128, 784, 1, false),
            new("cnn planes 128x(14x14)x16 (relu)", 128, 196, 16, true),
        ];
        var random = new Random(1);
        var cases = shapes.Select(s => Prepare(s, random)).ToArray();
        if (options.WholeVectors)
        {
            Compare(shapes, cases, options.Threads);
            return 0;
        }

        const int rounds = 31;
        var times = new double[shapes.Length, rounds];
        var rebuild = new double[shapes.Length, rounds];
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < cases.Length; i++)
            {
                int at = round % 2 == 0 ? i : cases.Length - 1 - i;
                times[at, round] = PairedRounds.Seconds(cases[at].Sample, 20) / cases[at].Elements * 1e9;
                rebuild[at, round] = PairedRounds.Seconds(cases[at].Rebuild, 20) / cases[at].Elements * 1e9;
            }
        }

        for (int i = 0; i < shapes.Length; i++)
        {
            double[] row = [.. Enumerable.Range(0, rounds).Select(r => times[i, r])];
            double[] back = [.. Enumerable.Range(0, rounds).Select(r => rebuild[i, r])];
            Console.WriteLine($"{shapes[i].Name,-36} path={KernelSettings.Path} threads={options.Threads} sample_ns_per_element={Stats.Median(row):F3} rebuild_ns_per_element={Stats.Median(back):F3} codes_hash={cases[i].Hash():X16}");
        }

        return 0;
    }

    /// <summary>
    /// Each shape sampled with the eighteenth session's walk and with whole vectors of draws, alternated round by round:
    /// both medians, the median of the per-round ratios, and each walk's codes hash (they must match).
    /// </summary>
    private static void Compare(Shape[] shapes, (Action Sample, Action Rebuild, long Elements, Func<ulong> Hash)[] cases, int threads)
    {
        const int rounds = 31;
        try
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                var c = cases[i];
                (double[] whole, double[] last, double[] ratios) = PairedRounds.Measure(
                    () => { MagnitudeSampling.WalksWholeVectors = true; return PairedRounds.Seconds(c.Sample, 20); },
                    () => { MagnitudeSampling.WalksWholeVectors = false; return PairedRounds.Seconds(c.Sample, 20); },
                    rounds);
                MagnitudeSampling.WalksWholeVectors = false;
                ulong lastHash = c.Hash();
                MagnitudeSampling.WalksWholeVectors = true;
                ulong wholeHash = c.Hash();
                Console.WriteLine(
                    $"{shapes[i].Name,-36} path={KernelSettings.Path} threads={threads} last_walk_ns_per_element={Stats.Median(last) / c.Elements * 1e9:F3} " +
                    $"whole_vectors_ns_per_element={Stats.Median(whole) / c.Elements * 1e9:F3} ratio={Stats.Median(ratios):F3} " +
                    $"codes_hash={lastHash:X16}{(lastHash == wholeHash ? string.Empty : $" DIFFERENT: {wholeHash:X16}")}");
            }
        }
        finally
        {
            MagnitudeSampling.WalksWholeVectors = true;
        }
    }

    private static (Action Sample, Action Rebuild, long Elements, Func<ulong> Hash) Prepare(Shape shape, Random random)
    {
        int rows = shape.Channels == 0 ? shape.Count : shape.Count * shape.Channels;
        int size = shape.Size, draws = KeepFraction.MagnitudeDraws(0.1f, size), bytes = MagnitudeSampling.CodeBytes(draws, size);
        float[] x = [.. Enumerable.Range(0, rows * size).Select(_ => shape.Relu ? Math.Max(0f, (float)random.NextDouble() - 0.5f) : (float)random.NextDouble() - 0.2f)];
        float[] offsets = [.. Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble())];
        float[] norms = new float[rows];
        byte[] codes = new byte[rows * bytes];
        float[] rebuilt = new float[rows * size];
        Action sample = shape.Channels == 0
            ? () => MagnitudeSampling.SampleRows(x, rows, size, size, draws, offsets, norms, codes)
            : () => MagnitudeSampling.SamplePlanes(x, shape.Count, size, shape.Channels, draws, offsets, norms, codes);
        void Rebuild()
        {
            rebuilt.AsSpan().Clear();
            for (int r = 0; r < rows; r++)
            {
                MagnitudeSampling.AddTo(codes.AsSpan(r * bytes, bytes), size, draws, norms[r], rebuilt.AsSpan(r * size, size), 1);
            }
        }

        // A fingerprint of the norms and codes, to check that a faster kernel draws the same (FNV-1a).
        ulong Hash()
        {
            sample();
            ulong hash = 14695981039346656037UL;
            foreach (byte b in codes.Concat(norms.SelectMany(BitConverter.GetBytes)))
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            return hash;
        }

        sample();
        return (sample, Rebuild, (long)rows * size, Hash);
    }
}
