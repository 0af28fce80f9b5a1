using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// Every default of the RandAD trainers in one place: the Options fields and the simple catalog overloads both
/// read these, so the two entry points cannot drift apart.
/// </summary>
public static class RandADDefaults
{
    /// <summary>Label column name, as in every ML.NET trainer.</summary>
    public const string LabelColumnName = "Label";

    /// <summary>Feature column name, as in every ML.NET trainer.</summary>
    public const string FeatureColumnName = "Features";

    /// <summary>Width of each hidden fully connected layer.</summary>
    public const int HiddenLayerWidth = 256;

    /// <summary>Number of hidden fully connected layers.</summary>
    public const int HiddenLayerCount = 2;

    /// <summary>Hidden activation.</summary>
    public const ActivationKind Activation = ActivationKind.Relu;

    /// <summary>Filters of the convolution blocks used when an image shape is given (the reference CNN: 16 then 32).</summary>
    public static int[] ConvolutionFilters => [16, 32];

    /// <summary>Square kernel size of every convolution (padding keeps the spatial size: kernel / 2).</summary>
    public const int ConvolutionKernelSize = 5;

    /// <summary>Hidden units of the recurrent layer of a sequence model (<c>SequenceShape</c>).</summary>
    public const int RecurrentUnits = 128;

    /// <summary>Max-pooling window (and stride) after every convolution block; 1 = no pooling.</summary>
    public const int PoolSize = 2;

    /// <summary>Dropout rate after each hidden fully connected layer (0 = none).</summary>
    public const float DropoutRate = 0f;

    /// <summary>Keep fraction of the RAD sketches: 1 = exact backpropagation.</summary>
    public const float KeepFraction = 1f;

    /// <summary>Optimizer.</summary>
    public const OptimizerKind Optimizer = OptimizerKind.Adam;

    /// <summary>Base learning rate (Adam's usual 1e-3).</summary>
    public const float LearningRate = 1e-3f;

    /// <summary>SGD momentum.</summary>
    public const float Momentum = 0.9f;

    /// <summary>Learning-rate schedule.</summary>
    public const RandADLearningRateSchedule Schedule = RandADLearningRateSchedule.Constant;

    /// <summary>Step-decay multiplier.</summary>
    public const float LearningRateDecayFactor = 0.5f;

    /// <summary>Passes between step decays.</summary>
    public const int LearningRateDecayIterations = 2;

    /// <summary>Passes of linear learning-rate warm-up (0 = none).</summary>
    public const float LearningRateWarmupIterations = 0f;

    /// <summary>Examples per optimizer step.</summary>
    public const int BatchSize = 128;

    /// <summary>Passes over the training data.</summary>
    public const int NumberOfIterations = 10;

    /// <summary>L2 penalty on weights (biases and normalization parameters exempt).</summary>
    public const float L2Regularization = 1e-6f;

    /// <summary>Global gradient-norm clipping bound (0 = off).</summary>
    public const float GradientClippingNorm = 0f;

    /// <summary>Rows held by the streaming shuffle buffer.</summary>
    public const int ShuffleBufferSize = 4096;

    /// <summary>Epochs without improvement before early stopping (0 = off).</summary>
    public const int EarlyStoppingPatience = 0;

    /// <summary>Improvement smaller than this does not count.</summary>
    public const float EarlyStoppingMinDelta = 0f;

    /// <summary>Batch size used to score validation data.</summary>
    internal const int ValidationBatchSize = 256;
}
