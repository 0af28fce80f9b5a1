using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Tests.Kernels;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// A feature source that declares <see cref="IFeatureSource.FillsRowsConcurrently"/> has a large chunk's rows filled by parts
/// on the pool's threads (<see cref="ConcurrentRows"/>): every row once, in its place, the same training results as one fill,
/// nothing allocated per step, and a part's exception reaches the caller.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class ConcurrentFillTests
{
    [TestMethod]
    [DataRow(1, 128, 784)]
    [DataRow(2, 128, 784)]
    [DataRow(2, 3, 50_000)]
    [DataRow(2, 40, 10)]
    public void EveryRowIsWrittenOnceInItsPlace(int threads, int rows, int width)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        var writer = new RecordingWriter(width);
        float[] destination = new float[rows * width + 5];
        destination.AsSpan().Fill(float.NaN);
        new ConcurrentRows().Write(writer, rows, width, destination.AsSpan(0, rows * width));

        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < width; c++)
            {
                Assert.AreEqual(RecordingWriter.Value(r, c), destination[(r * width) + c], $"row {r}, column {c}");
            }
        }

        Assert.IsTrue(destination.AsSpan(rows * width).ToArray().All(float.IsNaN), "nothing written past the rows");
        List<(int First, int Count)> calls = [.. writer.Calls.OrderBy(c => c.First)];
        Assert.AreEqual(0, calls[0].First);
        for (int i = 1; i < calls.Count; i++)
        {
            Assert.AreEqual(calls[i - 1].First + calls[i - 1].Count, calls[i].First, "the parts are contiguous and disjoint");
        }

        Assert.AreEqual(rows, calls[^1].First + calls[^1].Count, "the parts cover every row");
        bool split = threads > 1 && rows * width >= 32 * 1024;
        Assert.AreEqual(split ? Math.Min(rows, threads) : 1, calls.Count, "split over the threads only when large enough");
    }

    [TestMethod]
    public void TrainingGivesTheSameResultsAsOneFillAndSplitsTheFill()
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, 2);
        NetworkSpec spec = NetworkSpec.Mlp(784, [64], 10, new LossSpec(LossKind.SoftmaxCrossEntropy));
        const int batch = 96, rows = 3 * batch;
        var random = new Random(4);
        float[] x = [.. Enumerable.Range(0, rows * 784).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, rows).Select(_ => (float)random.Next(10))];
        var concurrent = new CountingSource(new InMemoryMinibatchSource(x, y, null, 784, seed: 3), concurrent: true);
        var single = new CountingSource(new InMemoryMinibatchSource(x, y, null, 784, seed: 3), concurrent: false);
        Network a = Network.Create(spec, seed: 5), b = Network.Create(spec, seed: 5);
        a.ChunkRows = b.ChunkRows = 48; // two chunks a batch, the second filled from row 48 on (48 × 784 floats: split)
        var loopA = new TrainingLoop(a, new TrainingSettings(new OptimizerSpec(OptimizerKind.Adam), 1e-3f, batch));
        var loopB = new TrainingLoop(b, new TrainingSettings(new OptimizerSpec(OptimizerKind.Adam), 1e-3f, batch));
        for (int epoch = 0; epoch < 2; epoch++)
        {
            Assert.AreEqual(loopB.RunEpoch(single, epoch).TrainLoss, loopA.RunEpoch(concurrent, epoch).TrainLoss, 0, $"epoch {epoch}: loss");
        }

        KernelTestCases.AssertBitEqual(b.Parameters, a.Parameters, "weights after two epochs");
        Assert.AreEqual(2 * single.Batches, single.Calls, "a source that does not declare it is filled in one call a chunk");
        Assert.AreEqual(2 * single.Calls, concurrent.Calls, "a chunk of 48 × 784 floats is filled in two parts");
    }

    [TestMethod]
    public void SteadyStateStepsWithASplitFillAllocateNothing()
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, 2);
        NetworkSpec spec = NetworkSpec.Mlp(784, [32], 10, new LossSpec(LossKind.SoftmaxCrossEntropy));
        var random = new Random(6);
        const int batch = 64;
        float[] x = [.. Enumerable.Range(0, 4 * batch * 784).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, 4 * batch).Select(_ => (float)random.Next(10))];
        var source = new InMemoryMinibatchSource(x, y, null, 784, seed: 1);
        Assert.IsTrue(((IFeatureSource)source).FillsRowsConcurrently);
        Network network = Network.Create(spec, seed: 2);
        var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(OptimizerKind.Adam), 1e-3f, batch));
        for (int epoch = 0; epoch < 10; epoch++)
        {
            loop.RunEpoch(source, epoch); // past the JIT's tiering thresholds
        }

        float[] targets = new float[batch];
        long before = GC.GetAllocatedBytesForCurrentThread();
        source.StartEpoch(10);
        for (int step = 0; step < 4; step++)
        {
            int rows = source.NextBatch(batch);
            source.FillTargets(targets.AsSpan(0, rows), default);
            network.TrainStep(source, rows, targets.AsSpan(0, rows));
        }

        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by 4 steps");
    }

    [TestMethod]
    public void APartsExceptionReachesTheCaller()
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, 2);
        var writer = new RecordingWriter(1000) { FailAtRow = 90 };
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => new ConcurrentRows().Write(writer, 100, 1000, new float[100 * 1000]));
        StringAssert.Contains(error.Message, "row 90");

        // The same instance works again after a failure.
        writer.FailAtRow = -1;
        float[] destination = new float[100 * 1000];
        new ConcurrentRows().Write(writer, 100, 1000, destination);
        Assert.AreEqual(RecordingWriter.Value(99, 999), destination[^1]);
    }

    private sealed class RecordingWriter(int width) : IRowWriter
    {
        public List<(int First, int Count)> Calls { get; } = [];

        public int FailAtRow { get; set; } = -1;

        public static float Value(int row, int column) => (row * 1000f) + column;

        public void WriteRows(int firstRow, int rowCount, Span<float> rows)
        {
            lock (Calls)
            {
                Calls.Add((firstRow, rowCount));
            }

            Assert.AreEqual(rowCount * width, rows.Length, "the span holds exactly the part's rows");
            if (FailAtRow >= firstRow && FailAtRow < firstRow + rowCount)
            {
                throw new InvalidOperationException($"row {FailAtRow} cannot be read");
            }

            for (int r = 0; r < rowCount; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    rows[(r * width) + c] = Value(firstRow + r, c);
                }
            }
        }
    }

    /// <summary>Passes an in-memory source through, counting its batches and fill calls, and declaring concurrent fills or not.</summary>
    private sealed class CountingSource(InMemoryMinibatchSource inner, bool concurrent) : IMinibatchSource
    {
        private int _calls;

        public int Calls => _calls;

        public int Batches { get; private set; }

        public int FeatureSize => inner.FeatureSize;

        public int TargetWidth => inner.TargetWidth;

        public bool HasWeights => inner.HasWeights;

        public bool FillsRowsConcurrently => concurrent;

        public void StartEpoch(int epoch) => inner.StartEpoch(epoch);

        public int NextBatch(int maxRows)
        {
            int rows = inner.NextBatch(maxRows);
            Batches += rows > 0 ? 1 : 0;
            return rows;
        }

        public void FillTargets(Span<float> targets, Span<float> weights) => inner.FillTargets(targets, weights);

        public void FillFeatures(int firstRow, int rowCount, Span<float> features)
        {
            Interlocked.Increment(ref _calls);
            inner.FillFeatures(firstRow, rowCount, features);
        }
    }
}
