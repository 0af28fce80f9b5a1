using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;
using static Microsoft.ML.RandAD.Onnx.OnnxGraphBuilder;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>How a value in the exported graph is laid out (the batch dimension is always first).</summary>
internal enum OnnxLayout
{
    /// <summary><c>[N, size]</c>: vectors, and sequences (kept flat until a recurrent layer needs <c>[T, N, D]</c>).</summary>
    Flat,

    /// <summary><c>[N, C, H, W]</c>: images, in the layout ONNX Conv and pooling expect.</summary>
    Nchw,
}

/// <summary>A value of the graph under construction: its name, the engine's shape of one example, and its ONNX layout.</summary>
internal readonly record struct GraphTensor(string Name, TensorShape Shape, OnnxLayout Layout);

/// <summary>
/// One method per engine layer type: appends the layer's ONNX nodes and initializers and returns its output.
/// </summary>
/// <remarks>
/// The engine computes images channels-last (HWC); ONNX Conv and pooling are NCHW. The graph therefore keeps
/// images NCHW from the start (the planar feature vector reshaped), converts conv weights to [F, C, kh, kw], and
/// transposes to NHWC only before a Flatten, so the flattened order is the engine's (h, w, c) and the weights of
/// the following Dense layer apply unchanged. The engine's CHW→HWC reorder layer thus becomes nothing.
/// </remarks>
internal static class LayerExporters
{
    /// <summary>
    /// The name prefix of layer <paramref name="i"/>'s nodes and initializers: <c>layer{n}</c>, n its index in the spec (the
    /// engine's leading channels-last reorder is not in the spec). The writer and <see cref="OnnxImport"/> both name by it.
    /// </summary>
    public static string Prefix(IReadOnlyList<Layer> layers, int i) => $"layer{i - (layers[0] is ChannelsLastLayer ? 1 : 0)}";

    public static GraphTensor Export(OnnxGraphBuilder g, Layer layer, ReadOnlySpan<ParameterBlock> blocks, GraphTensor x, string prefix) => layer switch
    {
        DenseLayer => Dense(g, blocks, x, prefix, layer.OutputShape),
        ReluLayer { NegativeSlope: 0f } => Same(x, g.Add("Relu", prefix + "_relu", [x.Name])),
        ReluLayer relu => Same(x, g.Add("LeakyRelu", prefix + "_leakyrelu", [x.Name], Float("alpha", relu.NegativeSlope))),
        TanhLayer => Same(x, g.Add("Tanh", prefix + "_tanh", [x.Name])),
        SigmoidLayer => Same(x, g.Add("Sigmoid", prefix + "_sigmoid", [x.Name])),
        GeluLayer => Gelu(g, x, prefix),
        DropoutLayer => x, // identity at inference
        ChannelsLastLayer => x, // the graph keeps images NCHW (see remarks)
        FlattenLayer => Flatten(g, x, prefix, layer.OutputShape),
        Conv2DLayer conv => Conv(g, conv, blocks, x, prefix),
        Pool2DLayer pool => Pool(g, pool, x, prefix),
        BatchNormLayer norm => BatchNorm(g, norm, blocks, x, prefix),
        RecurrentLayer => Recurrent(g, layer, blocks, x, prefix),
        _ => throw new NotSupportedException($"Layer '{layer.Description}' ({layer.GetType().Name}) has no ONNX exporter."),
    };

    private static GraphTensor Same(GraphTensor x, string name) => x with { Name = name };

    /// <summary>y = x·W + b: Gemm takes W as the engine stores it, [inputs, outputs].</summary>
    private static GraphTensor Dense(OnnxGraphBuilder g, ReadOnlySpan<ParameterBlock> blocks, GraphTensor x, string prefix, TensorShape output)
    {
        RequireLayout(x, OnnxLayout.Flat, prefix);
        int[] dims = blocks[0].Spec.Dimensions;
        string w = g.Weights(prefix + ".weight", blocks[0].Values, dims[0], dims[1]);
        string b = g.Weights(prefix + ".bias", blocks[1].Values, dims[1]);
        return new GraphTensor(g.Add("Gemm", prefix + "_dense", [x.Name, w, b]), output, OnnxLayout.Flat);
    }

    /// <summary>
    /// GELU (tanh form) as the engine computes it, operation by operation: 0.5·x·(1 + tanh(c·x·(1 + a·x²))).
    /// Written out rather than as opset 20's Gelu so it runs at every supported opset and rounds like the engine.
    /// </summary>
    private static GraphTensor Gelu(OnnxGraphBuilder g, GraphTensor x, string prefix)
    {
        string p = prefix + "_gelu";
        string t = g.Add("Mul", p + "_x2", [x.Name, x.Name]);
        t = g.Add("Mul", p + "_ax2", [t, g.Scalar(GeluLayer.A)]);
        t = g.Add("Add", p + "_1ax2", [t, g.Scalar(1f)]);
        t = g.Add("Mul", p + "_u0", [t, x.Name]);
        t = g.Add("Mul", p + "_u", [t, g.Scalar(GeluLayer.C)]);
        t = g.Add("Tanh", p + "_tanh", [t]);
        t = g.Add("Add", p + "_1tanh", [t, g.Scalar(1f)]);
        t = g.Add("Mul", p + "_xt", [t, x.Name]);
        return Same(x, g.Add("Mul", p, [t, g.Scalar(0.5f)]));
    }

    /// <summary>Images: NCHW → NHWC (skipped for one channel, where both orders agree), then [N, H·W·C].</summary>
    private static GraphTensor Flatten(OnnxGraphBuilder g, GraphTensor x, string prefix, TensorShape output)
    {
        if (x.Layout == OnnxLayout.Flat)
        {
            return new GraphTensor(x.Name, output, OnnxLayout.Flat); // sequences are already flat, step-major
        }

        string name = x.Name;
        if (x.Shape.Channels > 1)
        {
            name = g.Add("Transpose", prefix + "_nhwc", [name], Ints("perm", 0, 2, 3, 1));
        }

        return new GraphTensor(g.Add("Flatten", prefix + "_flatten", [name], Int("axis", 1)), output, OnnxLayout.Flat);
    }

    /// <summary>Conv with the engine's weight [F, kh·kw·C] (patch order kh, kw, c) permuted to ONNX's [F, C, kh, kw].</summary>
    private static GraphTensor Conv(OnnxGraphBuilder g, Conv2DLayer conv, ReadOnlySpan<ParameterBlock> blocks, GraphTensor x, string prefix)
    {
        RequireLayout(x, OnnxLayout.Nchw, prefix);
        var geometry = conv.Geometry;
        int filters = conv.OutputShape.Channels, c = geometry.Channels, kh = geometry.KernelHeight, kw = geometry.KernelWidth;
        ReadOnlySpan<float> engine = blocks[0].Values;
        float[] weight = new float[engine.Length];
        for (int f = 0; f < filters; f++)
        {
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        weight[((f * c + ch) * kh + i) * kw + j] = engine[f * geometry.PatchSize + (i * kw + j) * c + ch];
                    }
                }
            }
        }

        string w = g.Weights(prefix + ".weight", weight, filters, c, kh, kw);
        string b = g.Weights(prefix + ".bias", blocks[1].Values, filters);
        int pad = geometry.Padding;
        string y = g.Add(
            "Conv",
            prefix + "_conv",
            [x.Name, w, b],
            Ints("kernel_shape", kh, kw),
            Ints("strides", geometry.Stride, geometry.Stride),
            Ints("pads", pad, pad, pad, pad),
            Ints("dilations", 1, 1));
        return new GraphTensor(y, conv.OutputShape, OnnxLayout.Nchw);
    }

    /// <summary>MaxPool / AveragePool without padding (floor output size, as the engine).</summary>
    private static GraphTensor Pool(OnnxGraphBuilder g, Pool2DLayer pool, GraphTensor x, string prefix)
    {
        RequireLayout(x, OnnxLayout.Nchw, prefix);
        bool max = pool.Kind == Model.PoolKind.Max;
        string y = g.Add(
            max ? "MaxPool" : "AveragePool",
            prefix + (max ? "_maxpool" : "_avgpool"),
            [x.Name],
            Ints("kernel_shape", pool.Size, pool.Size),
            Ints("strides", pool.Stride, pool.Stride));
        return new GraphTensor(y, pool.OutputShape, OnnxLayout.Nchw);
    }

    /// <summary>
    /// Inference-mode BatchNormalization with the running statistics: per channel on NCHW images, per feature on
    /// flat [N, F] values (the engine normalizes every element of a sequence separately, which is [N, T·D] too).
    /// </summary>
    private static GraphTensor BatchNorm(OnnxGraphBuilder g, BatchNormLayer norm, ReadOnlySpan<ParameterBlock> blocks, GraphTensor x, string prefix)
    {
        int features = blocks[0].Length;
        string scale = g.Weights(prefix + ".scale", blocks[0].Values, features);
        string bias = g.Weights(prefix + ".bias", blocks[1].Values, features);
        string mean = g.Weights(prefix + ".running_mean", blocks[2].Values, features);
        string variance = g.Weights(prefix + ".running_var", blocks[3].Values, features);
        return Same(x, g.Add("BatchNormalization", prefix + "_batchnorm", [x.Name, scale, bias, mean, variance], Float("epsilon", norm.Epsilon)));
    }

    /// <summary>
    /// IRNN as ONNX RNN (ReLU activation): [N, T·D] → [N, T, D] → [T, N, D]; W = W_ihᵀ [1, H, D], R = W_hhᵀ [1, H, H],
    /// B = [b, 0] [1, 2H]; the last hidden state Y_h [1, N, H] squeezed to [N, H].
    /// </summary>
    private static GraphTensor Recurrent(OnnxGraphBuilder g, Layer layer, ReadOnlySpan<ParameterBlock> blocks, GraphTensor x, string prefix)
    {
        RequireLayout(x, OnnxLayout.Flat, prefix);
        int steps = layer.InputShape.Steps, d = layer.InputShape.StepSize, h = layer.OutputShape.Size;
        string w = g.Weights(prefix + ".W", Transpose(blocks[0].Values, d, h), 1, h, d);
        string r = g.Weights(prefix + ".R", Transpose(blocks[1].Values, h, h), 1, h, h);
        float[] bias = new float[2 * h];
        blocks[2].Values.CopyTo(bias);
        string b = g.Weights(prefix + ".B", bias, 1, 2 * h);

        string ntd = g.Add("Reshape", prefix + "_ntd", [x.Name, g.Int64s(-1, steps, d)]);
        string tnd = g.Add("Transpose", prefix + "_tnd", [ntd], Ints("perm", 1, 0, 2));
        string last = g.NewName(prefix + "_yh");
        g.AddNode(
            "RNN",
            prefix + "_rnn",
            [tnd, w, r, b],
            ["", last], // Y (every step) is not needed: "" leaves the optional output out
            Strings("activations", "Relu"),
            Int("hidden_size", h));
        string y = g.Add("Squeeze", prefix + "_irnn", [last, g.Int64s(0)]);
        return new GraphTensor(y, layer.OutputShape, OnnxLayout.Flat);
    }

    /// <summary><c>result[j, i] = source[i, j]</c> for a <paramref name="rows"/> × <paramref name="columns"/> source (the IRNN's weights, both ways).</summary>
    internal static float[] Transpose(ReadOnlySpan<float> source, int rows, int columns)
    {
        float[] result = new float[source.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[j * rows + i] = source[i * columns + j];
            }
        }

        return result;
    }

    private static void RequireLayout(GraphTensor x, OnnxLayout layout, string prefix)
    {
        if (x.Layout != layout)
        {
            throw new InvalidOperationException($"{prefix}: expected a {layout} input in the ONNX graph but got {x.Layout} ({x.Shape}).");
        }
    }
}
