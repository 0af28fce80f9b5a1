using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;
using Microsoft.ML.RandAD.MLNet.Scoring;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>
/// <c>Transform</c> scores a block of rows at a time: each row still comes out with its own input columns, position, id
/// and scores, across block boundaries and over cursor sets.
/// </summary>
[TestClass]
public sealed class BlockScoringTests
{
    private const int Rows = (2 * BlockScoringCursor.BlockRows) + 22;

    public sealed class WideRow
    {
        public string Label { get; set; } = "";

        [VectorType(SyntheticData.FeatureCount)]
        public float[] Features { get; set; } = [];

        public int Index { get; set; }

        public string Name { get; set; } = "";

        [VectorType(3)]
        public float[] Extra { get; set; } = [];
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }

    /// <summary>A type whose values are objects: a block cannot copy them.</summary>
    private sealed class ObjectType() : StructuredDataViewType(typeof(object))
    {
        public override bool Equals(DataViewType? other) => other is ObjectType;

        public override int GetHashCode() => 1;
    }

    private static (MLContext Ml, List<WideRow> Rows, IDataView Keyed, RandADMulticlassPredictionTransformer Model) Trained()
    {
        var ml = new MLContext(seed: 1);
        List<WideRow> rows = SyntheticData.Blobs(Rows, seed: 5).Select((b, i) => new WideRow
        {
            Label = b.Label,
            Features = b.Features,
            Index = i,
            Name = $"row {i}",
            Extra = [i, -i, i / 2f],
        }).ToList();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        RandADMulticlassPredictionTransformer model = ml.MulticlassClassification.Trainers.RandAD(MulticlassTrainerTests.SmallOptions()).Fit(keyed);
        return (ml, rows, keyed, model);
    }

    [TestMethod]
    public void EachRowKeepsItsOwnColumnsPositionIdAndScoresAcrossBlocks()
    {
        (MLContext ml, List<WideRow> rows, IDataView keyed, RandADMulticlassPredictionTransformer model) = Trained();
        IDataView scored = model.Transform(keyed);
        PredictionEngine<WideRow, Prediction> engine = ml.Model.CreatePredictionEngine<WideRow, Prediction>(model);
        var inputIds = new List<DataViewRowId>();
        using (DataViewRowCursor input = keyed.GetRowCursor([]))
        {
            ValueGetter<DataViewRowId> id = input.GetIdGetter();
            DataViewRowId value = default;
            while (input.MoveNext())
            {
                id(ref value);
                inputIds.Add(value);
            }
        }

        string[] names = ["Index", "Name", "Extra", "Score", "PredictedLabel"];
        using DataViewRowCursor cursor = scored.GetRowCursor(names.Select(n => scored.Schema[n]));
        Assert.IsInstanceOfType<BlockScoringCursor>(cursor);
        ValueGetter<int> index = cursor.GetGetter<int>(scored.Schema["Index"]);
        ValueGetter<ReadOnlyMemory<char>> name = cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema["Name"]);
        ValueGetter<VBuffer<float>> extra = cursor.GetGetter<VBuffer<float>>(scored.Schema["Extra"]);
        ValueGetter<VBuffer<float>> score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        ValueGetter<uint> predicted = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
        ValueGetter<DataViewRowId> ids = cursor.GetIdGetter();
        int i = 0, row = 0;
        ReadOnlyMemory<char> text = default;
        VBuffer<float> extraValues = default, scores = default;
        uint label = 0;
        DataViewRowId rowId = default;
        while (cursor.MoveNext())
        {
            Assert.AreEqual(i, cursor.Position);
            index(ref row);
            name(ref text);
            extra(ref extraValues);
            score(ref scores);
            predicted(ref label);
            ids(ref rowId);
            Assert.AreEqual(i, row, "the rows come in the input's order");
            Assert.AreEqual($"row {i}", text.ToString());
            CollectionAssert.AreEqual(new[] { i, -i, i / 2f }, extraValues.DenseValues().ToArray(), $"row {i}'s own vector, not another row's of its block");
            Assert.AreEqual(inputIds[i], rowId);

            // The same scores as one row at a time: this network's products (k = 8 and 16) sum in the same order either way.
            Prediction one = engine.Predict(rows[i]);
            CollectionAssert.AreEqual(one.Score, scores.DenseValues().ToArray(), $"row {i}");
            Assert.AreEqual(one.PredictedLabel, label, $"row {i}");
            i++;
        }

        Assert.AreEqual(Rows, i);
    }

    [TestMethod]
    public void ACursorSetScoresEveryRowOnce()
    {
        (MLContext ml, _, IDataView keyed, RandADMulticlassPredictionTransformer model) = Trained();
        IDataView scored = model.Transform(ml.Data.Cache(keyed));
        Dictionary<int, float[]> expected = Scores(scored.GetRowCursor([scored.Schema["Index"], scored.Schema["Score"]]));

        DataViewRowCursor[] set = scored.GetRowCursorSet([scored.Schema["Index"], scored.Schema["Score"]], 2);
        var seen = new Dictionary<int, float[]>();
        foreach (DataViewRowCursor cursor in set)
        {
            foreach ((int row, float[] scores) in Scores(cursor))
            {
                Assert.IsTrue(seen.TryAdd(row, scores), $"row {row} came twice");
            }
        }

        Assert.HasCount(Rows, seen);
        foreach ((int row, float[] scores) in seen)
        {
            CollectionAssert.AreEqual(expected[row], scores, $"row {row}");
        }
    }

    [TestMethod]
    public void OnlyValueTypesAndTheirVectorsAreCopiedAside()
    {
        Assert.IsTrue(BlockScoringCursor.CanCopy(NumberDataViewType.Single));
        Assert.IsTrue(BlockScoringCursor.CanCopy(TextDataViewType.Instance));
        Assert.IsTrue(BlockScoringCursor.CanCopy(BooleanDataViewType.Instance));
        Assert.IsTrue(BlockScoringCursor.CanCopy(new KeyDataViewType(typeof(uint), 3)));
        Assert.IsTrue(BlockScoringCursor.CanCopy(new VectorDataViewType(NumberDataViewType.Single, 4)));
        Assert.IsTrue(BlockScoringCursor.CanCopy(new VectorDataViewType(TextDataViewType.Instance)));
        Assert.IsFalse(BlockScoringCursor.CanCopy(new ObjectType()));
    }

    [TestMethod]
    public void AColumnOfObjectsIsReadThroughRowByRowScoring()
    {
        (_, _, IDataView keyed, RandADMulticlassPredictionTransformer model) = Trained();
        IDataView scored = model.Transform(new WithObjects(keyed));
        Dictionary<int, float[]> blocks = Scores(model.Transform(keyed).GetRowCursor([scored.Schema["Index"], scored.Schema["Score"]]));

        using DataViewRowCursor cursor = scored.GetRowCursor([scored.Schema["Index"], scored.Schema["Thing"], scored.Schema["Score"]]);
        Assert.IsNotInstanceOfType<BlockScoringCursor>(cursor);
        ValueGetter<object> thing = cursor.GetGetter<object>(scored.Schema["Thing"]);
        ValueGetter<int> index = cursor.GetGetter<int>(scored.Schema["Index"]);
        ValueGetter<VBuffer<float>> score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        object value = new();
        int row = 0, rows = 0;
        VBuffer<float> scores = default;
        while (cursor.MoveNext())
        {
            thing(ref value);
            index(ref row);
            score(ref scores);
            Assert.AreEqual($"object {row}", value.ToString());
            CollectionAssert.AreEqual(blocks[row], scores.DenseValues().ToArray(), $"row {row}: the same scores one row at a time");
            rows++;
        }

        Assert.AreEqual(Rows, rows);
    }

    /// <summary>A view with one more column, "Thing", of objects (a row's index in text, as an object).</summary>
    private sealed class WithObjects(IDataView inner) : IDataView
    {
        private readonly DataViewSchema _schema = Extend(inner.Schema);

        public bool CanShuffle => false;

        public DataViewSchema Schema => _schema;

        public long? GetRowCount() => inner.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var needed = columnsNeeded.ToList();
            bool thing = needed.Any(c => c.Index == inner.Schema.Count);
            var inputs = needed.Where(c => c.Index < inner.Schema.Count).Select(c => inner.Schema[c.Index]).ToList();
            if (thing && !inputs.Any(c => c.Name == "Index"))
            {
                inputs.Add(inner.Schema["Index"]);
            }

            return new Cursor(this, inner.GetRowCursor(inputs), thing);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

        private static DataViewSchema Extend(DataViewSchema schema)
        {
            var builder = new DataViewSchema.Builder();
            builder.AddColumns(schema);
            builder.AddColumn("Thing", new ObjectType());
            return builder.ToSchema();
        }

        private sealed class Cursor(WithObjects view, DataViewRowCursor input, bool thing) : DataViewRowCursor
        {
            public override DataViewSchema Schema => view._schema;

            public override long Position => input.Position;

            public override long Batch => input.Batch;

            public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) =>
                column.Index == input.Schema.Count ? thing : input.IsColumnActive(input.Schema[column.Index]);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index < input.Schema.Count)
                {
                    return input.GetGetter<TValue>(input.Schema[column.Index]);
                }

                ValueGetter<int> index = input.GetGetter<int>(input.Schema["Index"]);
                ValueGetter<object> getter = (ref object value) =>
                {
                    int row = 0;
                    index(ref row);
                    value = $"object {row}";
                };
                return (ValueGetter<TValue>)(Delegate)getter;
            }

            public override bool MoveNext() => input.MoveNext();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    input.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }

    private static Dictionary<int, float[]> Scores(DataViewRowCursor cursor)
    {
        using (cursor)
        {
            var scores = new Dictionary<int, float[]>();
            ValueGetter<int> index = cursor.GetGetter<int>(cursor.Schema["Index"]);
            ValueGetter<VBuffer<float>> score = cursor.GetGetter<VBuffer<float>>(cursor.Schema["Score"]);
            int row = 0;
            VBuffer<float> values = default;
            while (cursor.MoveNext())
            {
                index(ref row);
                score(ref values);
                scores.Add(row, values.DenseValues().ToArray());
            }

            return scores;
        }
    }
}
