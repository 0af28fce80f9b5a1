using RandAD.Experiments;

// Commands (see docs/results.md):
//   paper --quick | --full | --plan tiny   [--out DIR] [--models fc,irnn,conv,memory] [--arms exact-full,rad-magnitude,...] [--grid 1e-3,3e-3,...] [--threads N]
//   plot CSV [CSV ...] [--out DIR]          figures and summaries again from results CSVs (several are merged)
//   memory [--measure] [--out DIR]          the Table 1 comparison only
//   speed STEPS MODELS                      ms per step of every arm, to size the plans
//   pde [--quick] [--iterations N] [--steps N] [--fractions 1,0.1,...|none] [--checkpoints SEGMENT,bisection,binomial:STATES|none] [--cosine] [--seeds N] [--out DIR]   the paper's PDE case (--from CSV: its table and figure again)
try
{
    return args.FirstOrDefault() switch
    {
        "paper" => ExperimentCommands.Paper(args[1..], Console.Out),
        "plot" => ExperimentCommands.Plot(args[1..], Console.Out),
        "memory" => ExperimentCommands.Memory(args[1..], Console.Out),
        "speed" => ExperimentCommands.Speed(args[1..], Console.Out),
        "pde" => ExperimentCommands.Pde(args[1..], Console.Out),
        _ => Usage(),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return Usage();
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: RandAD.Experiments paper (--quick | --full | --plan NAME) [--out DIR] [--models fc,irnn,conv,memory] [--arms exact-full,rad-magnitude,...] [--grid 1e-3,3e-3,...] [--threads N]
               RandAD.Experiments plot CSV [CSV ...] [--out DIR]
               RandAD.Experiments memory [--measure] [--out DIR]
               RandAD.Experiments speed STEPS fc,conv,irnn
               RandAD.Experiments pde [--quick] [--iterations N] [--steps N] [--fractions 1,0.1,0.01,...|none] [--checkpoints SEGMENT,bisection,binomial:STATES|none] [--cosine] [--seeds N] [--out DIR]
               RandAD.Experiments pde --from CSV [--out DIR]
        """);
    return 2;
}
