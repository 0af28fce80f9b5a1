using System.Diagnostics;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// Paired measurement for a virtual machine whose speed drifts by 2× from minute to minute: two sides measured round by
/// round, one right after the other (which goes first alternates), so each per-round ratio compares the same fraction of
/// a second. The verbs report the median of the ratios.
/// </summary>
internal static class PairedRounds
{
    /// <summary>Per round, <paramref name="first"/>'s and <paramref name="second"/>'s measurement and their ratio (first / second).</summary>
    /// <param name="first">One side's measurement.</param>
    /// <param name="second">The other side's.</param>
    /// <param name="rounds">How many rounds.</param>
    /// <param name="settle">
    /// A pause before each side, so that neither runs while the other's idle threads still hold a core: OpenBLAS's pthreads
    /// spin for 2^28 time-stamp ticks after a call (0.13 s on a 2.1 GHz counter) before they sleep, and a two-thread
    /// product that followed them ran 20–35 % slow in a third of the rounds; ONNX Runtime's intra-op threads spin on after
    /// its round too (see <see cref="ScoringPaired"/>). Zero: none.
    /// </param>
    public static (double[] First, double[] Second, double[] Ratios) Measure(Func<double> first, Func<double> second, int rounds, TimeSpan settle = default)
    {
        var a = new double[rounds];
        var b = new double[rounds];
        var ratios = new double[rounds];
        double Settled(Func<double> side)
        {
            if (settle > TimeSpan.Zero)
            {
                Thread.Sleep(settle);
            }

            return side();
        }

        for (int round = 0; round < rounds; round++)
        {
            if (round % 2 == 0)
            {
                a[round] = Settled(first);
                b[round] = Settled(second);
            }
            else
            {
                b[round] = Settled(second);
                a[round] = Settled(first);
            }

            ratios[round] = a[round] / b[round];
        }

        return (a, b, ratios);
    }

    /// <summary>Mean seconds per call of <paramref name="calls"/> calls in a row.</summary>
    public static double Seconds(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }
}
