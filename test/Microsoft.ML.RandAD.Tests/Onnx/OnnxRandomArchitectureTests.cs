using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>Parity between ONNX Runtime and the engine over many generated architectures (seeded, so a failure reproduces).</summary>
[TestClass]
public sealed class OnnxRandomArchitectureTests
{
    private const int Architectures = 40;

    [TestMethod]
    public void GeneratedArchitecturesMatchTheEngine()
    {
        var failures = new List<string>();
        for (int seed = 0; seed < Architectures; seed++)
        {
            NetworkSpec spec = RandomArchitectures.Create(1000 + seed);
            string name = $"architecture {seed}: {spec.ToJson()}";
            try
            {
                Network network = OnnxParityCheck.Trained(spec, seed: (ulong)(50 + seed));
                OnnxParityCheck.CheckParity(network, name, [1, 3, 64], seed: seed);
            }
            catch (Exception e) when (e is AssertFailedException or ArgumentException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                failures.Add($"{name}\n    {e.Message}");
            }
        }

        Assert.AreEqual(0, failures.Count, $"{failures.Count} of {Architectures} architectures failed:\n{string.Join('\n', failures)}");
    }

    /// <summary>
    /// Every layer type behind ML.NET's preprocessing: each generated network joined to a fitted NormalizeMeanVariance
    /// of a raw vector column, run on the raw column in ONNX Runtime, against the engine on ML.NET's normalized features.
    /// </summary>
    [TestMethod]
    public void GeneratedArchitecturesJoinedBehindMlNetPreprocessing()
    {
        const int rows = 9;
        var ml = new MLContext(seed: 1);
        for (int seed = 0; seed < 12; seed++)
        {
            NetworkSpec spec = RandomArchitectures.Create(2000 + seed);
            Network network = OnnxParityCheck.Trained(spec, seed: (ulong)(70 + seed));
            int d = network.InputSize;
            float[] raw = [.. OnnxParityCheck.Features(rows, d, new Random(seed)).Select(v => 5 + 3 * v)];
            var definition = SchemaDefinition.Create(typeof(RawVector));
            definition[nameof(RawVector.Raw)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
            IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(r => new RawVector { Raw = raw[(r * d)..((r + 1) * d)] }), definition);
            ITransformer normalizer = ml.Transforms.NormalizeMeanVariance("Features", nameof(RawVector.Raw)).Fit(data);

            var options = new OnnxExportOptions();
            OnnxTask task = OnnxModelBuilder.ResolveTask(network, options);
            byte[] model = Google.Protobuf.MessageExtensions.ToByteArray(OnnxPipelineBuilder.Build([normalizer], data.Schema, "Features", network, options));
            using var session = new InferenceSession(model);
            Dictionary<string, Array> onnx = OnnxParityCheck.Run(session, nameof(RawVector.Raw), raw, rows, d);
            float[] normalized = [.. PipelineParityCheck.FloatRows(normalizer.Transform(data), "Features").SelectMany(r => r)];
            OnnxParityCheck.Compare(network, task, OnnxParityCheck.EngineOutputs(network, normalized, rows), onnx, rows, $"architecture {seed}: {spec.ToJson()}");
        }
    }

    private sealed class RawVector
    {
        public float[] Raw { get; set; } = [];
    }
}
