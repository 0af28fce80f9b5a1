using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Options shared by the RandAD trainers: columns, architecture and RAD (this file); optimization, data
/// streaming and monitoring (<c>RandADTrainerOptionsBase.Training.cs</c>). Every default comes from
/// <see cref="RandADDefaults"/>. Fields marked with <c>[Range]</c>/<c>[Choice]</c> are the ones worth
/// sweeping; an AutoML <c>SweepableEstimator</c> reads those attributes.
/// </summary>
public abstract partial class RandADTrainerOptionsBase
{
    private protected RandADTrainerOptionsBase()
    {
    }

    /// <summary>Label column. Multiclass: a key (use <c>MapValueToKey</c>); binary: Boolean; regression: Single or Double.</summary>
    public string LabelColumnName = RandADDefaults.LabelColumnName;

    /// <summary>Feature column: a Single vector of known size (normalize it, e.g. <c>NormalizeMinMax</c>).</summary>
    public string FeatureColumnName = RandADDefaults.FeatureColumnName;

    /// <summary>Optional example-weight column (Single, finite, ≥ 0); null = every example weighs 1.</summary>
    public string? ExampleWeightColumnName;

    /// <summary>
    /// Width of each hidden fully connected layer, used when <see cref="HiddenLayerSizes"/> is null.
    /// </summary>
    [Range(16, 2048, RandADDefaults.HiddenLayerWidth, true)]
    public int HiddenLayerWidth = RandADDefaults.HiddenLayerWidth;

    /// <summary>Number of hidden fully connected layers, used when <see cref="HiddenLayerSizes"/> is null (0 = a linear model, or conv blocks straight to the output).</summary>
    [Range(0, 4, RandADDefaults.HiddenLayerCount, false)]
    public int HiddenLayerCount = RandADDefaults.HiddenLayerCount;

    /// <summary>Explicit widths of the hidden fully connected layers; when set, overrides <see cref="HiddenLayerWidth"/> and <see cref="HiddenLayerCount"/>.</summary>
    public int[]? HiddenLayerSizes;

    /// <summary>Activation after every hidden layer and convolution.</summary>
    public ActivationKind Activation = RandADDefaults.Activation;

    /// <summary>Dropout rate after each hidden fully connected layer, in [0, 1); 0 = none.</summary>
    [Range(0f, 0.5f, RandADDefaults.DropoutRate, false)]
    public float DropoutRate = RandADDefaults.DropoutRate;

    /// <summary>
    /// Treat the feature vector as images of this shape (channels first, ML.NET's <c>ExtractPixels</c> order) and put
    /// <see cref="ConvolutionFilters"/> in front of the hidden layers. Null = a plain MLP.
    /// </summary>
    public RandADImageShape? ImageShape;

    /// <summary>
    /// Filters of each convolution block (Conv k×k, same padding → activation → max-pool), used when
    /// <see cref="ImageShape"/> is set. Null = <see cref="RandADDefaults.ConvolutionFilters"/>.
    /// </summary>
    public int[]? ConvolutionFilters;

    /// <summary>Square kernel size of every convolution (odd; padding is kernel / 2).</summary>
    public int ConvolutionKernelSize = RandADDefaults.ConvolutionKernelSize;

    /// <summary>Max-pooling window and stride after each convolution; 1 = no pooling.</summary>
    public int PoolSize = RandADDefaults.PoolSize;

    /// <summary>
    /// Treat the feature vector as sequences of this shape and read each with a recurrent ReLU layer of
    /// <see cref="RecurrentUnits"/> units (IRNN: <c>h_t = ReLU(W_hh·h_{t−1} + W_ih·x_t + b)</c>, W_hh starting at the identity),
    /// whose last state goes on to the hidden layers. Null = no recurrent layer. Not with <see cref="ImageShape"/>. Long
    /// sequences usually want <see cref="GradientClippingNorm"/> (e.g. 1) and a small learning rate; with RAD the layer keeps
    /// a sketch of every step's input and hidden state, so its activation memory falls about as <see cref="KeepFraction"/>.
    /// </summary>
    public RandADSequenceShape? SequenceShape;

    /// <summary>Hidden units of the recurrent layer, used when <see cref="SequenceShape"/> is set.</summary>
    public int RecurrentUnits = RandADDefaults.RecurrentUnits;

    /// <summary>
    /// Advanced: the hidden layers as engine layer specs (convolutions, pooling, batch norm, ...). When set, it
    /// replaces the MLP and convolution options above; the output layer is appended by the trainer.
    /// </summary>
    public IReadOnlyList<LayerSpec>? HiddenLayers;

    /// <summary>
    /// RAD keep fraction f in (0, 1]: each layer keeps ⌈f·D⌉ of the D values of its input for the backward pass
    /// (an unbiased sketch); 1 = exact backpropagation. See RAD-METHOD.md.
    /// </summary>
    [Range(0.05f, 1f, RandADDefaults.KeepFraction, true)]
    public float KeepFraction = RandADDefaults.KeepFraction;

    /// <summary>RAD estimator for every sketched layer; null = magnitude sampling per row (per (example, channel) plane for convolutions), the lowest-variance choice at a given memory; SampledShared is cheaper per step.</summary>
    public RadEstimator? RadEstimator;

    /// <summary>
    /// Bytes of activations one training step may keep between forward and backward at <c>BatchSize</c>. When
    /// set, the planner picks the largest keep fraction that fits and <see cref="KeepFraction"/> is ignored.
    /// </summary>
    public long? ActivationMemoryBudgetBytes;

    /// <summary>The RAD settings these options describe.</summary>
    /// <returns>The settings for <see cref="Network.ConfigureSketches"/>.</returns>
    internal RadSettings ToRadSettings() => new()
    {
        Estimator = RadEstimator,
        KeepFraction = KeepFraction,
        MemoryBudgetBytes = ActivationMemoryBudgetBytes,
    };
}
