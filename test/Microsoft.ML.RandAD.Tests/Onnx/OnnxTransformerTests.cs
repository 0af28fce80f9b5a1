using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// How ML.NET's OnnxTransformer (<c>ApplyOnnxModel</c>, 5.0.1) maps the exported outputs to columns: the single-row
/// form gives clean fixed-size vector columns with the engine's values; the batched form's [N, K] outputs come back
/// with an extra leading dimension of 1.
/// </summary>
[TestClass]
public sealed class OnnxTransformerTests
{
    [TestMethod]
    public void SingleRowMulticlassOutputsBecomeVectorColumns()
    {
        Network network = OnnxParityCheck.Trained(NetworkSpec.Mlp(6, [5], 4, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 5);
        (IDataView output, float[] x, int rows, IDisposable transformer) = Apply(network, singleRow: true);
        using (transformer)
        {
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 4), output.Schema[OnnxNames.Probabilities].Type);
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 4), output.Schema[OnnxNames.Logits].Type);
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Int64, 1), output.Schema[OnnxNames.PredictedLabel].Type);

            float[][] logits = Column<float>(output, OnnxNames.Logits);
            long[][] labels = Column<long>(output, OnnxNames.PredictedLabel);
            float[] engine = OnnxParityCheck.EngineOutputs(network, x, rows);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < 4; c++)
                {
                    Assert.AreEqual(engine[r * 4 + c], logits[r][c], 1e-5f, $"logit [{r},{c}]");
                }

                Assert.AreEqual(engine.AsSpan(r * 4, 4).IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(engine.AsSpan(r * 4, 4))), (int)labels[r][0], $"label of row {r}");
            }
        }
    }

    [TestMethod]
    public void SingleRowBinaryOutputsBecomeOneElementVectors()
    {
        Network network = OnnxParityCheck.Trained(NetworkSpec.Mlp(6, [5], 1, new LossSpec(LossKind.BinaryCrossEntropy)), seed: 6);
        (IDataView output, float[] x, int rows, IDisposable transformer) = Apply(network, singleRow: true);
        using (transformer)
        {
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1), output.Schema[OnnxNames.Score].Type);
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1), output.Schema[OnnxNames.Probability].Type);
            Assert.AreEqual(new VectorDataViewType(BooleanDataViewType.Instance, 1), output.Schema[OnnxNames.PredictedLabel].Type);

            float[][] score = Column<float>(output, OnnxNames.Score);
            bool[][] labels = Column<bool>(output, OnnxNames.PredictedLabel);
            float[] engine = OnnxParityCheck.EngineOutputs(network, x, rows);
            for (int r = 0; r < rows; r++)
            {
                Assert.AreEqual(engine[r], score[r][0], 1e-5f, $"score of row {r}");
                Assert.AreEqual(engine[r] > 0, labels[r][0], $"label of row {r}");
            }
        }
    }

    [TestMethod]
    public void BatchedOutputsGainALeadingDimensionOfOne()
    {
        Network network = OnnxParityCheck.Trained(NetworkSpec.Mlp(6, [5], 4, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 5);
        (IDataView output, _, _, IDisposable transformer) = Apply(network, singleRow: false);
        using (transformer)
        {
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 4), output.Schema[OnnxNames.Probabilities].Type);
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Int64, 1), output.Schema[OnnxNames.PredictedLabel].Type);
        }
    }

    private static (IDataView Output, float[] X, int Rows, IDisposable Transformer) Apply(Network network, bool singleRow)
    {
        const int rows = 7;
        int d = network.InputSize;
        float[] x = OnnxParityCheck.Features(rows, d, new Random(3));
        var ml = new MLContext(seed: 1);
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[OnnxNames.Features].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(r => new Row { Features = x[(r * d)..((r + 1) * d)] }), definition);

        string[] outputs = [.. OutputsOf(network)];
        var model = new MemoryStream(OnnxExport.ToBytes(network, new OnnxExportOptions { SingleRow = singleRow }));
        var transformer = ml.Transforms.ApplyOnnxModel(outputs, [OnnxNames.Features], model).Fit(data);
        return (transformer.Transform(data), x, rows, transformer);
    }

    private static IEnumerable<string> OutputsOf(Network network) => network.OutputSize == 1
        ? [OnnxNames.Score, OnnxNames.Probability, OnnxNames.PredictedLabel]
        : [OnnxNames.Logits, OnnxNames.Probabilities, OnnxNames.PredictedLabel];

    private static T[][] Column<T>(IDataView data, string name) =>
        [.. data.GetColumn<VBuffer<T>>(name).Select(v => v.DenseValues().ToArray())];

    private sealed class Row
    {
        [ColumnName(OnnxNames.Features)]
        public float[] Features { get; set; } = [];
    }
}
