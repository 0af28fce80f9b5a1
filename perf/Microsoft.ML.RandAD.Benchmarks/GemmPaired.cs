using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// <c>gemm-paired</c>: our SGEMM and OpenBLAS's, alternated round by round on the same buffers, so both sides of each
/// ratio are measured within the same ~0.2 s. On a shared virtual machine whose speed drifts by 2× from minute to
/// minute (other tenants), BenchmarkDotNet's case-after-case runs can put the two libraries in different periods;
/// the median of the paired per-round ratios does not depend on that.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- gemm-paired [--rounds 21]
/// [--threads 1,2] [--shapes 128x784x256,NT:128x256x256]</c> (shapes as M×K×N, optionally after NN:, NT: or TN: for which
/// operand is stored transposed — the backward pass's products; on an AVX-512 machine with <c>OPENBLAS_CORETYPE=SkylakeX</c>
/// in the environment for OpenBLAS's AVX-512 kernels, which kill the process where AVX-512 is absent: leave it unset there).
/// Without options: 21 rounds, 1 and 2 threads, the four default shapes.
/// </remarks>
internal static unsafe class GemmPaired
{
    public static int Run(string[] args)
    {
        if (VerbOptions.Parse(args, "--rounds N, --threads 1,2, --shapes MxKxN,...", "--rounds", "--threads", "--shapes") is not { } options)
        {
            return 1;
        }

        int rounds = options.Int("--rounds", 21);
        int[] threadCounts = options.Ints("--threads", [1, 2]);
        Shape[] shapes = [.. options.List("--shapes", ["128x784x256", "128x256x256", "256x784x128", "1024x1024x1024"]).Select(ParseShape)];

        if (!OpenBlas.IsAvailable)
        {
            Console.WriteLine($"{OpenBlas.LibraryName} not found: install libopenblas0-pthread for the comparison.");
            return 1;
        }

        Console.WriteLine($"{KernelSettings.Describe()}; OpenBLAS core {OpenBlas.CoreName}; {rounds} rounds of ~100 ms per side");
        Console.WriteLine("| threads | shape (M×K×N) | RandAD GFLOP/s (median / best) | OpenBLAS GFLOP/s (median / best) | RandAD / OpenBLAS (median of paired rounds) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (int threads in threadCounts)
        {
            KernelSettings.ThreadCount = threads;
            OpenBlas.SetThreads(threads);
            foreach (Shape shape in shapes)
            {
                Console.WriteLine(Measure(threads, shape, rounds));
            }
        }

        return 0;
    }

    /// <summary>A product M×K×N, with A stored K×M (<paramref name="TransposeA"/>) or B stored N×K (<paramref name="TransposeB"/>).</summary>
    private readonly record struct Shape(int M, int K, int N, bool TransposeA = false, bool TransposeB = false)
    {
        public override string ToString() =>
            (TransposeA || TransposeB ? $"{(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')} " : "") + $"{M}×{K}×{N}";
    }

    private static Shape ParseShape(string text)
    {
        string[] parts = text.Split(':');
        string op = parts.Length == 2 ? parts[0].ToUpperInvariant() : "NN";
        int[] sizes = [.. parts[^1].Split('x', '×').Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
        if (sizes.Length != 3 || parts.Length > 2 || op is not ("NN" or "NT" or "TN" or "TT"))
        {
            throw new FormatException($"shape {text}: expected MxKxN, optionally after NN:, NT:, TN: or TT:");
        }

        return new Shape(sizes[0], sizes[1], sizes[2], op[0] == 'T', op[1] == 'T');
    }

    // Longer than OpenBLAS 0.3.21's threads spin after a call (2^28 time-stamp ticks: 0.13 s at 2.1 GHz, 0.27 s at 1 GHz).
    private static readonly TimeSpan OpenBlasThreadsIdle = TimeSpan.FromMilliseconds(300);

    private static string Measure(int threads, Shape shape, int rounds)
    {
        (int m, int k, int n) = (shape.M, shape.K, shape.N);
        (bool ta, bool tb) = (shape.TransposeA, shape.TransposeB);
        int lda = ta ? m : k, ldb = tb ? k : n;
        float* a = GemmBenchmarkBase.Allocate((long)m * k, 1), b = GemmBenchmarkBase.Allocate((long)k * n, 2), c = GemmBenchmarkBase.Allocate((long)m * n, 3);
        try
        {
            double flops = 2.0 * m * n * k;
            void Ours() => Sgemm.Multiply(
                ta, tb, m, n, k, 1f, new ReadOnlySpan<float>(a, m * k), lda, new ReadOnlySpan<float>(b, k * n), ldb,
                0f, new Span<float>(c, m * n), n);
            void Theirs() => OpenBlas.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);

            // Calls per round for ~100 ms, from a warm-up.
            Ours();
            Theirs();
            var clock = Stopwatch.StartNew();
            Ours();
            int calls = (int)Math.Clamp(0.1 / Math.Max(clock.Elapsed.TotalSeconds, 1e-7), 1, 100_000);
            (double[] ours, double[] theirs, double[] ratios) = PairedRounds.Measure(
                () => flops / PairedRounds.Seconds(Ours, calls) / 1e9, () => flops / PairedRounds.Seconds(Theirs, calls) / 1e9, rounds,
                settle: threads > 1 ? OpenBlasThreadsIdle : TimeSpan.Zero);

            return string.Create(
                CultureInfo.InvariantCulture,
                $"| {threads} | {shape} | {Stats.Median(ours):F1} / {ours.Max():F1} | {Stats.Median(theirs):F1} / {theirs.Max():F1} | {Stats.Median(ratios):F2}× |");
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }
}
