namespace Microsoft.ML.RandAD.Tensors;

/// <summary>
/// The shape of one example as it flows between layers: a vector <c>[D]</c>, a sequence <c>[T, D]</c>,
/// or a channels-last image <c>[H, W, C]</c>. The batch dimension is never part of it.
/// </summary>
public readonly record struct TensorShape
{
    private TensorShape(TensorKind kind, int d0, int d1, int d2)
    {
        Kind = kind;
        Dim0 = d0;
        Dim1 = d1;
        Dim2 = d2;
    }

    /// <summary>What the dimensions mean.</summary>
    public TensorKind Kind { get; }

    /// <summary>D for a vector, T for a sequence, H for an image.</summary>
    public int Dim0 { get; }

    /// <summary>1 for a vector, D for a sequence, W for an image.</summary>
    public int Dim1 { get; }

    /// <summary>1 for a vector or sequence, C for an image.</summary>
    public int Dim2 { get; }

    /// <summary>Floats per example.</summary>
    public int Size => Dim0 * Dim1 * Dim2;

    /// <summary>Image height (images only).</summary>
    public int Height => Kind == TensorKind.Image ? Dim0 : throw NotA(TensorKind.Image);

    /// <summary>Image width (images only).</summary>
    public int Width => Kind == TensorKind.Image ? Dim1 : throw NotA(TensorKind.Image);

    /// <summary>Image channels (images only).</summary>
    public int Channels => Kind == TensorKind.Image ? Dim2 : throw NotA(TensorKind.Image);

    /// <summary>Sequence length (sequences only).</summary>
    public int Steps => Kind == TensorKind.Sequence ? Dim0 : throw NotA(TensorKind.Sequence);

    /// <summary>Features per step (sequences only).</summary>
    public int StepSize => Kind == TensorKind.Sequence ? Dim1 : throw NotA(TensorKind.Sequence);

    /// <summary>A vector of <paramref name="length"/> floats.</summary>
    /// <param name="length">Number of features, at least 1.</param>
    /// <returns>The shape.</returns>
    public static TensorShape Vector(int length) => new(TensorKind.Vector, Positive(length, nameof(length)), 1, 1);

    /// <summary>A sequence of <paramref name="steps"/> vectors of <paramref name="stepSize"/> floats.</summary>
    /// <param name="steps">Time steps.</param>
    /// <param name="stepSize">Features per step.</param>
    /// <returns>The shape.</returns>
    public static TensorShape Sequence(int steps, int stepSize) => new(TensorKind.Sequence, Positive(steps, nameof(steps)), Positive(stepSize, nameof(stepSize)), 1);

    /// <summary>A channels-last image.</summary>
    /// <param name="height">Height.</param>
    /// <param name="width">Width.</param>
    /// <param name="channels">Channels.</param>
    /// <returns>The shape.</returns>
    public static TensorShape Image(int height, int width, int channels) =>
        new(TensorKind.Image, Positive(height, nameof(height)), Positive(width, nameof(width)), Positive(channels, nameof(channels)));

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        TensorKind.Vector => $"[{Dim0}]",
        TensorKind.Sequence => $"[{Dim0} steps × {Dim1}]",
        _ => $"[{Dim0}×{Dim1}×{Dim2} HWC]",
    };

    private static int Positive(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, name);
        return value;
    }

    private InvalidOperationException NotA(TensorKind kind) => new($"Shape {this} is not a {kind.ToString().ToLowerInvariant()}.");
}

/// <summary>What the dimensions of a <see cref="TensorShape"/> mean.</summary>
public enum TensorKind
{
    /// <summary>A flat feature vector.</summary>
    Vector,

    /// <summary>Time steps × features per step.</summary>
    Sequence,

    /// <summary>Height × width × channels (channels-last).</summary>
    Image,
}
