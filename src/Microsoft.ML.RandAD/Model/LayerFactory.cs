using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Model;

/// <summary>Turns a <see cref="NetworkSpec"/> into layers, propagating shapes and checking that each layer fits its input.</summary>
internal static class LayerFactory
{
    /// <summary>
    /// Whether a ReLU-family activation followed by max pooling runs as pooling, then the activation (the same values and
    /// gradients, on fewer elements). On by default; benchmarks turn it off to measure what it saves.
    /// </summary>
    internal static bool PoolBeforeActivation { get; set; } = true;

    /// <summary>The engine's shape of the network input (images become channels-last).</summary>
    public static TensorShape InputShape(InputSpec input) => input.Kind switch
    {
        TensorKind.Vector => TensorShape.Vector(input.Width),
        TensorKind.Sequence => TensorShape.Sequence(input.Height, input.Width),
        _ => TensorShape.Image(input.Height, input.Width, input.Channels),
    };

    public static List<Layer> Build(NetworkSpec spec)
    {
        var layers = new List<Layer>();
        TensorShape shape = InputShape(spec.Input);
        if (spec.Input.Kind == TensorKind.Image && spec.Input.Channels > 1)
        {
            // Features arrive planar (C, H, W); the engine computes channels-last.
            layers.Add(new ChannelsLastLayer(shape));
        }

        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec? next = i + 1 < spec.Layers.Count ? spec.Layers[i + 1] : null;
            if (PoolBeforeActivation && CommutesWithMaxPool(spec.Layers[i]) && next is Pool2DSpec { Kind: PoolKind.Max })
            {
                // max(f(x)) = f(max(x)) for a non-decreasing f, and the gradients agree (the window's winner is the same
                // wherever f is strictly increasing; where it is flat, both give zero). Pooling first runs the activation,
                // and keeps its mask, on a quarter of the elements (2×2 windows).
                Layer pool = Create(next, shape, i + 2 < spec.Layers.Count ? spec.Layers[i + 2] : null, i + 1);
                Layer activation = Create(spec.Layers[i], pool.OutputShape, next, i);
                layers.Add(pool);
                layers.Add(activation);
                shape = activation.OutputShape;
                i++;
                continue;
            }

            Layer layer = Create(spec.Layers[i], shape, next, i);
            layers.Add(layer);
            shape = layer.OutputShape;
        }

        int expected = spec.Loss.Kind == LossKind.SoftmaxCrossEntropy ? -1 : 1;
        if (shape.Kind != TensorKind.Vector)
        {
            throw new ArgumentException($"The last layer outputs {shape}; a network must end in a vector (add a Flatten and a Dense layer).");
        }

        if (expected == 1 && spec.Loss.Kind == LossKind.BinaryCrossEntropy && shape.Size != 1)
        {
            throw new ArgumentException($"Binary cross-entropy needs one output logit, but the network outputs {shape.Size}.");
        }

        if (spec.Loss.Kind == LossKind.SoftmaxCrossEntropy && shape.Size < 2)
        {
            throw new ArgumentException("Softmax cross-entropy needs at least 2 class outputs.");
        }

        return layers;
    }

    public static Loss CreateLoss(LossSpec spec) => spec.Kind switch
    {
        LossKind.SoftmaxCrossEntropy => new SoftmaxCrossEntropyLoss(),
        LossKind.BinaryCrossEntropy => new BinaryCrossEntropyLoss(),
        LossKind.MeanSquaredError => new MeanSquaredErrorLoss(),
        LossKind.Huber => new HuberLoss(spec.HuberDelta),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "Unknown loss."),
    };

    private static Layer Create(LayerSpec spec, TensorShape shape, LayerSpec? next, int index)
    {
        string where = $"layer {index} ({spec.GetType().Name.Replace("Spec", string.Empty)})";
        switch (spec)
        {
            case DenseSpec dense:
                Require(dense.Units >= 1, where, $"needs at least 1 unit, got {dense.Units}");
                Require(shape.Kind == TensorKind.Vector, where, $"needs a vector input but gets {shape}; add a Flatten layer before it");
                return new DenseLayer(shape, dense.Units, InitializerBefore(next), new ExactSketch());
            case ActivationSpec activation:
                return activation.Kind switch
                {
                    ActivationKind.Relu => new ReluLayer(shape),
                    ActivationKind.LeakyRelu => new ReluLayer(shape, activation.NegativeSlope),
                    ActivationKind.Tanh => new TanhLayer(shape),
                    ActivationKind.Sigmoid => new SigmoidLayer(shape),
                    ActivationKind.Gelu => new GeluLayer(shape),
                    _ => throw new ArgumentException($"{where}: unknown activation {activation.Kind}."),
                };
            case DropoutSpec dropout:
                Require(dropout.Rate is >= 0f and < 1f, where, $"rate must be in [0, 1), got {dropout.Rate}");
                return new DropoutLayer(shape, dropout.Rate);
            case FlattenSpec:
                return new FlattenLayer(shape);
            default:
                return CreateSpatial(spec, shape, next, where);
        }
    }

    private static Layer CreateSpatial(LayerSpec spec, TensorShape shape, LayerSpec? next, string where)
    {
        switch (spec)
        {
            case Conv2DSpec conv:
                Require(shape.Kind == TensorKind.Image, where, $"needs an image input but gets {shape}");
                Require(conv.Filters >= 1 && conv.KernelSize >= 1 && conv.Stride >= 1 && conv.Padding >= 0, where, "needs filters, kernel size and stride ≥ 1 and padding ≥ 0");
                Require(shape.Height + 2 * conv.Padding >= conv.KernelSize && shape.Width + 2 * conv.Padding >= conv.KernelSize, where, $"kernel {conv.KernelSize} is larger than the padded input {shape}");
                return new Conv2DLayer(shape, conv, InitializerBefore(next), new ExactImageSketch());
            case Pool2DSpec pool:
                Require(shape.Kind == TensorKind.Image, where, $"needs an image input but gets {shape}");
                int stride = pool.Stride == 0 ? pool.Size : pool.Stride;
                Require(pool.Size >= 1 && stride >= 1 && pool.Size <= shape.Height && pool.Size <= shape.Width, where, $"window {pool.Size} must be between 1 and the input size {shape}");
                return new Pool2DLayer(shape, pool.Kind, pool.Size, stride);
            case BatchNormSpec norm:
                Require(norm.Epsilon > 0 && norm.Momentum is > 0f and <= 1f, where, "needs epsilon > 0 and momentum in (0, 1]");
                return new BatchNormLayer(shape, norm.Momentum, norm.Epsilon);
            case RecurrentSpec recurrent:
                Require(shape.Kind == TensorKind.Sequence, where, $"needs a sequence input but gets {shape}");
                Require(recurrent.Hidden >= 1, where, "needs at least 1 hidden unit");
                return new RecurrentLayer(shape, recurrent.Hidden, new ExactSketch(zeroCopy: false), new ExactSketch(zeroCopy: false));
            default:
                throw new ArgumentException($"{where}: unsupported layer spec {spec.GetType().Name}.");
        }
    }

    /// <summary>ReLU and LeakyReLU with a slope ≥ 0: non-decreasing, so they commute with max pooling.</summary>
    private static bool CommutesWithMaxPool(LayerSpec spec) =>
        spec is ActivationSpec { Kind: ActivationKind.Relu } or ActivationSpec { Kind: ActivationKind.LeakyRelu, NegativeSlope: >= 0f };

    /// <summary>He for weights feeding a ReLU-family activation, Xavier otherwise.</summary>
    private static Initializer InitializerBefore(LayerSpec? next) =>
        next is ActivationSpec { Kind: ActivationKind.Relu or ActivationKind.LeakyRelu or ActivationKind.Gelu }
        || next is Pool2DSpec or BatchNormSpec
            ? Initializer.HeNormal
            : Initializer.XavierUniform;

    private static void Require(bool condition, string where, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"{where}: {problem}.");
        }
    }
}
