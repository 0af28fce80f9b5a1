using Microsoft.ML.Data;

namespace Microsoft.ML.RandAD.MLNet.Scoring;

/// <summary>
/// Binary: <c>Score</c> = the logit (uncalibrated margin), <c>Probability</c> = its sigmoid (the network is trained
/// with cross-entropy, so this is its probability estimate), <c>PredictedLabel</c> = logit &gt; 0.
/// </summary>
internal sealed class BinaryScoreColumns : ScoreColumns
{
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";

    public override IReadOnlyList<string> Names { get; } = [Score, Probability, PredictedLabel];

    public override void AddTo(DataViewSchema.Builder builder)
    {
        builder.AddColumn(Score, NumberDataViewType.Single, ScoreAnnotations("BinaryClassification", "Score"));
        builder.AddColumn(Probability, NumberDataViewType.Single, ScoreAnnotations("BinaryClassification", "Probability",
            b => b.Add(AnnotationNames.IsNormalized, BooleanDataViewType.Instance, (ValueGetter<bool>)((ref bool v) => v = true))));
        builder.AddColumn(PredictedLabel, BooleanDataViewType.Instance, ScoreAnnotations("BinaryClassification", "PredictedLabel"));
    }

    public override Delegate Getter(int index, IScoredOutputs row) => index switch
    {
        0 => (ValueGetter<float>)((ref float v) => v = row.Outputs[0]),
        1 => (ValueGetter<float>)((ref float v) => v = Sigmoid(row.Outputs[0])),
        _ => (ValueGetter<bool>)((ref bool v) => v = row.Outputs[0] > 0),
    };

    public override IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label)
    {
        yield return ShapeColumn(Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreShapeAnnotations());
        yield return ShapeColumn(Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreShapeAnnotations(
            ShapeColumn(AnnotationNames.IsNormalized, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false)));
        yield return ShapeColumn(PredictedLabel, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false, ScoreShapeAnnotations());
    }

    internal static float Sigmoid(float z) => z >= 0 ? 1f / (1f + MathF.Exp(-z)) : MathF.Exp(z) / (1f + MathF.Exp(z));
}

/// <summary>Regression: <c>Score</c> = the network's output.</summary>
internal sealed class RegressionScoreColumns : ScoreColumns
{
    public const string Score = "Score";

    public override IReadOnlyList<string> Names { get; } = [Score];

    public override void AddTo(DataViewSchema.Builder builder) =>
        builder.AddColumn(Score, NumberDataViewType.Single, ScoreAnnotations("Regression", "Score"));

    public override Delegate Getter(int index, IScoredOutputs row) => (ValueGetter<float>)((ref float v) => v = row.Outputs[0]);

    public override IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label)
    {
        yield return ShapeColumn(Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreShapeAnnotations());
    }
}
