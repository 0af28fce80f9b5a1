namespace Microsoft.ML.RandAD.MLNet.Persistence;

/// <summary>Placeholder until the ONNX exporter lands: saving is not available yet.</summary>
internal static class OnnxEquivalent
{
    public static void Save(RandADPredictionTransformer transformer, ModelSaveContext ctx) =>
        throw new NotSupportedException("Saving a RandAD model needs the ONNX exporter, which is not merged yet.");
}
