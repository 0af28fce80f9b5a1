using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// Runs a whole-pipeline ONNX export on raw columns, in ONNX Runtime (<see cref="InferenceSession"/>, batches of any
/// size) and in ML.NET (<c>ApplyOnnxModel</c>), and reads the in-process pipeline's own predictions to compare with.
/// </summary>
internal static class PipelineParityCheck
{
    /// <summary>Allowed absolute difference of probabilities and (relative to max(1, |value|)) of scores.</summary>
    public const double Tolerance = 1e-5;

    public static byte[] Export(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnxWithRandAD(model, data, stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Runs rows [<paramref name="start"/>, start + <paramref name="rows"/>) of <paramref name="data"/> through the session: each
    /// graph input is fed from the data column of the same name (Single scalars as [rows, 1], Single vectors as [rows, size]).
    /// </summary>
    public static Dictionary<string, Array> RunSession(InferenceSession session, IDataView data, int start, int rows)
    {
        var inputs = new List<OrtValue>();
        try
        {
            foreach ((string name, NodeMetadata metadata) in session.InputMetadata)
            {
                Assert.AreEqual(TensorElementType.Float, metadata.ElementDataType, $"input {name}");
                float[][] column = FloatRows(data, name);
                int size = column[0].Length;
                inputs.Add(OrtValue.CreateTensorValueFromMemory(column.Skip(start).Take(rows).SelectMany(r => r).ToArray(), [rows, size]));
            }

            string[] names = [.. session.OutputNames];
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, [.. session.InputMetadata.Keys], inputs, names);
            var outputs = new Dictionary<string, Array>();
            for (int i = 0; i < names.Length; i++)
            {
                OrtValue result = results[i];
                outputs[names[i]] = result.GetTensorTypeAndShape().ElementDataType switch
                {
                    TensorElementType.Float => result.GetTensorDataAsSpan<float>().ToArray(),
                    TensorElementType.Int64 => result.GetTensorDataAsSpan<long>().ToArray(),
                    TensorElementType.Bool => result.GetTensorDataAsSpan<bool>().ToArray(),
                    TensorElementType.String => result.GetStringTensorAsArray(),
                    var other => throw new AssertFailedException($"Unexpected output type {other} of {names[i]}."),
                };
            }

            return outputs;
        }
        finally
        {
            inputs.ForEach(v => v.Dispose());
        }
    }

    /// <summary>ML.NET's <c>ApplyOnnxModel</c> on the raw data: the named outputs, one array per row.</summary>
    public static Dictionary<string, object[]> RunApplyOnnxModel(MLContext ml, byte[] model, IDataView data, string[] inputs, params string[] outputs)
    {
        var transformer = ml.Transforms.ApplyOnnxModel(outputs, inputs, new MemoryStream(model)).Fit(data);
        using (transformer)
        {
            IDataView scored = transformer.Transform(data);
            return outputs.ToDictionary(name => name, name => Rows(scored, name));
        }
    }

    public static float[][] FloatRows(IDataView data, string column)
    {
        DataViewType type = data.Schema[column].Type;
        return type is VectorDataViewType
            ? [.. data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray())]
            : [.. data.GetColumn<float>(column).Select(v => new[] { v })];
    }

    /// <summary>Every value of a column as an array per row (vectors copied out of ML.NET's reused buffers).</summary>
    public static object[] Rows(IDataView data, string column)
    {
        DataViewType type = data.Schema[column].Type;
        DataViewType item = type is VectorDataViewType vector ? vector.ItemType : type;
        return item.RawType switch
        {
            var t when t == typeof(float) => Read<float>(data, column, type),
            var t when t == typeof(long) => Read<long>(data, column, type),
            var t when t == typeof(bool) => Read<bool>(data, column, type),
            var t when t == typeof(ReadOnlyMemory<char>) => Read<ReadOnlyMemory<char>>(data, column, type).Select(r => (object)((ReadOnlyMemory<char>[])r).Select(s => s.ToString()).ToArray()).ToArray(),
            var t => throw new AssertFailedException($"Column {column}: unexpected type {t}."),
        };
    }

    private static object[] Read<T>(IDataView data, string column, DataViewType type) => type is VectorDataViewType
        ? [.. data.GetColumn<VBuffer<T>>(column).Select(v => (object)v.DenseValues().ToArray())]
        : [.. data.GetColumn<T>(column).Select(v => (object)new[] { v })];

    /// <summary>Asserts |expected − actual| within <see cref="Tolerance"/> (relative for scores); returns the largest difference.</summary>
    public static double Compare(IReadOnlyList<float> expected, IReadOnlyList<float> actual, bool relative, string context)
    {
        Assert.AreEqual(expected.Count, actual.Count, $"{context}: value count");
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            double difference = Math.Abs(expected[i] - (double)actual[i]);
            double scale = relative ? Math.Max(1, Math.Abs(expected[i])) : 1;
            if (!(difference <= Tolerance * scale))
            {
                Assert.Fail($"{context} [{i}]: in process {expected[i]:R}, ONNX {actual[i]:R}, difference {difference:E2}");
            }

            worst = Math.Max(worst, difference);
        }

        return worst;
    }
}
