using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RandAD.Experiments.Pde;

/// <summary>One iteration of one run: the loss at the iteration's parameters (before its update).</summary>
internal sealed record PdeRow(string Store, double Fraction, long KeptBytes, int Seed, int Iteration, double Loss, double GradientNorm, double Seconds)
{
    public const string Header = "store,fraction,kept_bytes,seed,iteration,loss,gradient_norm,seconds";

    // Nine digits of the loss, six of the gradient's norm, milliseconds (the rows are made with milliseconds): a full run's
    // 19,000 rows stay under a megabyte.
    public string ToCsv() => string.Join(',', Store, Fraction.ToString("R", CultureInfo.InvariantCulture), KeptBytes, Seed, Iteration,
        Loss.ToString("G9", CultureInfo.InvariantCulture), GradientNorm.ToString("G6", CultureInfo.InvariantCulture), Seconds.ToString("F3", CultureInfo.InvariantCulture));
}

/// <summary>What one run's backward pass keeps: <see cref="Fraction"/> is RAD's keep fraction (1 for the exact stores).</summary>
internal sealed record PdeArm(double Fraction, Func<int, IStateStore> Create)
{
    /// <summary>Every state (f = 1), or a RAD sketch of each keeping f of its values, drawn with the run's seed.</summary>
    public static PdeArm Keep(double fraction) =>
        new(fraction, seed => fraction >= 1 ? new ExactStateStore() : new SampledStateStore(fraction, (ulong)seed));

    /// <summary>Checkpoints every <paramref name="segment"/> steps, the states between them recomputed.</summary>
    public static PdeArm Checkpoints(int segment) => new(1, _ => new CheckpointedStateStore(segment));

    /// <summary>Checkpoints by bisection (about log₂N + 1 states).</summary>
    public static PdeArm Bisection() => new(1, _ => CheckpointScheduleStore.Bisection());

    /// <summary>At most <paramref name="states"/> states, split binomially (revolve's rule).</summary>
    public static PdeArm Binomial(int states) => new(1, _ => CheckpointScheduleStore.Binomial(states));
}

/// <summary>
/// The paper's PDE experiment: Adam (lr 1e-2) on the seven control parameters of <see cref="ReactionDiffusion"/>, the
/// backward pass keeping every state (f = 1), a RAD sketch of each (f = 0.1 … 0.001), or checkpoints, each seed's runs
/// from the same θ.
/// </summary>
/// <remarks>With <paramref name="cosine"/> the rate falls from 1e-2 to 0 along a half cosine over the iterations (the
/// paper keeps it fixed), and the store's name in the rows says so.</remarks>
internal sealed class PdeExperiment(ReactionDiffusion problem, int iterations, double learningRate = 1e-2, bool cosine = false)
{
    public List<PdeRow> Run(PdeArm arm, int seed, TextWriter? log = null)
    {
        IStateStore store = arm.Create(seed);
        double fraction = arm.Fraction;
        long bytes = store.Bytes(problem.Steps, problem.StateSize);
        double[] theta = ReactionDiffusion.InitialParameters(seed);
        double[] gradient = new double[ReactionDiffusion.ParameterCount];
        var adam = new Adam(theta.Length);
        string name = cosine ? $"{store.Name} (cosine rate)" : store.Name;
        var rows = new List<PdeRow>(iterations + 1);
        var clock = Stopwatch.StartNew();
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            double loss = problem.LossAndGradient(theta, store, gradient);
            double norm = Math.Sqrt(gradient.Sum(g => g * g));
            rows.Add(new PdeRow(name, fraction, bytes, seed, iteration, loss, norm, Math.Round(clock.Elapsed.TotalSeconds, 3)));
            adam.Step(theta, gradient, cosine ? learningRate * 0.5 * (1 + Math.Cos(Math.PI * iteration / iterations)) : learningRate);
            if (log != null && (iteration + 1) % Math.Max(1, iterations / 8) == 0)
            {
                log.WriteLine($"  {name,-14} seed {seed} iteration {iteration + 1,5}: loss {loss:E4}, {clock.Elapsed.TotalSeconds:F0} s");
            }
        }

        // The loss at the final parameters (a forward pass only).
        rows.Add(new PdeRow(name, fraction, bytes, seed, iterations, problem.Loss(theta), double.NaN, Math.Round(clock.Elapsed.TotalSeconds, 3)));
        return rows;
    }

    /// <summary>Every arm and seed, as many at once as there are processors (each run is single-threaded).</summary>
    public List<PdeRow> RunAll(IReadOnlyList<PdeArm> arms, int seeds, TextWriter log)
    {
        var runs = (from seed in Enumerable.Range(1, seeds) from arm in arms select (arm, seed)).ToArray();
        var results = new List<PdeRow>[runs.Length];
        var writer = TextWriter.Synchronized(log);
        Parallel.For(0, runs.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, r =>
            results[r] = Run(runs[r].arm, runs[r].seed, writer));
        return [.. results.SelectMany(x => x)];
    }

    public static void WriteCsv(IEnumerable<PdeRow> rows, string path)
    {
        var text = new StringBuilder(PdeRow.Header).Append('\n');
        foreach (PdeRow row in rows)
        {
            text.Append(row.ToCsv()).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>The runs grouped by store, the most bytes first.</summary>
    public static IEnumerable<IGrouping<string, PdeRow>> ByStore(IEnumerable<PdeRow> rows) =>
        rows.GroupBy(r => r.Store).OrderByDescending(g => g.First().KeptBytes).ThenBy(g => g.Key, StringComparer.Ordinal);

    public static List<PdeRow> ReadCsv(string path) =>
        [.. File.ReadLines(path).Skip(1).Where(line => line.Length > 0).Select(line =>
        {
            string[] f = line.Split(',');
            return new PdeRow(f[0], Parse(f[1]), long.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
                int.Parse(f[4], CultureInfo.InvariantCulture), Parse(f[5]), Parse(f[6]), Parse(f[7]));
        })];

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>
    /// A markdown table: per fraction, the bytes kept against exact, the loss at checkpoints (mean over seeds), the final
    /// loss's range over seeds and the mean over the last 100 iterations (all seeds; a noisy arm's late plateau).
    /// </summary>
    public static string Summary(IReadOnlyList<PdeRow> rows)
    {
        int last = rows.Max(r => r.Iteration);
        int[] marks = [.. new[] { 0, last / 8, last / 4, last / 2, last }.Distinct()];
        long exactBytes = rows.Where(r => r.Store == "exact" || r.Store.StartsWith("exact (", StringComparison.Ordinal)).Select(r => r.KeptBytes).DefaultIfEmpty(0).First();
        var text = new StringBuilder();
        text.Append("| backward pass keeps | bytes kept | of exact |");
        foreach (int mark in marks)
        {
            text.Append(CultureInfo.InvariantCulture, $" loss at {mark} |");
        }

        text.Append(" final, min–max over seeds | mean of the last 100 | s per iteration | seeds |\n|---|---|---|")
            .Append(string.Concat(Enumerable.Repeat("---|", marks.Length))).Append("---|---|---|---|\n");
        foreach (IGrouping<string, PdeRow> arm in ByStore(rows))
        {
            PdeRow first = arm.First();
            double ratio = first.KeptBytes / (double)exactBytes;
            string share = exactBytes > 0 ? ratio.ToString(ratio < 0.01 ? "P2" : "P1", CultureInfo.InvariantCulture) : "—";
            text.Append(CultureInfo.InvariantCulture, $"| {first.Store} | {first.KeptBytes:N0} | {share} |");
            foreach (int mark in marks)
            {
                double[] losses = [.. arm.Where(r => r.Iteration == mark).Select(r => r.Loss)];
                text.Append(CultureInfo.InvariantCulture, $" {losses.Average():E3} |");
            }

            double[] finals = [.. arm.Where(r => r.Iteration == last).Select(r => r.Loss)];
            double lateMean = arm.Where(r => r.Iteration > last - 100).Average(r => r.Loss);
            text.Append(CultureInfo.InvariantCulture, $" {finals.Min():E3}–{finals.Max():E3} | {lateMean:E3} |");
            double perIteration = arm.GroupBy(r => r.Seed).Average(s => s.Max(r => r.Seconds) / last);
            text.Append(CultureInfo.InvariantCulture, $" {perIteration:F3} | {arm.Select(r => r.Seed).Distinct().Count()} |\n");
        }

        return text.ToString();
    }

    /// <summary>Adam (Kingma and Ba) in double precision, β = (0.9, 0.999), ε = 1e-8.</summary>
    private sealed class Adam(int size)
    {
        private readonly double[] _m = new double[size], _v = new double[size];
        private int _t;

        public void Step(double[] theta, double[] gradient, double learningRate)
        {
            _t++;
            double correction1 = 1 - Math.Pow(0.9, _t), correction2 = 1 - Math.Pow(0.999, _t);
            for (int k = 0; k < theta.Length; k++)
            {
                _m[k] = (0.9 * _m[k]) + (0.1 * gradient[k]);
                _v[k] = (0.999 * _v[k]) + (0.001 * gradient[k] * gradient[k]);
                theta[k] -= learningRate * (_m[k] / correction1) / (Math.Sqrt(_v[k] / correction2) + 1e-8);
            }
        }
    }
}
