using System.Globalization;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// <c>score-paired</c>: the engine's scorer against ONNX Runtime on the same network and rows (<see cref="ScoringPair"/>),
/// alternated round by round (<see cref="PairedRounds"/>); the ratio is the median of the per-round ratios, ORT time over
/// engine time, above 1 where the engine is faster.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- score-paired [--rounds 21] [--threads 2]
/// [--models cnn,mlp] [--batches 1,64,1024] [--engine-only true | --row-bands true] [--gap-ms 50]</c>.
/// </remarks>
internal static class ScoringPaired
{
    public static int Run(string[] args)
    {
        if (VerbOptions.Parse(
                args, "--rounds N, --threads N, --models cnn,mlp, --batches 1,64,1024, --engine-only true, --row-bands true, --gap-ms N",
                "--rounds", "--threads", "--models", "--batches", "--engine-only", "--row-bands", "--gap-ms") is not { } options)
        {
            return 1;
        }

        int rounds = options.Int("--rounds", 21), threads = options.Int("--threads", 2);
        string[] models = options.List("--models", ["cnn", "mlp"]);
        int[] batches = options.Ints("--batches", [1, 64, 1024]);
        bool engineOnly = options.Bool("--engine-only"), rowBands = options.Bool("--row-bands");
        // Each side starts after an idle gap: ONNX Runtime's intra-op threads spin on after its round ends, and run into the
        // engine's next round (64-row MLP batches read 478-511 µs with no gap, 365-367 with 50 ms, 347 alone; ORT's own
        // time moved within its noise), as the engine's workers would into ORT's for their 2 ms.
        int gap = options.Int("--gap-ms", 50);

        KernelSettings.ThreadCount = threads;
        Console.WriteLine($"{KernelSettings.Describe()}; ORT intra-op threads {threads}; {rounds} rounds of ~100 ms per side");
        Console.WriteLine("| model | batch | engine µs (median) | ORT µs (median) | ORT / engine time (median of paired rounds) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (string model in models)
        {
            foreach (int batch in batches)
            {
                using var pair = new ScoringPair(model, batch);
                int calls = CallsPerRound(pair);
                if (engineOnly)
                {
                    // The engine alone, no ONNX Runtime threads about (they spin after each of their rounds).
                    double[] alone = [.. Enumerable.Range(0, rounds).Select(_ => PairedRounds.Seconds(pair.Engine, calls))];
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {model} | {batch} | {Stats.Median(alone) * 1e6:F1} | - | - |"));
                    continue;
                }

                if (rowBands)
                {
                    // The engine against itself without the row bands of single images (DirectConvolution.SplitsRows).
                    var (split, whole, splitRatios) = PairedRounds.Measure(
                        () => Banded(pair, calls, true), () => Banded(pair, calls, false), rounds);
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {model} | {batch} | bands {Stats.Median(split) * 1e6:F1} | whole images {Stats.Median(whole) * 1e6:F1} | whole / bands {1 / Stats.Median(splitRatios):F2}× |"));
                    continue;
                }

                var (engine, ort, ratios) = PairedRounds.Measure(
                    () => PairedRounds.Seconds(pair.Engine, calls), () => PairedRounds.Seconds(pair.OnnxRuntime, calls), rounds,
                    settle: TimeSpan.FromMilliseconds(gap));
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {model} | {batch} | {Stats.Median(engine) * 1e6:F1} | {Stats.Median(ort) * 1e6:F1} | {1 / Stats.Median(ratios):F2}× |"));
            }
        }

        return 0;
    }

    private static double Banded(ScoringPair pair, int calls, bool bands)
    {
        DirectConvolution.SplitsRows = bands;
        try
        {
            return PairedRounds.Seconds(pair.Engine, calls);
        }
        finally
        {
            DirectConvolution.SplitsRows = true;
        }
    }

    /// <summary>Calls that take about 100 ms on the engine side, after a warm-up of both sides.</summary>
    private static int CallsPerRound(ScoringPair pair)
    {
        for (int i = 0; i < 20; i++)
        {
            pair.Engine();
            pair.OnnxRuntime();
        }

        double seconds = PairedRounds.Seconds(pair.Engine, 10);
        return (int)Math.Clamp(0.1 / seconds, 1, 1_000_000);
    }
}
