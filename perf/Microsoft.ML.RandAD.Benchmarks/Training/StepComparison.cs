using Microsoft.ML.RandAD.Datasets;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Sketches;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>step-compare</c>: the training step with RAD sketches against the exact step, in one process, alternated round by
/// round (each round: a few exact steps, then as many RAD steps, order alternating), so each ratio compares steps taken
/// within the same fraction of a second on a machine whose speed drifts. Prints both medians, the median of the
/// per-round ratios and the retained bytes of each.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- step-compare --model mlp|cnn --keep 0.1 --estimator SampledShared [--threads 2]</c>.
/// With <c>--pool-order</c> it compares instead two exact networks: ReLU then max pooling as the spec writes them, and
/// pooling first (<see cref="LayerFactory.PoolBeforeActivation"/>, the default). With <c>--fused-pooling</c> it compares
/// two exact networks whose convolutions and max poolings run apart and fused (<see cref="Network.FusesPooling"/>, the
/// default: each convolution's output pooled from the cache forward, the first one's gradient read through the winners
/// backward). With <c>--sparse-gradients</c>, one exact network's steps with the convolutions' weight and input gradients
/// over every output-gradient element and another's over the nonzero ones only (<see cref="DirectConvolution.SparseWeightGradients"/>,
/// <see cref="DirectConvolution.SparseInputGradients"/>); with <c>--sparse-input-gradients</c>, the weight gradients sparse
/// in both and the input gradients dense in the first. With
/// <c>--real-data</c> every step takes Fashion-MNIST's first training minibatch rather than uniform noise. With <c>--fused-activations</c>, two exact networks whose Dense layers and the ReLUs after them run apart and
/// fused (<see cref="Network.FusesActivations"/>, the default: the bias and ReLU applied by the product forward, the ReLU's
/// mask by the next layer's input-gradient product backward); with <c>--keep</c> too, two RAD networks (for a CNN: the ReLUs
/// after its poolings packing their masks in the pooling's pass, the next convolution's input gradient applying them). The
/// fusion variants take <c>--keep</c> for RAD networks. With <c>--passed-views</c>, two exact networks whose Flatten runs
/// (copying its input forward and its gradient backward) and is passed over (<see cref="Network.PassesViews"/>, the default).
/// With <c>--chunks</c>, two exact networks in chunks of <c>--chunk-rows</c> (64 unless given) and in automatic chunks (the
/// default: the CNN's batch of 128 in one). With <c>--whole-vectors</c> (and <c>--keep</c>), two RAD networks whose magnitude
/// sampling walks as in the eighteenth session and writes whole vectors of draws (<see cref="MagnitudeSampling.WalksWholeVectors"/>).
/// With <c>--pooled-gradients</c> (exact, or RAD with <c>--keep</c>), two networks in which only the first convolution reads
/// its output gradient through the max pooling's winners and in which every one that can does (<see cref="Network.ReadsEveryPooledGradient"/>).
/// </remarks>
internal static class StepComparison
{
    private const int Rounds = 21;

    private static int StepsOf(RunOptions options) => options.Steps > 0 ? options.Steps : options.Model == "cnn" ? 3 : 20;

    public static int Run(string[] args)
    {
        var options = RunOptions.Parse(args);
        KernelSettings.ThreadCount = options.Threads;
        NetworkSpec spec = BenchmarkModels.Get(options.Model);
        (OptimizerSpec optimizerSpec, float rate) = BenchmarkModels.Optimizer(options.Model);
        var random = new Random(1);
        float[] x = [.. Enumerable.Range(0, options.Batch * spec.Input.Size).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, options.Batch).Select(_ => (float)random.Next(10))];
        if (options.RealData)
        {
            // The first minibatch of Fashion-MNIST's training split instead of uniform noise: real images' activations (and
            // so their sparsity) after the warm-up steps on it.
            DataSet train = FashionMnist.Load(new DataSetOptions { Log = Console.Error.WriteLine }).Train;
            train.CopyImages(0, options.Batch, x);
            for (int i = 0; i < options.Batch; i++)
            {
                y[i] = train.Labels[i];
            }
        }

        Action Prepare(RadSettings sketch, out long retained, bool fusesPooling = true, bool fusesActivations = true, bool passesViews = true, int chunkRows = 0, bool everyPooledGradient = true)
        {
            var network = Network.Create(spec, seed: (ulong)options.Seed);
            network.ChunkRows = chunkRows;
            network.ReadsEveryPooledGradient = everyPooledGradient;
            network.FusesPooling = fusesPooling;
            network.FusesActivations = fusesActivations;
            network.PassesViews = passesViews;
            network.ConfigureSketches(sketch, options.Batch);
            var optimizer = new Optimizer(network, optimizerSpec);
            void Step()
            {
                x.CopyTo(network.BeginStep(options.Batch));
                network.ForwardBackward(y);
                optimizer.Step(rate);
            }

            for (int i = 0; i < 30; i++)
            {
                Step();
            }

            retained = network.Ledger.RetainedBytes;
            return Step;
        }

        if (options.PoolOrder)
        {
            // The same exact network built twice: activation then pooling as written, and pooling first (the default).
            LayerFactory.PoolBeforeActivation = false;
            Action written = Prepare(RadSettings.Exact, out long writtenBytes);
            LayerFactory.PoolBeforeActivation = true;
            Action pooledFirst = Prepare(RadSettings.Exact, out long pooledBytes);
            (double writtenMs, double pooledMs, double ratio) = Time(options, written, pooledFirst);
            Console.WriteLine(
                $"model={options.Model} batch={options.Batch} threads={options.Threads} " +
                $"activation_then_pool_ms={writtenMs:F3} pool_then_activation_ms={pooledMs:F3} " +
                $"ratio={ratio:F3} retained_bytes={writtenBytes}->{pooledBytes}");
            return 0;
        }

        if (options.Chunks)
        {
            // The same exact network in chunks of --chunk-rows (64 unless given) and in automatic chunks (the default).
            int rows = options.ChunkRows > 0 ? options.ChunkRows : 64;
            Action given = Prepare(RadSettings.Exact, out _, chunkRows: rows);
            Action automatic = Prepare(RadSettings.Exact, out _);
            var probe = Network.Create(spec, seed: (ulong)options.Seed);
            probe.ConfigureSketches(RadSettings.Exact, options.Batch);
            (double givenMs, double automaticMs, double ratio) = Time(options, given, automatic);
            Console.WriteLine(
                $"model={options.Model} batch={options.Batch} threads={options.Threads} chunks={string.Join('+', probe.ChunkSizes(options.Batch))} " +
                $"rows_{rows}_ms={givenMs:F3} automatic_ms={automaticMs:F3} ratio={ratio:F3}");
            return 0;
        }

        if (options.PooledGradients)
        {
            // The same network (exact, or RAD with --keep) with only its first convolution reading its gradient through the
            // pooling's winners, then every one that can (the default): the same bits either way.
            RadSettings sketch = options.KeepFraction < 1 ? options.Sketch : RadSettings.Exact;
            Action first = Prepare(sketch, out _, everyPooledGradient: false);
            Action every = Prepare(sketch, out _);
            (double firstMs, double everyMs, double ratio) = Time(options, first, every);
            Console.WriteLine(
                $"model={options.Model} sketch={options.SketchName} batch={options.Batch} threads={options.Threads} " +
                $"data={(options.RealData ? "fashion-mnist" : "uniform")} first_only_ms={firstMs:F3} every_ms={everyMs:F3} ratio={ratio:F3}");
            return 0;
        }

        if (options.FusedPooling || options.FusedActivations || options.PassedViews)
        {
            // The same network (exact, or RAD with --keep) with the one fusion asked about off, then on.
            RadSettings sketch = options.KeepFraction < 1 ? options.Sketch : RadSettings.Exact;
            Action apart = Prepare(
                sketch, out long apartBytes, fusesPooling: !options.FusedPooling, fusesActivations: !options.FusedActivations, passesViews: !options.PassedViews);
            Action fused = Prepare(sketch, out long fusedBytes);
            (double apartMs, double fusedMs, double ratio) = Time(options, apart, fused);
            Console.WriteLine(
                $"model={options.Model} sketch={options.SketchName} fusion={(options.FusedPooling ? "pooling" : options.FusedActivations ? "activations" : "views")} batch={options.Batch} threads={options.Threads} " +
                $"apart_ms={apartMs:F3} fused_ms={fusedMs:F3} ratio={ratio:F3} retained_bytes={apartBytes}->{fusedBytes}");
            return 0;
        }

        if (options.SparseGradients || options.SparseInputGradients)
        {
            // The same exact network built twice, each step taken with the sparse gradients off (--sparse-gradients) or with
            // only the weight gradients sparse (--sparse-input-gradients), then with both on: the same bits either way.
            Action baseSteps = Prepare(RadSettings.Exact, out _), sparseSteps = Prepare(RadSettings.Exact, out _);
            void Base()
            {
                DirectConvolution.SparseWeightGradients = options.SparseInputGradients;
                DirectConvolution.SparseInputGradients = false;
                baseSteps();
            }

            void Sparse()
            {
                DirectConvolution.SparseWeightGradients = true;
                DirectConvolution.SparseInputGradients = true;
                sparseSteps();
            }

            (double baseMs, double sparseMs, double sparseOverBase) = Time(options, Base, Sparse);
            Console.WriteLine(
                $"model={options.Model} batch={options.Batch} threads={options.Threads} data={(options.RealData ? "fashion-mnist" : "uniform")} " +
                $"{(options.SparseInputGradients ? "sparse_weight_gradients_ms" : "dense_ms")}={baseMs:F3} sparse_ms={sparseMs:F3} ratio={sparseOverBase:F3} " +
                $"sparse_weight_gradient_parts={DirectConvolution.SparseParts} sparse_input_gradient_images={DirectConvolution.SparseImages}");
            return 0;
        }

        if (options.WholeVectors)
        {
            // The same RAD network built twice, magnitude sampling's walk as in the eighteenth session, then writing whole
            // vectors of draws: the same draws either way.
            Action lastSteps = Prepare(options.Sketch, out _), wholeSteps = Prepare(options.Sketch, out _);
            void Last()
            {
                MagnitudeSampling.WalksWholeVectors = false;
                lastSteps();
            }

            void Whole()
            {
                MagnitudeSampling.WalksWholeVectors = true;
                wholeSteps();
            }

            (double lastMs, double wholeMs, double ratio) = Time(options, Last, Whole);
            Console.WriteLine(
                $"model={options.Model} sketch={options.SketchName} batch={options.Batch} threads={options.Threads} " +
                $"last_walk_ms={lastMs:F3} whole_vectors_ms={wholeMs:F3} ratio={ratio:F3}");
            return 0;
        }

        Action exact = Prepare(RadSettings.Exact, out long exactBytes);
        Action rad = Prepare(options.Sketch, out long radBytes);
        (double exactMs, double radMs, double radOverExact) = Time(options, exact, rad);
        Console.WriteLine(
            $"model={options.Model} sketch={options.SketchName} batch={options.Batch} threads={options.Threads} " +
            $"exact_ms={exactMs:F3} rad_ms={radMs:F3} rad_over_exact={radOverExact:F3} " +
            $"exact_retained_bytes={exactBytes} rad_retained_bytes={radBytes} retained_ratio={(double)radBytes / exactBytes:F3}");
        return 0;
    }

    /// <summary>Median step times (ms) of <paramref name="baseline"/> and <paramref name="candidate"/>, alternated, and the median per-round ratio candidate / baseline.</summary>
    private static (double BaselineMs, double CandidateMs, double Ratio) Time(RunOptions options, Action baseline, Action candidate)
    {
        (double[] candidateTimes, double[] baselineTimes, double[] ratios) = PairedRounds.Measure(
            () => PairedRounds.Seconds(candidate, StepsOf(options)), () => PairedRounds.Seconds(baseline, StepsOf(options)), Rounds);
        return (Stats.Median(baselineTimes) * 1e3, Stats.Median(candidateTimes) * 1e3, Stats.Median(ratios));
    }
}
