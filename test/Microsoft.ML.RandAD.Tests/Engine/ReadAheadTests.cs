using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tests.Kernels;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// The training loop reads each next minibatch while the optimizer updates the parameters (<see cref="TrainingLoop.ReadsAhead"/>):
/// the same weights and losses as reading it after the update, for every optimizer, one thread or two, a batch in one chunk or
/// several and a short last batch; the features of a one-chunk batch written ahead when the update is the larger pass, left to
/// the step otherwise; a RAD network too; nothing allocated per step; and a loop stopped by cancellation or a failing source
/// leaves no batch behind.
/// </summary>
[TestClass]
[DoNotParallelize] // KernelSettings are process-wide.
public sealed class ReadAheadTests
{
    private const int Inputs = 784;

    public static IEnumerable<object[]> Cases =>
    [
        // name, hidden units, rows, chunk rows (0: automatic), optimizer
        ["one chunk, fill ahead", 64, 4 * 48, 0, new OptimizerSpec(OptimizerKind.Adam)],
        ["one chunk, short last batch", 64, (3 * 48) + 17, 0, new OptimizerSpec(OptimizerKind.Adam)],
        ["small update: features left to the step", 4, 4 * 48, 0, new OptimizerSpec(OptimizerKind.Adam)],
        ["chunks of 16", 64, 4 * 48, 16, new OptimizerSpec(OptimizerKind.Adam)],
        ["AdamW, decay runs apart", 64, 4 * 48, 0, new OptimizerSpec(OptimizerKind.AdamW, WeightDecay: 1e-2f)],
        ["SGD, Nesterov momentum", 64, 4 * 48, 0, new OptimizerSpec(OptimizerKind.Sgd, Momentum: 0.9f, Nesterov: true)],
        ["RAD by magnitude, f = 0.25", 64, (3 * 48) + 17, 0, new OptimizerSpec(OptimizerKind.Adam)],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void ReadingAheadTrainsTheSameWeights(string name, int hidden, int rows, int chunkRows, OptimizerSpec optimizer)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
            Run after = Train(name, hidden, rows, chunkRows, optimizer, readsAhead: false);
            Run ahead = Train(name, hidden, rows, chunkRows, optimizer, readsAhead: true);
            CollectionAssert.AreEqual(after.Losses, ahead.Losses, $"{name}, {threads} thread(s): epoch losses");
            KernelTestCases.AssertBitEqual(after.Parameters, ahead.Parameters, $"{name}, {threads} thread(s): weights after 3 epochs");
            Assert.AreEqual(after.Steps, ahead.Steps, $"{name}: optimizer steps");

            // The step fills each chunk in one call, or a chunk of 48 × 784 floats in two parts with two threads; written ahead,
            // a one-chunk batch is one call on the calling thread. An epoch's first batch is never read ahead.
            bool fillsAhead = chunkRows == 0 && hidden == 64;
            int perEpochAfter = 0, perEpochAhead = 0;
            for (int first = 0; first < rows; first += 48)
            {
                int batch = Math.Min(48, rows - first);
                int calls = chunkRows > 0 ? (batch + chunkRows - 1) / chunkRows : threads == 2 && batch * Inputs >= 32 * 1024 ? 2 : 1;
                perEpochAfter += calls;
                perEpochAhead += first > 0 && fillsAhead ? 1 : calls;
            }

            Assert.AreEqual(3 * perEpochAfter, after.FillCalls, $"{name}, {threads} thread(s): fill calls reading after the update");
            Assert.AreEqual(3 * perEpochAhead, ahead.FillCalls, $"{name}, {threads} thread(s): fill calls reading ahead");
        }
    }

    [TestMethod]
    public void ReadingAheadAllocatesNothingPerStep()
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, 2);
        Network network = Network.Create(Spec(64), seed: 2);
        var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(OptimizerKind.Adam), 1e-3f, 48));
        Assert.IsTrue(loop.ReadsAhead, "on by default");
        InMemoryMinibatchSource two = Source(2 * 48, seed: 1), six = Source(6 * 48, seed: 1);
        for (int epoch = 0; epoch < 40; epoch++)
        {
            loop.RunEpoch(two, epoch); // past the JIT's tiering thresholds
            loop.RunEpoch(six, epoch);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        loop.RunEpoch(two, 40);
        long twoSteps = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        loop.RunEpoch(six, 40);
        long sixSteps = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(twoSteps, sixSteps, "an epoch of six steps allocates what one of two does (the epoch's report and clock)");
    }

    /// <summary>
    /// A loop stopped after it read the next batch ahead (cancelled while that batch was read, or by a source that fails on
    /// the batch after) ends where the loop reading after the update ends, and its network does not take the batch it wrote
    /// ahead for the next epoch's first step, which the source then prepares anew.
    /// </summary>
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void AStoppedLoopLeavesNoBatchBehind(bool cancel)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, 2);
        var results = new List<float[]>();
        foreach (bool readsAhead in new[] { false, true })
        {
            Network network = Network.Create(Spec(64), seed: 3);
            var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(OptimizerKind.Adam), 1e-3f, 48)) { ReadsAhead = readsAhead };
            using var cancellation = new CancellationTokenSource();
            var source = new StoppingSource(Source(6 * 48, seed: 4), stopAtBatch: 3, cancel ? cancellation : null);
            if (cancel)
            {
                Assert.ThrowsExactly<OperationCanceledException>(() => loop.RunEpoch(source, 0, cancellation.Token));
            }
            else
            {
                Assert.ThrowsExactly<InvalidOperationException>(() => loop.RunEpoch(source, 0));
            }

            Assert.AreEqual(3L, loop.Optimizer.Steps, $"reading ahead {readsAhead}: the three steps before the stop were taken");
            source.StopAtBatch = -1;
            loop.RunEpoch(source, 1);
            results.Add([.. network.Parameters]);
        }

        KernelTestCases.AssertBitEqual(results[0], results[1], "weights after the stop and one more epoch");
    }

    private static Run Train(string name, int hidden, int rows, int chunkRows, OptimizerSpec optimizer, bool readsAhead)
    {
        Network network = Network.Create(Spec(hidden), seed: 5);
        network.ChunkRows = chunkRows;
        if (name.StartsWith("RAD", StringComparison.Ordinal))
        {
            network.ConfigureSketches(new RadSettings { KeepFraction = 0.25f, Estimator = RadEstimator.SampledByMagnitude }, 48);
        }

        var loop = new TrainingLoop(network, new TrainingSettings(optimizer, 1e-3f, 48)) { ReadsAhead = readsAhead };
        var source = new StoppingSource(Source(rows, seed: 6), stopAtBatch: -1, cancellation: null);
        var losses = new List<double>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            losses.Add(loop.RunEpoch(source, epoch).TrainLoss);
        }

        return new Run([.. network.Parameters], [.. losses], source.FillCalls, loop.Optimizer.Steps);
    }

    private static NetworkSpec Spec(int hidden) => NetworkSpec.Mlp(Inputs, [hidden], 10, new LossSpec(LossKind.SoftmaxCrossEntropy));

    private static InMemoryMinibatchSource Source(int rows, ulong seed)
    {
        var random = new Random((int)seed);
        float[] x = [.. Enumerable.Range(0, rows * Inputs).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, rows).Select(_ => (float)random.Next(10))];
        return new InMemoryMinibatchSource(x, y, null, Inputs, seed: seed);
    }

    private sealed record Run(float[] Parameters, double[] Losses, int FillCalls, long Steps);

    /// <summary>
    /// Passes an in-memory source through, counting its fill calls; when asked for batch <see cref="StopAtBatch"/> (0-based) it
    /// cancels <paramref name="cancellation"/> and returns the batch, or without one throws.
    /// </summary>
    private sealed class StoppingSource(InMemoryMinibatchSource inner, int stopAtBatch, CancellationTokenSource? cancellation) : IMinibatchSource
    {
        private int _fillCalls;
        private int _batch;

        public int StopAtBatch { get; set; } = stopAtBatch;

        public int FillCalls => _fillCalls;

        public int FeatureSize => inner.FeatureSize;

        public int TargetWidth => inner.TargetWidth;

        public bool HasWeights => inner.HasWeights;

        public bool FillsRowsConcurrently => true;

        public void StartEpoch(int epoch)
        {
            inner.StartEpoch(epoch);
            _batch = 0;
        }

        public int NextBatch(int maxRows)
        {
            if (_batch++ == StopAtBatch)
            {
                if (cancellation is null)
                {
                    throw new InvalidOperationException($"batch {StopAtBatch} cannot be read");
                }

                cancellation.Cancel();
            }

            return inner.NextBatch(maxRows);
        }

        public void FillTargets(Span<float> targets, Span<float> weights) => inner.FillTargets(targets, weights);

        public void FillFeatures(int firstRow, int rowCount, Span<float> features)
        {
            Interlocked.Increment(ref _fillCalls);
            inner.FillFeatures(firstRow, rowCount, features);
        }
    }
}
