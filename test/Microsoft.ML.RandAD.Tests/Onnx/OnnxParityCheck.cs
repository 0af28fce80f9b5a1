using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>
/// Trains small networks on random data and compares ONNX Runtime's outputs for an exported graph with the
/// engine's <see cref="NetworkScorer"/> (softmax / sigmoid applied here in double precision on the engine's logits).
/// </summary>
internal static class OnnxParityCheck
{
    /// <summary>Allowed difference of probabilities (absolute) and of logits/scores (relative to max(1, |value|)).</summary>
    public const double Tolerance = 1e-5;

    /// <summary>A network trained for a few Adam steps on random data, so weights and batch-norm statistics have moved.</summary>
    public static Network Trained(NetworkSpec spec, ulong seed, int steps = 3, int batch = 16)
    {
        var network = Network.Create(spec, seed);
        var random = new Random((int)seed);
        int rows = steps * batch;
        float[] features = Features(rows, network.InputSize, random);
        bool regression = spec.Loss.Kind is LossKind.MeanSquaredError or LossKind.Huber;
        int width = regression ? network.OutputSize : 1;
        float[] targets = new float[rows * width];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = spec.Loss.Kind switch
            {
                LossKind.SoftmaxCrossEntropy => random.Next(network.OutputSize),
                LossKind.BinaryCrossEntropy => random.Next(2),
                _ => (float)(2 * random.NextDouble() - 1),
            };
        }

        var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(OptimizerKind.Adam), 0.01f, batch));
        loop.RunEpoch(new InMemoryMinibatchSource(features, targets, null, network.InputSize, width, seed), 0);
        return network;
    }

    /// <summary>Uniform features in [−1, 1).</summary>
    public static float[] Features(int rows, int size, Random random)
    {
        float[] x = new float[rows * size];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(2 * random.NextDouble() - 1);
        }

        return x;
    }

    public static float[] EngineOutputs(Network network, float[] x, int rows)
    {
        float[] output = new float[rows * network.OutputSize];
        network.CreateScorer().Score(x, rows, output);
        return output;
    }

    /// <summary>Runs the session on <paramref name="rows"/> rows of <paramref name="x"/> (shape [rows, D], or [D] when <paramref name="singleRow"/>).</summary>
    public static Dictionary<string, Array> Run(InferenceSession session, string input, float[] x, int rows, int d, bool singleRow = false)
    {
        long[] shape = singleRow ? [d] : [rows, d];
        using var value = OrtValue.CreateTensorValueFromMemory(x[..(rows * d)], shape);
        using var runOptions = new RunOptions();
        string[] names = [.. session.OutputNames];
        using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, [input], [value], names);
        var outputs = new Dictionary<string, Array>();
        int i = 0;
        foreach (OrtValue result in results)
        {
            var info = result.GetTensorTypeAndShape();
            outputs[names[i] + ":shape"] = info.Shape;
            outputs[names[i++]] = info.ElementDataType switch
            {
                Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => result.GetTensorDataAsSpan<float>().ToArray(),
                Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 => result.GetTensorDataAsSpan<long>().ToArray(),
                Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Bool => result.GetTensorDataAsSpan<bool>().ToArray(),
                Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.String => result.GetStringTensorAsArray(),
                var other => throw new AssertFailedException($"Unexpected output type {other}."),
            };
        }

        return outputs;
    }

    /// <summary>Exports, opens a session, and checks every batch size. Returns the largest difference seen.</summary>
    public static double CheckParity(Network network, string name, int[] batchSizes, int seed, OnnxExportOptions? options = null)
    {
        byte[] model = OnnxExport.ToBytes(network, options);
        using var session = new InferenceSession(model);
        var random = new Random(seed);
        double worst = 0;
        foreach (int rows in batchSizes)
        {
            float[] x = Features(rows, network.InputSize, random);
            Dictionary<string, Array> onnx = Run(session, options?.InputName ?? OnnxNames.Features, x, rows, network.InputSize);
            float[] engine = EngineOutputs(network, x, rows);
            worst = Math.Max(worst, Compare(network, OnnxModelTask(network, options), engine, onnx, rows, $"{name}, batch {rows}"));
        }

        return worst;
    }

    public static OnnxTask OnnxModelTask(Network network, OnnxExportOptions? options) =>
        options?.Task ?? network.Spec.Loss.Kind switch
        {
            LossKind.SoftmaxCrossEntropy => OnnxTask.Multiclass,
            LossKind.BinaryCrossEntropy => OnnxTask.Binary,
            _ => OnnxTask.Regression,
        };

    /// <summary>Asserts the ONNX outputs of <paramref name="rows"/> rows match the engine's; returns the largest difference.</summary>
    public static double Compare(Network network, OnnxTask task, float[] engine, Dictionary<string, Array> onnx, int rows, string context)
    {
        int k = network.OutputSize;
        double worst = 0;
        switch (task)
        {
            case OnnxTask.Multiclass:
            {
                float[] logits = (float[])onnx[OnnxNames.Logits];
                float[] probabilities = (float[])onnx[OnnxNames.Probabilities];
                long[] labels = (long[])onnx[OnnxNames.PredictedLabel];
                Assert.AreEqual(rows * k, logits.Length, $"{context}: logits length");
                Assert.AreEqual(rows, labels.Length, $"{context}: label count");
                for (int r = 0; r < rows; r++)
                {
                    ReadOnlySpan<float> row = engine.AsSpan(r * k, k);
                    double[] softmax = Softmax(row);
                    int argmax = 0;
                    for (int c = 0; c < k; c++)
                    {
                        worst = Math.Max(worst, Check(row[c], logits[r * k + c], relative: true, $"{context}: logit [{r},{c}]"));
                        worst = Math.Max(worst, Check(softmax[c], probabilities[r * k + c], relative: false, $"{context}: probability [{r},{c}]"));
                        argmax = row[c] > row[argmax] ? c : argmax;
                    }

                    Assert.AreEqual(argmax, labels[r], $"{context}: predicted label of row {r} (logits {string.Join(", ", row.ToArray())})");
                }

                break;
            }

            case OnnxTask.Binary:
            {
                float[] score = (float[])onnx[OnnxNames.Score];
                float[] probability = (float[])onnx[OnnxNames.Probability];
                bool[] labels = (bool[])onnx[OnnxNames.PredictedLabel];
                Assert.AreEqual(rows, score.Length, $"{context}: score count");
                for (int r = 0; r < rows; r++)
                {
                    worst = Math.Max(worst, Check(engine[r], score[r], relative: true, $"{context}: score [{r}]"));
                    worst = Math.Max(worst, Check(1 / (1 + Math.Exp(-engine[r])), probability[r], relative: false, $"{context}: probability [{r}]"));
                    Assert.AreEqual(engine[r] > 0, labels[r], $"{context}: predicted label of row {r} (score {engine[r]})");
                }

                break;
            }

            default:
            {
                float[] score = (float[])onnx[OnnxNames.Score];
                Assert.AreEqual(rows * k, score.Length, $"{context}: score count");
                for (int i = 0; i < score.Length; i++)
                {
                    worst = Math.Max(worst, Check(engine[i], score[i], relative: true, $"{context}: score [{i}]"));
                }

                break;
            }
        }

        return worst;
    }

    private static double Check(double expected, double actual, bool relative, string what)
    {
        double difference = Math.Abs(expected - actual);
        double scale = relative ? Math.Max(1, Math.Abs(expected)) : 1;
        if (!(difference <= Tolerance * scale))
        {
            Assert.Fail($"{what}: engine {expected:R}, ONNX Runtime {actual:R}, difference {difference:E2}");
        }

        return difference / scale;
    }

    private static double[] Softmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }

        double[] p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = Math.Exp(logits[i] - max);
            sum += p[i];
        }

        for (int i = 0; i < p.Length; i++)
        {
            p[i] /= sum;
        }

        return p;
    }
}
