using Microsoft.ML.RandAD.MLNet.Scoring;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>Regression scoring: <c>Score</c>.</summary>
public sealed class RandADRegressionPredictionTransformer : RandADPredictionTransformer
{
    internal RandADRegressionPredictionTransformer(RandADModelParameters model, string featureColumnName, DataViewSchema trainingSchema)
        : base(model, featureColumnName, trainingSchema)
    {
    }

    internal override ScoreColumns ScoreColumns { get; } = new RegressionScoreColumns();
}
