using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.RandAD.Model;

/// <summary>
/// A network's architecture: the input, an ordered list of layers and the loss. Small and serializable, so the
/// trainers, the ONNX exporter and save/load all read the same description.
/// </summary>
/// <param name="Input">What one example looks like.</param>
/// <param name="Layers">The layers, input to output.</param>
/// <param name="Loss">The training objective.</param>
public sealed record NetworkSpec(InputSpec Input, IReadOnlyList<LayerSpec> Layers, LossSpec Loss)
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The spec as JSON.</summary>
    /// <returns>JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Reads a spec written by <see cref="ToJson"/>.</summary>
    /// <param name="json">JSON text.</param>
    /// <returns>The spec.</returns>
    public static NetworkSpec FromJson(string json) =>
        JsonSerializer.Deserialize<NetworkSpec>(json, s_json) ?? throw new InvalidDataException("Empty network spec.");

    /// <summary>A multilayer perceptron: Dense + activation per hidden width, then a Dense output.</summary>
    /// <param name="inputs">Features per example.</param>
    /// <param name="hidden">Hidden layer widths.</param>
    /// <param name="outputs">Output width (classes, 1 for binary or regression).</param>
    /// <param name="loss">The loss.</param>
    /// <param name="activation">Hidden activation.</param>
    /// <returns>The spec.</returns>
    public static NetworkSpec Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, LossSpec loss, ActivationKind activation = ActivationKind.Relu)
    {
        var layers = new List<LayerSpec>();
        foreach (int width in hidden)
        {
            layers.Add(new DenseSpec(width));
            layers.Add(new ActivationSpec(activation));
        }

        layers.Add(new DenseSpec(outputs));
        return new NetworkSpec(InputSpec.Vector(inputs), layers, loss);
    }

    /// <inheritdoc/>
    public bool Equals(NetworkSpec? other) =>
        other is not null && Input == other.Input && Loss == other.Loss && Layers.SequenceEqual(other.Layers);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Input, Loss, Layers.Count);
}

/// <summary>
/// What one example looks like in the feature vector. Images are planar channels-first (C, H, W), the order
/// ML.NET's <c>ExtractPixels</c> writes; sequences are step-major (T steps of D features).
/// </summary>
/// <param name="Kind">Vector, sequence or image.</param>
/// <param name="Channels">Image channels (1 otherwise).</param>
/// <param name="Height">Image height, or sequence steps (1 for vectors).</param>
/// <param name="Width">Image width, features per step, or the vector length.</param>
public sealed record InputSpec(Tensors.TensorKind Kind, int Channels, int Height, int Width)
{
    /// <summary>Floats per example.</summary>
    [JsonIgnore]
    public int Size => Channels * Height * Width;

    /// <summary>A flat vector.</summary>
    /// <param name="length">Features.</param>
    /// <returns>The spec.</returns>
    public static InputSpec Vector(int length) => new(Tensors.TensorKind.Vector, 1, 1, length);

    /// <summary>A sequence of <paramref name="steps"/> vectors.</summary>
    /// <param name="steps">Time steps.</param>
    /// <param name="stepSize">Features per step.</param>
    /// <returns>The spec.</returns>
    public static InputSpec Sequence(int steps, int stepSize) => new(Tensors.TensorKind.Sequence, 1, steps, stepSize);

    /// <summary>A planar image (channels first in the feature vector).</summary>
    /// <param name="channels">Channels.</param>
    /// <param name="height">Height.</param>
    /// <param name="width">Width.</param>
    /// <returns>The spec.</returns>
    public static InputSpec Image(int channels, int height, int width) => new(Tensors.TensorKind.Image, channels, height, width);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        Tensors.TensorKind.Vector => $"vector[{Width}]",
        Tensors.TensorKind.Sequence => $"sequence[{Height}×{Width}]",
        _ => $"image[{Channels}×{Height}×{Width}]",
    };
}

/// <summary>Activation functions.</summary>
public enum ActivationKind
{
    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>x &gt; 0 ? x : slope·x.</summary>
    LeakyRelu,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>1/(1 + e^−x).</summary>
    Sigmoid,

    /// <summary>GELU, tanh approximation.</summary>
    Gelu,
}

/// <summary>Pooling reductions.</summary>
public enum PoolKind
{
    /// <summary>Maximum over the window.</summary>
    Max,

    /// <summary>Mean over the window.</summary>
    Average,
}

/// <summary>Training objectives.</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy over class logits (multiclass).</summary>
    SoftmaxCrossEntropy,

    /// <summary>Binary cross-entropy on one logit.</summary>
    BinaryCrossEntropy,

    /// <summary>Squared error (regression).</summary>
    MeanSquaredError,

    /// <summary>Huber loss (robust regression).</summary>
    Huber,
}

/// <summary>The loss and its parameter.</summary>
/// <param name="Kind">Which loss.</param>
/// <param name="HuberDelta">Threshold of the Huber loss.</param>
public sealed record LossSpec(LossKind Kind, float HuberDelta = 1f);

/// <summary>One layer of a <see cref="NetworkSpec"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(DenseSpec), "dense")]
[JsonDerivedType(typeof(ActivationSpec), "activation")]
[JsonDerivedType(typeof(DropoutSpec), "dropout")]
[JsonDerivedType(typeof(Conv2DSpec), "conv2d")]
[JsonDerivedType(typeof(Pool2DSpec), "pool2d")]
[JsonDerivedType(typeof(FlattenSpec), "flatten")]
[JsonDerivedType(typeof(BatchNormSpec), "batchnorm")]
[JsonDerivedType(typeof(RecurrentSpec), "irnn")]
public abstract record LayerSpec;

/// <summary>Fully connected layer.</summary>
/// <param name="Units">Output width.</param>
public sealed record DenseSpec(int Units) : LayerSpec;

/// <summary>Element-wise activation.</summary>
/// <param name="Kind">Which function.</param>
/// <param name="NegativeSlope">Slope for x &lt; 0 (LeakyReLU only).</param>
public sealed record ActivationSpec(ActivationKind Kind, float NegativeSlope = 0.01f) : LayerSpec;

/// <summary>Inverted dropout (identity at inference).</summary>
/// <param name="Rate">Probability of dropping an element, in [0, 1).</param>
public sealed record DropoutSpec(float Rate) : LayerSpec;

/// <summary>2-D convolution over an image (square kernel, same stride and padding both ways).</summary>
/// <param name="Filters">Output channels.</param>
/// <param name="KernelSize">Kernel height and width.</param>
/// <param name="Stride">Step between windows.</param>
/// <param name="Padding">Zeros added on each side.</param>
public sealed record Conv2DSpec(int Filters, int KernelSize, int Stride = 1, int Padding = 0) : LayerSpec;

/// <summary>2-D pooling over an image.</summary>
/// <param name="Kind">Max or average.</param>
/// <param name="Size">Window height and width.</param>
/// <param name="Stride">Step between windows (0 = the window size).</param>
public sealed record Pool2DSpec(PoolKind Kind, int Size, int Stride = 0) : LayerSpec;

/// <summary>Image or sequence to vector.</summary>
public sealed record FlattenSpec : LayerSpec;

/// <summary>Batch normalization (per feature for vectors, per channel for images).</summary>
/// <param name="Momentum">Weight of the new batch in the running statistics.</param>
/// <param name="Epsilon">Added to the variance.</param>
public sealed record BatchNormSpec(float Momentum = 0.1f, float Epsilon = 1e-5f) : LayerSpec;

/// <summary>
/// Recurrent ReLU layer (IRNN, Le et al. 2015): <c>h_t = ReLU(W_hh·h_{t−1} + W_ih·x_t + b)</c>, h₀ = 0,
/// W_hh initialized to the identity; the output is the last hidden state.
/// </summary>
/// <param name="Hidden">Hidden units.</param>
public sealed record RecurrentSpec(int Hidden) : LayerSpec;
