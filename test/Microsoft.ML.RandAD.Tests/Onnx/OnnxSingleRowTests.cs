using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>The single-row form: input [D], outputs [K] and [1], same values as the engine row by row.</summary>
[TestClass]
public sealed class OnnxSingleRowTests
{
    public static IEnumerable<object[]> Networks =>
    [
        ["multiclass-cnn", new NetworkSpec(
            InputSpec.Image(3, 6, 5),
            [new Conv2DSpec(4, 3, 1, 1), new BatchNormSpec(), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(4)],
            new LossSpec(LossKind.SoftmaxCrossEntropy))],
        ["binary-mlp", new NetworkSpec(InputSpec.Vector(8), [new DenseSpec(6), new BatchNormSpec(), new ActivationSpec(ActivationKind.Tanh), new DenseSpec(1)], new LossSpec(LossKind.BinaryCrossEntropy))],
        ["regression-irnn", new NetworkSpec(InputSpec.Sequence(4, 3), [new RecurrentSpec(5), new DenseSpec(1)], new LossSpec(LossKind.MeanSquaredError))],
        ["regression-2-outputs", NetworkSpec.Mlp(5, [4], 2, new LossSpec(LossKind.Huber), ActivationKind.Gelu)],
    ];

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void SingleRowGraphScoresOneRowAtATime(string name, NetworkSpec spec)
    {
        Network network = OnnxParityCheck.Trained(spec, seed: 9);
        using var session = new InferenceSession(OnnxExport.ToBytes(network, new OnnxExportOptions { SingleRow = true }));
        int d = network.InputSize, k = network.OutputSize;
        OnnxTask task = OnnxParityCheck.OnnxModelTask(network, null);

        CollectionAssert.AreEqual(new[] { d }, session.InputMetadata[OnnxNames.Features].Dimensions, "input shape");
        foreach (string output in session.OutputNames)
        {
            int[] expected = output is OnnxNames.Logits or OnnxNames.Probabilities || (output == OnnxNames.Score && k > 1) ? [k] : [1];
            CollectionAssert.AreEqual(expected, session.OutputMetadata[output].Dimensions, $"{name}: declared shape of {output}");
        }

        var random = new Random(12);
        for (int row = 0; row < 5; row++)
        {
            float[] x = OnnxParityCheck.Features(1, d, random);
            Dictionary<string, Array> onnx = OnnxParityCheck.Run(session, OnnxNames.Features, x, 1, d, singleRow: true);
            foreach (string output in session.OutputNames)
            {
                CollectionAssert.AreEqual(session.OutputMetadata[output].Dimensions.Select(v => (long)v).ToArray(), (long[])onnx[output + ":shape"], $"{name}: actual shape of {output}");
            }

            OnnxParityCheck.Compare(network, task, OnnxParityCheck.EngineOutputs(network, x, 1), onnx, 1, $"{name}, row {row}");
        }
    }
}
