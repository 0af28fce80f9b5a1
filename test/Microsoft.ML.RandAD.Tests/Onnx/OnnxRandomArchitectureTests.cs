using Microsoft.ML.RandAD.Model;

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
}
