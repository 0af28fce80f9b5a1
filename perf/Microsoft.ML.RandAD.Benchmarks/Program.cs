using BenchmarkDotNet.Running;
using Microsoft.ML.RandAD.Benchmarks.Training;

// Verbs run in this process (one configuration per process, for peak-memory figures); anything else goes to BenchmarkDotNet.
return args.FirstOrDefault() switch
{
    "train" => TrainingRun.Run(args[1..]),
    "step-flops" => StepFlopRate.Run(args[1..]),
    "rad-variance" => RadVariance.Run(args[1..]),
    "step-compare" => StepComparison.Run(args[1..]),
    "dp-probe" => DataParallelProbe.Run(args[1..]),
    "magnitude-timing" => MagnitudeSamplingTiming.Run(args[1..]),
    "gemm-paired" => Microsoft.ML.RandAD.Benchmarks.GemmPaired.Run(args[1..]),
    "conv-paired" => Microsoft.ML.RandAD.Benchmarks.ConvolutionPaired.Run(args[1..]),
    "conv-sparse" => Microsoft.ML.RandAD.Benchmarks.ConvolutionSparsePaired.Run(args[1..]),
    "score-paired" => Microsoft.ML.RandAD.Benchmarks.ScoringPaired.Run(args[1..]),
    "gemm-ceiling" => Microsoft.ML.RandAD.Benchmarks.GemmCeiling.Run(args[1..]),
    "mlnet-feed" => MlNetFeed.Run(args[1..]),
    "mlnet-score" => MlNetScoring.Run(args[1..]),
    "adam-alignment" => AdamAlignment.Run(args[1..]),
    "data" => FetchData(),
    _ => RunBenchmarks(args),
};

// Fetches and caches Fashion-MNIST (the first use downloads and converts it), so that timed runs afterwards measure training, not that.
static int FetchData()
{
    Console.WriteLine(Microsoft.ML.RandAD.Datasets.FashionMnist.Load(new Microsoft.ML.RandAD.Datasets.DataSetOptions { Log = Console.Error.WriteLine }).Summary());
    return 0;
}

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(TrainingRun).Assembly).Run(args);
    return 0;
}
