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

        public IEnumerator<IndexedRow> GetEnumerator()
        {
            Enumerations++;
            for (int i = 0; i < count; i++)
            {
                yield return new IndexedRow { Label = i, Features = [i, -i] };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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
