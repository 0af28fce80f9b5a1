namespace Microsoft.ML.RandAD.Layers;

/// <summary>How a parameter tensor is initialized.</summary>
internal enum Initializer
{
    /// <summary>All zeros (biases).</summary>
    Zeros,

    /// <summary>All ones (normalization scales).</summary>
    Ones,

    /// <summary>He (Kaiming) normal: N(0, 2/fanIn), for layers followed by ReLU-like activations.</summary>
    HeNormal,

    /// <summary>Xavier (Glorot) uniform: U(±√(6/(fanIn+fanOut))), for tanh/sigmoid/linear outputs.</summary>
    XavierUniform,

    /// <summary>The identity matrix (IRNN recurrent weights, Le et al. 2015).</summary>
    Identity,
}

/// <summary>What a layer declares about one of its parameter tensors before the network lays them out.</summary>
/// <param name="Name">Name within the layer, e.g. <c>weight</c>.</param>
/// <param name="Dimensions">Row-major dimensions.</param>
/// <param name="Init">Initializer.</param>
/// <param name="FanIn">Inputs feeding one output (for He/Xavier).</param>
/// <param name="FanOut">Outputs fed by one input (for Xavier).</param>
/// <param name="Decays">Whether weight decay / L2 applies (weights yes, biases and norm parameters no).</param>
/// <param name="Trainable">False for state saved with the model but not trained (batch-norm running statistics).</param>
internal sealed record ParameterSpec(string Name, int[] Dimensions, Initializer Init, int FanIn = 1, int FanOut = 1, bool Decays = true, bool Trainable = true)
{
    /// <summary>Number of floats.</summary>
    public int Length => Dimensions.Aggregate(1, (a, d) => a * d);
}

/// <summary>
/// A layer's view of one parameter tensor: a slice of the network's flat value and gradient arrays.
/// Keeping all parameters in one array lets the optimizer update them in a single fused pass.
/// </summary>
internal readonly struct ParameterBlock
{
    private readonly float[] _values;
    private readonly float[] _gradients;

    public ParameterBlock(ParameterSpec spec, float[] values, float[] gradients, int offset)
    {
        Spec = spec;
        _values = values;
        _gradients = gradients;
        Offset = offset;
    }

    /// <summary>The declaration.</summary>
    public ParameterSpec Spec { get; }

    /// <summary>Offset in the flat arrays.</summary>
    public int Offset { get; }

    /// <summary>Number of floats.</summary>
    public int Length => Spec.Length;

    /// <summary>The current values.</summary>
    public Span<float> Values => _values.AsSpan(Offset, Spec.Length);

    /// <summary>The gradient of the last backward pass.</summary>
    public Span<float> Gradient => _gradients.AsSpan(Offset, Spec.Length);
}
