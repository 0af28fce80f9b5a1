using Microsoft.ML.RandAD.MLNet.Scoring;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>Binary scoring: <c>Score</c> (logit), <c>Probability</c> (sigmoid of the logit) and <c>PredictedLabel</c> (logit &gt; 0).</summary>
public sealed class RandADBinaryPredictionTransformer : RandADPredictionTransformer
{
    internal RandADBinaryPredictionTransformer(RandADModelParameters model, string featureColumnName, DataViewSchema trainingSchema)
        : base(model, featureColumnName, trainingSchema)
    {
    }

    internal override ScoreColumns ScoreColumns { get; } = new BinaryScoreColumns();
}
