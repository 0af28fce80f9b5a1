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
    public static (double[] First, double[] Second, double[] Ratios) Measure(Func<double> first, Func<double> second, int rounds)
    {
        var a = new double[rounds];
        var b = new double[rounds];
        var ratios = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            if (round % 2 == 0)
            {
                a[round] = first();
                b[round] = second();
            }
            else
            {
                b[round] = second();
                a[round] = first();
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
