using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>The streaming minibatch source: every row once per pass, seeded shuffles, bounded memory, cursors only.</summary>
[TestClass]
public sealed class StreamingSourceTests
{
    public sealed class IndexedRow
    {
        public float Label { get; set; }

        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>Rows made on the fly: the enumerable is walked again on every pass, nothing is cached.</summary>
    private sealed class GeneratedRows(int count) : IEnumerable<IndexedRow>
    {
        public int Enumerations { get; private set; }

        /// <summary>The managed threads that walked the rows.</summary>
        public HashSet<int> Threads { get; } = [];

        public IEnumerator<IndexedRow> GetEnumerator()
        {
            Enumerations++;
            for (int i = 0; i < count; i++)
            {
                lock (Threads)
                {
                    Threads.Add(Environment.CurrentManagedThreadId);
                }

                yield return new IndexedRow { Label = i, Features = [i, -i] };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A view whose cursor sets always hold two cursors, over the rows with labels below and from <paramref name="half"/>.</summary>
    private sealed class TwoCursorSets(MLContext ml, IDataView inner, int half) : IDataView
    {
        public bool CanShuffle => inner.CanShuffle;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => inner.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => inner.GetRowCursor(columnsNeeded, rand);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [Part(columnsNeeded, 0, half), Part(columnsNeeded, half, double.PositiveInfinity)];

        private DataViewRowCursor Part(IEnumerable<DataViewSchema.Column> columns, double from, double to)
        {
            IDataView part = ml.Data.FilterRowsByColumn(inner, "Label", from, to);
            return part.GetRowCursor(columns.Select(c => part.Schema[c.Name]));
        }
    }

    public sealed class WideRow
    {
        public float Label { get; set; }

        [VectorType(600)]
        public VBuffer<float> Features { get; set; }
    }

    /// <summary>Writes a batch's rows through the source, a range of rows per call.</summary>
    private sealed class SourceRows(DataViewMinibatchSource source) : Microsoft.ML.RandAD.Kernels.IRowWriter
    {
        public int Calls;

        public void WriteRows(int firstRow, int rowCount, Span<float> rows)
        {
            Interlocked.Increment(ref Calls);
            source.FillFeatures(firstRow, rowCount, rows);
        }
    }

    /// <summary>
    /// The trainer's source declares that its rows may be filled from several threads at once (the network then splits a large
    /// chunk's fill): filled by parts on two threads, dense and sparse rows come out as they do in one call.
    /// </summary>
    [TestMethod]
    public void ItsRowsFilledByPartsOnTwoThreadsAreTheRowsFilledAtOnce()
    {
        using var scope = Microsoft.ML.RandAD.Kernels.KernelSettings.Use(Microsoft.ML.RandAD.Kernels.KernelSettings.BestSupported, 2);
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(i => new WideRow
        {
            Label = i,
            Features = i % 2 == 0
                ? new VBuffer<float>(600, 3, [i, -i, 0.5f], [i % 600, 300, 599])
                : new VBuffer<float>(600, [.. Enumerable.Range(0, 600).Select(j => i + (j / 1000f))]),
        }));
        using DataViewMinibatchSource source = Source(data, seed: 3, capacity: 128);
        Assert.IsTrue(((Microsoft.ML.RandAD.Model.IFeatureSource)source).FillsRowsConcurrently);

        source.StartEpoch(0);
        var writer = new SourceRows(source);
        var parts = new Microsoft.ML.RandAD.Kernels.ConcurrentRows();
        int batches = 0, rows;
        while ((rows = source.NextBatch(64)) > 0)
        {
            float[] atOnce = new float[rows * 600], byParts = new float[rows * 600];
            source.FillFeatures(0, rows, atOnce);
            parts.Write(writer, rows, 600, byParts);
            CollectionAssert.AreEqual(atOnce, byParts, $"batch {batches}");
            Assert.IsTrue(atOnce.Any(v => v != 0));
            batches++;
        }

        Assert.AreEqual(5, batches);
        Assert.AreEqual(2 * 4 + 1, writer.Calls, "the four full batches (64 × 600 floats) in two parts, the last 44 rows (26,400) in one");
    }

    private static List<float> Pass(DataViewMinibatchSource source, int epoch, int batch)
    {
        source.StartEpoch(epoch);
        var order = new List<float>();
        float[] features = new float[batch * 2], targets = new float[batch];
        int rows;
        while ((rows = source.NextBatch(batch)) > 0)
        {
            source.FillTargets(targets, default);
            source.FillFeatures(0, rows, features);
            for (int r = 0; r < rows; r++)
            {
                Assert.AreEqual(targets[r], features[2 * r], "features and target of a row stay together");
                order.Add(targets[r]);
            }
        }

        return order;
    }

    private static DataViewMinibatchSource Source(IDataView data, ulong seed, int capacity) =>
        new(data, "training data", data.Schema["Features"], new RegressionLabelReader("Label"), null, seed, shuffle: true, capacity, skipNonFinite: false);

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void EveryRowOncePerPassInASeededOrderThatChangesEveryPass(bool cached)
    {
        var ml = new MLContext(seed: 1);
        var rows = new GeneratedRows(1000);
        IDataView data = cached ? ml.Data.Cache(ml.Data.LoadFromEnumerable(rows)) : ml.Data.LoadFromEnumerable(rows);
        using DataViewMinibatchSource source = Source(data, seed: 42, capacity: 128);
        using DataViewMinibatchSource twin = Source(data, seed: 42, capacity: 128);

        List<float> first = Pass(source, 0, 32), second = Pass(source, 1, 32);

        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).Select(i => (float)i).ToList(), first);
        CollectionAssert.AreEquivalent(first, second);
        CollectionAssert.AreNotEqual(first, second);
        CollectionAssert.AreEqual(first, Pass(twin, 0, 32));
        CollectionAssert.AreEqual(second, Pass(twin, 1, 32));
        Assert.AreEqual(1000L, source.RowCount);
        if (!cached)
        {
            // The second pass started at a random row and wrapped around with a second cursor.
            Assert.IsGreaterThanOrEqualTo(3, rows.Enumerations);
        }
    }

    [TestMethod]
    public void ATransformedViewIsReadOnTheCallingThread()
    {
        // ML.NET's plain GetRowCursor on a transform splits the rows across threads of its own and merges them back;
        // those threads would take the cores the training step runs on.
        var ml = new MLContext(seed: 1);
        var rows = new GeneratedRows(3000);
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        IDataView data = ml.Transforms.CopyColumns("Features", "Features").Fit(raw).Transform(raw);
        using DataViewMinibatchSource source = Source(data, seed: 5, capacity: 64);

        List<float> first = Pass(source, 0, 32), second = Pass(source, 1, 32);

        CollectionAssert.AreEquivalent(Enumerable.Range(0, 3000).Select(i => (float)i).ToList(), first);
        CollectionAssert.AreEquivalent(first, second);
        CollectionAssert.AreEqual(new[] { Environment.CurrentManagedThreadId }, rows.Threads.ToArray());
    }

    [TestMethod]
    public void AViewThatSplitsEvenASetOfOneIsReadThroughItsPlainCursor()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = new TwoCursorSets(ml, ml.Data.LoadFromEnumerable(new GeneratedRows(500)), half: 250);
        using DataViewMinibatchSource source = Source(data, seed: 5, capacity: 64);

        List<float> first = Pass(source, 0, 32), second = Pass(source, 1, 32);

        CollectionAssert.AreEquivalent(Enumerable.Range(0, 500).Select(i => (float)i).ToList(), first);
        CollectionAssert.AreEquivalent(first, second);
        CollectionAssert.AreNotEqual(first, second);
    }

    [TestMethod]
    public void AShuffleBufferMixesRowsWithinItsReachAndMemoryIsTheBufferOnly()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new GeneratedRows(5000));
        using DataViewMinibatchSource source = Source(data, seed: 3, capacity: 256);

        List<float> order = Pass(source, 0, 64);

        // Not sequential: a good fraction of neighbours are more than 10 rows apart...
        int jumps = order.Zip(order.Skip(1)).Count(p => Math.Abs(p.First - p.Second) > 10);
        Assert.IsGreaterThan(order.Count / 2, jumps);
        // ... yet no row leaves before the buffer could have reached it.
        for (int i = 0; i < order.Count; i++)
        {
            Assert.IsLessThan(i + 256 + 1, order[i], $"row {order[i]} emitted at {i}");
        }
    }

    [TestMethod]
    public void TrainingStreamsALazilyGeneratedDataSetPassAfterPass()
    {
        var ml = new MLContext(seed: 1);
        var rows = new GeneratedRows(3000);
        IDataView data = ml.Transforms.NormalizeMinMax("Features").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        int before = rows.Enumerations;

        var model = ml.Regression.Trainers.RandAD(new RandADRegressionTrainer.Options
        {
            HiddenLayerSizes = [4],
            NumberOfIterations = 3,
            ShuffleBufferSize = 100,
            Seed = 1,
        }).Fit(data);

        Assert.HasCount(3, model.Model.History);
        Assert.IsGreaterThanOrEqualTo(before + 3, rows.Enumerations);
    }
}
