using Microsoft.ML.Data;

namespace Microsoft.ML.RandAD.MLNet.Scoring;

/// <summary>
/// Multiclass: <c>Score</c> = softmax probabilities (Single vector of K, slot names from the label's key values
/// when they are text), <c>PredictedLabel</c> = argmax + 1 as a key of K with the label's key values, so
/// <c>MapKeyToValue</c> turns it back into the original label.
/// </summary>
internal sealed class MulticlassScoreColumns(int classCount, DataViewSchema.Annotations labelAnnotations) : ScoreColumns
{
    public const string Score = "Score";
    public const string PredictedLabel = "PredictedLabel";

    public int ClassCount { get; } = classCount;

    /// <summary>The training label's annotations (its <c>KeyValues</c>).</summary>
    public DataViewSchema.Annotations LabelAnnotations { get; } = labelAnnotations;

    public override IReadOnlyList<string> Names { get; } = [Score, PredictedLabel];

    public override void AddTo(DataViewSchema.Builder builder)
    {
        DataViewSchema.Column? keyValues = LabelAnnotations.Schema.GetColumnOrNull(AnnotationNames.KeyValues);
        bool textKeys = keyValues?.Type is VectorDataViewType { ItemType: TextDataViewType } vector && vector.Size == ClassCount;
        builder.AddColumn(Score, new VectorDataViewType(NumberDataViewType.Single, ClassCount), ScoreAnnotations("MulticlassClassification", "Score", b =>
        {
            if (textKeys)
            {
                b.Add(AnnotationNames.SlotNames, keyValues!.Value.Type, LabelAnnotations.GetGetter<VBuffer<ReadOnlyMemory<char>>>(keyValues.Value));
            }
        }));
        var labelKeys = new DataViewSchema.Annotations.Builder();
        labelKeys.Add(LabelAnnotations, name => name == AnnotationNames.KeyValues);
        builder.AddColumn(PredictedLabel, new KeyDataViewType(typeof(uint), ClassCount), ScoreAnnotations("MulticlassClassification", "PredictedLabel",
            b => b.Add(labelKeys.ToAnnotations(), _ => true)));
    }

    public override Delegate Getter(int index, IScoredOutputs row)
    {
        if (index == 0)
        {
            return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> destination) =>
            {
                ReadOnlySpan<float> logits = row.Outputs;
                var editor = VBufferEditor.Create(ref destination, logits.Length);
                Softmax(logits, editor.Values);
                destination = editor.Commit();
            });
        }

        return (ValueGetter<uint>)((ref uint destination) => destination = ArgMaxKey(row.Outputs));
    }

    public override IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label)
    {
        SchemaShape.Column[] keyValues = TrainerSchema.TryFind(label.Annotations, AnnotationNames.KeyValues, out SchemaShape.Column values) ? [values] : [];
        yield return ShapeColumn(Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, ScoreShapeAnnotations());
        yield return ShapeColumn(PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, ScoreShapeAnnotations(keyValues));
    }

    /// <summary>Softmax in double for the sum, so probabilities add to 1 within float rounding.</summary>
    internal static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        float max = float.NegativeInfinity;
        foreach (float z in logits)
        {
            max = Math.Max(max, z);
        }

        double sum = 0;
        for (int k = 0; k < logits.Length; k++)
        {
            sum += probabilities[k] = MathF.Exp(logits[k] - max);
        }

        for (int k = 0; k < logits.Length; k++)
        {
            probabilities[k] = (float)(probabilities[k] / sum);
        }
    }

    /// <summary>1 + index of the largest logit (first on ties), 0 when the outputs are not numbers.</summary>
    internal static uint ArgMaxKey(ReadOnlySpan<float> logits)
    {
        int best = -1;
        float max = float.NegativeInfinity;
        for (int k = 0; k < logits.Length; k++)
        {
            if (logits[k] > max || (best < 0 && !float.IsNaN(logits[k])))
            {
                max = logits[k];
                best = k;
            }
        }

        return (uint)(best + 1);
    }
}
