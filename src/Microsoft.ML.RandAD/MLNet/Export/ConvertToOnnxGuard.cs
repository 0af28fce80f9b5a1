using System.Diagnostics;

namespace Microsoft.ML.RandAD.MLNet.Export;

/// <summary>
/// Makes ML.NET's <c>mlContext.Model.ConvertToOnnx</c> fail loudly on a pipeline holding a RandAD transformer,
/// instead of silently writing a graph that predicts nothing.
/// </summary>
/// <remarks>
/// <para>
/// ML.NET's converter applies the pipeline (<c>Transform</c>), then walks back from the output through the data
/// views that are its internal <c>ITransformCanSaveOnnx</c> transforms. Our scored view is not one (that interface,
/// like <c>IDataTransform</c>, is internal to ML.NET and cannot be implemented here), so the walk ends at it without
/// a word: the graph's inputs become our output columns (<c>Score</c>, <c>PredictedLabel</c>), passed through, and
/// everything before — the preprocessing and the network — is lost (MLNET-NOTES.md; <c>RandADOnnx.Check</c> spots
/// such files).
/// </para>
/// <para>
/// The one thing ML.NET's converter does with our transformer is call its <c>Transform</c>, from its own
/// <c>OnnxExportExtensions</c> class. So <c>Transform</c> looks at its callers (once per call, not per row; about
/// 5 µs measured here, of a 35 µs call) and throws when that class is among them. Its conversion methods are far
/// too large for the JIT to inline away, so the frame is there whenever the call comes from the converter.
/// </para>
/// </remarks>
internal static class ConvertToOnnxGuard
{
    /// <summary>ML.NET's class holding <c>ConvertToOnnx</c> (Microsoft.ML.OnnxConverter).</summary>
    internal const string ConverterClass = "Microsoft.ML.OnnxExportExtensions";

    internal const string Message =
        "mlContext.Model.ConvertToOnnx cannot export a pipeline with a RandAD trainer: ML.NET's converter does not know the RandAD " +
        "transformer and would silently write a graph without the preprocessing and the network (the Score columns as inputs). " +
        "Use mlContext.Model.ConvertToOnnxWithRandAD(model, data, path) (using Microsoft.ML;) for the whole pipeline, or " +
        "OnnxExport.Save(transformer, path) for the network alone.";

    /// <exception cref="NotSupportedException">The caller is ML.NET's ONNX converter.</exception>
    public static void ThrowIfCalledByConvertToOnnx()
    {
        foreach (StackFrame frame in new StackTrace(fNeedFileInfo: false).GetFrames())
        {
            if (frame.GetMethod()?.DeclaringType?.FullName == ConverterClass)
            {
                throw new NotSupportedException(Message);
            }
        }
    }
}
