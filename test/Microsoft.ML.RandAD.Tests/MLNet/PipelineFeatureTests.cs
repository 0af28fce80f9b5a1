using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>What ML.NET users do around a trainer: prediction engines, cross-validation, PFI, weights, seeds, schema.</summary>
[TestClass]
public sealed class PipelineFeatureTests
{
    public sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";

        public float[] Score { get; set; } = [];
    }

    [TestMethod]
    public void PredictionEngineAgreesWithTransformRowByRow()
    {
        var ml = new MLContext(seed: 1);
        List<SyntheticData.ClassRow> rows = SyntheticData.Blobs(300, seed: 1);
        ITransformer model = MulticlassTrainerTests.Pipeline(ml, MulticlassTrainerTests.SmallOptions()).Fit(ml.Data.LoadFromEnumerable(rows));
        List<SyntheticData.ClassRow> test = SyntheticData.Blobs(40, seed: 9);
        IDataView scored = model.Transform(ml.Data.LoadFromEnumerable(test));
        string[] labels = scored.GetColumn<string>("PredictedLabel").ToArray();
        float[][] scores = scored.GetColumn<float[]>("Score").ToArray();

        PredictionEngine<SyntheticData.ClassRow, Prediction> engine = ml.Model.CreatePredictionEngine<SyntheticData.ClassRow, Prediction>(model);
        for (int i = 0; i < test.Count; i++)
        {
            Prediction p = engine.Predict(test[i]);
            Assert.AreEqual(labels[i], p.PredictedLabel, $"row {i}");
            CollectionAssert.AreEqual(scores[i], p.Score, $"row {i}");
        }
    }

    [TestMethod]
    public void CrossValidatesAndRanksInformativeFeaturesByPermutation()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(450, seed: 3));
        var options = MulticlassTrainerTests.SmallOptions();
        options.NumberOfIterations = 5;

        var folds = ml.MulticlassClassification.CrossValidate(data, MulticlassTrainerTests.Pipeline(ml, options), numberOfFolds: 3);
        Assert.HasCount(3, folds);
        Assert.IsTrue(folds.All(f => f.Metrics.MicroAccuracy > 0.8), string.Join(", ", folds.Select(f => f.Metrics.MicroAccuracy)));

        ITransformer prep = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.NormalizeMinMax("Features")).Fit(data);
        IDataView prepared = prep.Transform(data);
        RandADMulticlassPredictionTransformer model = ml.MulticlassClassification.Trainers.RandAD(options).Fit(prepared);
        var importance = ml.MulticlassClassification.PermutationFeatureImportance(model, prepared, permutationCount: 1);
        double[] drop = importance.Select(m => -m.MicroAccuracy.Mean).ToArray();
        // Features 0..5 carry the class; 6 and 7 are noise.
        Assert.IsGreaterThan(drop[6] + 0.02, drop.Take(6).Min(), string.Join(", ", drop));
        Assert.IsGreaterThan(drop[7] + 0.02, drop.Take(6).Min(), string.Join(", ", drop));
    }

    [TestMethod]
    public void SameSeedGivesBitIdenticalWeightsAndWeightsChangeTheModel()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, seed: 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(300, seed: 1)));
        float[] Train(string? weight)
        {
            var options = MulticlassTrainerTests.SmallOptions();
            options.ExampleWeightColumnName = weight;
            return new MLContext(seed: 7).MulticlassClassification.Trainers.RandAD(options).Fit(data).Model.Network.Parameters;
        }

        float[] a = Train(null), b = Train(null), weighted = Train("Weight");
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, weighted);
    }

    [TestMethod]
    public void SeedFromTheMLContextWhenOptionsGiveNone()
    {
        IDataView Data(MLContext ml) => ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(100, seed: 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(100, seed: 1)));
        float[] Train(int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            return ml.MulticlassClassification.Trainers.RandAD(hiddenLayerSizes: [8], numberOfIterations: 1).Fit(Data(ml)).Model.Network.Parameters;
        }

        CollectionAssert.AreEqual(Train(3), Train(3));
        CollectionAssert.AreNotEqual(Train(3), Train(4));
    }

    [TestMethod]
    public void EstimatorChainPropagatesTheSchemaThroughMapKeyToValue()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(20, seed: 1));
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public, [typeof(DataViewSchema)])!;
        var shape = (SchemaShape)create.Invoke(null, [data.Schema])!;

        SchemaShape output = MulticlassTrainerTests.Pipeline(ml, MulticlassTrainerTests.SmallOptions()).GetOutputSchema(shape);

        SchemaShape.Column score = output.Single(c => c.Name == "Score");
        SchemaShape.Column predicted = output.Single(c => c.Name == "PredictedLabel");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, score.Kind);
        Assert.AreEqual(TextDataViewType.Instance, predicted.ItemType);
    }

    [TestMethod]
    public void CnnTrainsOnImageShapedFashionMnistRows()
    {
        var ml = new MLContext(seed: 1);
        RandAD.Datasets.DataSplit split = RandAD.Datasets.FashionMnist.Load();
        IDataView train = FashionRows.Load(ml, split.Train.Take(2000));
        IDataView test = FashionRows.Load(ml, split.Test.Take(500));
        var trainer = ml.MulticlassClassification.Trainers.RandAD(new RandADMulticlassTrainer.Options
        {
            ImageShape = new RandADImageShape(1, 28, 28),
            ConvolutionFilters = [8],
            HiddenLayerCount = 0,
            NumberOfIterations = 2,
            BatchSize = 64,
            LearningRate = 2e-3f,
            Seed = 1,
        });

        RandADMulticlassPredictionTransformer model = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train) is var keys
            ? trainer.Fit(keys.Transform(train)) : throw new InvalidOperationException();
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keys.Transform(test)));

        Assert.IsGreaterThan(0.65, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
        Assert.IsTrue(model.Model.Spec.Layers.Any(l => l is Model.Conv2DSpec));
        Assert.IsGreaterThan(0L, model.Model.RetainedActivationBytes);
    }
}

/// <summary>Fashion-MNIST rows as an ML.NET data view: string label, 784 pixels in [0, 1].</summary>
internal static class FashionRows
{
    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    public static IDataView Load(MLContext ml, RandAD.Datasets.DataSet set) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, set.Count).Select(i => new Row
        {
            Label = RandAD.Datasets.FashionMnist.ClassNames[set.Labels[i]],
            Features = set.Features.AsSpan(i * 784, 784).ToArray(),
        }));
}
