using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.RandAD.MLNet.Persistence;

// The custom mappings of a saved RandAD model (see OnnxEquivalent). ML.NET's OnnxTransformer turns every [1]-shaped
// ONNX output into a Vector<T, 1> column; these mappings turn them into the scalar columns the evaluators expect.
// They are public because ML.NET builds their getters by reflection on load; they are not meant to be used directly.

/// <summary>Saved-model plumbing: the ONNX graph's 0-based predicted class as a one-element vector.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedPredictedIndex
{
    /// <summary>0-based argmax from the ONNX graph.</summary>
    [ColumnName(OnnxEquivalent.PredictedIndexColumn)]
    [VectorType(1)]
    public long[] Index { get; set; } = [];
}

/// <summary>Saved-model plumbing: the predicted class as a scalar, ready for the key mapping.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedPredictedKeyIndex
{
    /// <summary>0-based class index.</summary>
    [ColumnName(OnnxEquivalent.PredictedKeyIndexColumn)]
    public uint Index { get; set; }
}

/// <summary>Saved-model plumbing: multiclass one-element argmax vector → scalar.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class SavedMulticlassMapping : CustomMappingFactory<SavedPredictedIndex, SavedPredictedKeyIndex>
{
    /// <summary>The contract name stored in saved models.</summary>
    public const string ContractName = "Microsoft.ML.RandAD.MulticlassPredictedIndex";

    /// <summary>The mapping.</summary>
    /// <param name="input">The ONNX output.</param>
    /// <param name="output">The scalar.</param>
    public static void Map(SavedPredictedIndex input, SavedPredictedKeyIndex output) =>
        output.Index = input.Index.Length == 1 && input.Index[0] >= 0 ? (uint)input.Index[0] : uint.MaxValue;

    /// <inheritdoc/>
    public override Action<SavedPredictedIndex, SavedPredictedKeyIndex> GetMapping() => Map;
}

/// <summary>Saved-model plumbing: the binary ONNX outputs, each a one-element vector.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedBinaryOutputs
{
    /// <summary>Logit.</summary>
    [ColumnName(OnnxEquivalent.ScoreColumn)]
    [VectorType(1)]
    public float[] Score { get; set; } = [];

    /// <summary>Sigmoid of the logit.</summary>
    [ColumnName(OnnxEquivalent.ProbabilityColumn)]
    [VectorType(1)]
    public float[] Probability { get; set; } = [];

    /// <summary>Logit &gt; 0.</summary>
    [ColumnName(OnnxEquivalent.PredictedLabelColumn)]
    [VectorType(1)]
    public bool[] PredictedLabel { get; set; } = [];
}

/// <summary>Saved-model plumbing: the binary score columns as ML.NET names them.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedBinaryScores
{
    /// <summary>Logit.</summary>
    public float Score { get; set; }

    /// <summary>Sigmoid of the logit.</summary>
    public float Probability { get; set; }

    /// <summary>Logit &gt; 0.</summary>
    public bool PredictedLabel { get; set; }
}

/// <summary>Saved-model plumbing: binary one-element vectors → Score, Probability, PredictedLabel.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class SavedBinaryMapping : CustomMappingFactory<SavedBinaryOutputs, SavedBinaryScores>
{
    /// <summary>The contract name stored in saved models.</summary>
    public const string ContractName = "Microsoft.ML.RandAD.BinaryScores";

    /// <summary>The mapping.</summary>
    /// <param name="input">The ONNX outputs.</param>
    /// <param name="output">The scalars.</param>
    public static void Map(SavedBinaryOutputs input, SavedBinaryScores output)
    {
        output.Score = input.Score.Length == 1 ? input.Score[0] : float.NaN;
        output.Probability = input.Probability.Length == 1 ? input.Probability[0] : float.NaN;
        output.PredictedLabel = input.PredictedLabel.Length == 1 && input.PredictedLabel[0];
    }

    /// <inheritdoc/>
    public override Action<SavedBinaryOutputs, SavedBinaryScores> GetMapping() => Map;
}

/// <summary>Saved-model plumbing: the regression ONNX output as a one-element vector.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedRegressionOutput
{
    /// <summary>The prediction.</summary>
    [ColumnName(OnnxEquivalent.ScoreColumn)]
    [VectorType(1)]
    public float[] Score { get; set; } = [];
}

/// <summary>Saved-model plumbing: the regression score as ML.NET names it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedRegressionScore
{
    /// <summary>The prediction.</summary>
    public float Score { get; set; }
}

/// <summary>Saved-model plumbing: regression one-element vector → Score.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class SavedRegressionMapping : CustomMappingFactory<SavedRegressionOutput, SavedRegressionScore>
{
    /// <summary>The contract name stored in saved models.</summary>
    public const string ContractName = "Microsoft.ML.RandAD.RegressionScore";

    /// <summary>The mapping.</summary>
    /// <param name="input">The ONNX output.</param>
    /// <param name="output">The scalar.</param>
    public static void Map(SavedRegressionOutput input, SavedRegressionScore output) =>
        output.Score = input.Score.Length == 1 ? input.Score[0] : float.NaN;

    /// <inheritdoc/>
    public override Action<SavedRegressionOutput, SavedRegressionScore> GetMapping() => Map;
}
