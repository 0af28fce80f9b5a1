using Microsoft.ML.RandAD.MLNet.Scoring;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>Multiclass scoring: <c>Score</c> (probabilities of the K classes) and <c>PredictedLabel</c> (a key with the label's values).</summary>
public sealed class RandADMulticlassPredictionTransformer : RandADPredictionTransformer
{
    internal RandADMulticlassPredictionTransformer(RandADModelParameters model, string featureColumnName, DataViewSchema trainingSchema, string labelColumnName)
        : base(model, featureColumnName, trainingSchema)
    {
        LabelColumnName = labelColumnName;
        MulticlassColumns = new MulticlassScoreColumns(model.Network.OutputSize, trainingSchema[labelColumnName].Annotations);
    }

    /// <summary>The label column the model was trained on.</summary>
    public string LabelColumnName { get; }

    internal MulticlassScoreColumns MulticlassColumns { get; }

    internal override ScoreColumns ScoreColumns => MulticlassColumns;
}
