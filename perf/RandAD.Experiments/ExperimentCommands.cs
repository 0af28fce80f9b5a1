using System.Diagnostics;
using Microsoft.ML.RandAD.Kernels;
using RandAD.Experiments.Pde;

namespace RandAD.Experiments;

/// <summary>The console commands: argument parsing around <see cref="PaperExperiment"/>, <see cref="Figures"/> and friends.</summary>
internal static class ExperimentCommands
{
    public static int Paper(string[] args, TextWriter log)
    {
        string planName = args.Contains("--full") ? "full" : args.Contains("--quick") ? "quick" : Option(args, "--plan") ?? throw new ArgumentException("Choose --quick, --full or --plan NAME.");
        ExperimentPlan plan = ExperimentPlan.Named(planName);
        if (Option(args, "--models") is string models)
        {
            plan = plan.OnlyModels(models.Split(','));
        }

        if (Option(args, "--arms") is string arms)
        {
            string[] keys = arms.Split(',');
            if (keys.FirstOrDefault(k => !EstimatorArm.AllKeys.Contains(k)) is string unknown)
            {
                throw new ArgumentException($"Unknown arm '{unknown}'; arms are {string.Join(", ", EstimatorArm.AllKeys)}.");
            }

            plan = plan with { Arms = keys };
        }

        if (Option(args, "--grid") is string grid)
        {
            // Another search grid for every comparison of the plan, e.g. to see past the edge of the one it chose from.
            float[] rates = [.. grid.Split(',').Select(r => float.Parse(r, System.Globalization.CultureInfo.InvariantCulture))];
            if (rates.Length == 0 || rates.Any(r => !(r > 0f) || !float.IsFinite(r)))
            {
                throw new ArgumentException($"--grid takes positive learning rates separated by commas, not '{grid}'.");
            }

            plan = plan with { Comparisons = [.. plan.Comparisons.Select(c => c with { LearningRates = rates })] };
        }

        string output = Option(args, "--out") ?? Path.Combine("artifacts", "experiments", planName);
        ConfigureThreads(args);
        log.WriteLine($"{KernelSettings.Describe()}; threads {KernelSettings.ThreadCount}");
        var clock = Stopwatch.StartNew();
        List<ResultRow> rows = new PaperExperiment(plan, output, log).Run();
        WriteReports(rows, output, log);
        log.WriteLine($"plan {plan.Name} finished in {clock.Elapsed:hh\\:mm\\:ss} → {Path.GetFullPath(output)}");
        return 0;
    }

    public static int Plot(string[] args, TextWriter log)
    {
        string[] csvs = [.. args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal))];
        if (csvs.Length == 0)
        {
            throw new ArgumentException("plot needs at least one results CSV.");
        }

        string output = Option(args, "--out") ?? Path.GetDirectoryName(Path.GetFullPath(csvs[0]))!;
        List<ResultRow> rows = [.. csvs.SelectMany(ResultRow.ReadAll)];
        WriteReports(rows, output, log);
        return 0;
    }

    public static int Memory(string[] args, TextWriter log)
    {
        string output = Option(args, "--out") ?? Path.Combine("artifacts", "experiments", "memory");
        ConfigureThreads(args);
        Directory.CreateDirectory(output);
        List<MemoryRow> rows = MemoryReport.Build(150, args.Contains("--measure"), log);
        MemoryReport.Write(rows, output);
        log.WriteLine(MemoryReport.ToMarkdown(rows));
        return 0;
    }

    public static int Speed(string[] args, TextWriter log)
    {
        ConfigureThreads(args);
        SpeedProbe.Run(log, int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture), args.Length > 1 ? args[1] : "fc,conv,irnn");
        return 0;
    }

    /// <summary>
    /// The PDE experiment (RAD-METHOD §6): <c>pde [--quick] [--iterations N] [--steps N] [--fractions 1,0.1,...|none] [--checkpoints SEGMENT,bisection,binomial:STATES|none] [--cosine] [--seeds N] [--out DIR]</c>.
    /// The paper's run is the default (40,960 steps, 800 iterations, a fixed rate); --quick takes 100 iterations; --cosine
    /// anneals the rate to 0. <c>pde --from CSV [--out DIR]</c>
    /// writes the table and the figure again from a run's CSV.
    /// </summary>
    public static int Pde(string[] args, TextWriter log)
    {
        if (Option(args, "--from") is string csv)
        {
            // The table and the figure again from a run's CSV.
            string folder = Option(args, "--out") ?? Path.GetDirectoryName(Path.GetFullPath(csv))!;
            Directory.CreateDirectory(folder);
            WritePdeReports(PdeExperiment.ReadCsv(csv), folder, log);
            return 0;
        }

        bool quick = args.Contains("--quick");
        int iterations = int.Parse(Option(args, "--iterations") ?? (quick ? "100" : "800"), System.Globalization.CultureInfo.InvariantCulture);
        int steps = int.Parse(Option(args, "--steps") ?? "40960", System.Globalization.CultureInfo.InvariantCulture);
        int seeds = int.Parse(Option(args, "--seeds") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        string fractionList = Option(args, "--fractions") ?? "1,0.1,0.01,0.005,0.002,0.001";
        double[] fractions = fractionList == "none" ? [] : [.. fractionList.Split(',').Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture))];

        // Checkpointing beside RAD: by default segments of ⌈√N⌉ steps (about 2√N states kept); "bisection" for about
        // log₂N + 1 states; "binomial:K" for at most K; several separated by commas; 0 or none for no checkpointing.
        string sqrtSegment = ((int)Math.Ceiling(Math.Sqrt(steps))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] checkpoints = [.. (Option(args, "--checkpoints") ?? sqrtSegment).Split(',').Where(c => c is not ("0" or "none"))];
        if (iterations < 1 || steps < 1 || seeds < 1 || fractions.Any(f => !(f > 0 && f <= 1))
            || checkpoints.Any(c => CheckpointArm(c) is null))
        {
            throw new ArgumentException("pde needs positive --iterations, --steps and --seeds, fractions in (0, 1] (or none), and --checkpoints as segment lengths, bisection or binomial:STATES (0 or none for none).");
        }

        List<PdeArm> arms = [.. fractions.Select(PdeArm.Keep), .. checkpoints.Select(c => CheckpointArm(c)!)];
        string output = Option(args, "--out") ?? Path.Combine("artifacts", "experiments", quick ? "pde-quick" : "pde");
        Directory.CreateDirectory(output);
        var problem = new ReactionDiffusion(steps: steps);
        log.WriteLine($"PDE: {problem.Intervals}×{problem.Intervals} grid ({problem.StateSize} interior points), {steps:N0} steps of {problem.TimeStep:G4}, " +
            $"{iterations} Adam iterations ({(args.Contains("--cosine") ? "cosine" : "fixed")} rate), fractions {(fractions.Length == 0 ? "none" : string.Join(", ", fractions))}, " +
            $"checkpoints {(checkpoints.Length == 0 ? "none" : string.Join(", ", checkpoints))}, {seeds} seed(s), {Environment.ProcessorCount} runs at once");
        var clock = Stopwatch.StartNew();
        List<PdeRow> rows = new PdeExperiment(problem, iterations, cosine: args.Contains("--cosine")).RunAll(arms, seeds, log);
        PdeExperiment.WriteCsv(rows, Path.Combine(output, "pde.csv"));
        WritePdeReports(rows, output, log);
        log.WriteLine($"pde finished in {clock.Elapsed:hh\\:mm\\:ss} → {Path.GetFullPath(output)}");
        return 0;
    }

    /// <summary>"203" (two-level, segments of 203 steps), "bisection", or "binomial:40" (at most 40 states); null if none of them.</summary>
    private static PdeArm? CheckpointArm(string text)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (text == "bisection")
        {
            return PdeArm.Bisection();
        }

        if (text.StartsWith("binomial:", StringComparison.Ordinal))
        {
            return int.TryParse(text["binomial:".Length..], culture, out int states) && states >= 1 ? PdeArm.Binomial(states) : null;
        }

        return int.TryParse(text, culture, out int segment) && segment > 0 ? PdeArm.Checkpoints(segment) : null;
    }

    private static void WritePdeReports(IReadOnlyList<PdeRow> rows, string output, TextWriter log)
    {
        string summary = PdeExperiment.Summary(rows);
        File.WriteAllText(Path.Combine(output, "pde.md"), summary);
        log.WriteLine($"figure {Figures.PdeLoss(rows, Path.Combine(output, "pde-loss.png"))}");
        log.WriteLine(summary);
    }

    private static void WriteReports(IReadOnlyList<ResultRow> rows, string output, TextWriter log)
    {
        Summary.Write(rows, output);
        foreach (string png in Figures.Render(rows, output))
        {
            log.WriteLine($"figure {png}");
        }

        log.WriteLine(Summary.ToMarkdown(rows));
    }

    /// <summary>
    /// One kernel thread unless told otherwise: on 2 cores shared with other work, a second thread mostly waits at the
    /// GEMM's barrier (measured: FC steps 20–60% slower with 2 threads on a loaded machine).
    /// </summary>
    private static void ConfigureThreads(string[] args)
    {
        string? threads = Option(args, "--threads") ?? Environment.GetEnvironmentVariable(KernelSettings.ThreadsVariable) ?? "1";
        KernelSettings.ThreadCount = int.Parse(threads, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
