using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>The ML.NET tasks RandAD trains.</summary>
internal enum TaskKind
{
    Multiclass,
    Binary,
    Regression,
}

/// <summary>
/// What differs between the tasks at training time: the label's type and reader, the network's output width,
/// the loss, and the per-row validation loss/accuracy (computed in double from the raw outputs).
/// </summary>
internal sealed class TrainingTask
{
    private TrainingTask(TaskKind kind, LabelReader label, int outputs, LossSpec loss)
    {
        Kind = kind;
        Label = label;
        Outputs = outputs;
        Loss = loss;
    }

    public TaskKind Kind { get; }

    public LabelReader Label { get; }

    /// <summary>Network outputs: classes, or 1.</summary>
    public int Outputs { get; }

    public LossSpec Loss { get; }

    public bool IsClassification => Kind != TaskKind.Regression;

    /// <summary>Multiclass: the label must be a key of known count.</summary>
    public static TrainingTask Multiclass(DataViewSchema schema, string labelName)
    {
        DataViewSchema.Column column = FeatureColumn.FindColumn(schema, labelName, "label");
        if (column.Type is not KeyDataViewType key || key.RawType != typeof(uint) || key.Count is 0 or > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Label column '{labelName}' must be a key of known count (UInt32), but is {column.Type}. " +
                "Put Transforms.Conversion.MapValueToKey(\"" + labelName + "\") before the trainer.");
        }

        if (key.Count < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{labelName}' has {key.Count} class; multiclass training needs at least 2.");
        }

        return new(TaskKind.Multiclass, new KeyLabelReader(labelName, (int)key.Count), (int)key.Count, new LossSpec(LossKind.SoftmaxCrossEntropy));
    }

    /// <summary>Binary: Boolean label (or Single/Double holding 0 and 1).</summary>
    public static TrainingTask Binary(DataViewSchema schema, string labelName)
    {
        DataViewSchema.Column column = FeatureColumn.FindColumn(schema, labelName, "label");
        if (column.Type != BooleanDataViewType.Instance && column.Type != NumberDataViewType.Single && column.Type != NumberDataViewType.Double)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{labelName}' must be Boolean (or Single/Double 0/1), but is {column.Type}.");
        }

        return new(TaskKind.Binary, new BinaryLabelReader(labelName), 1, new LossSpec(LossKind.BinaryCrossEntropy));
    }

    /// <summary>Regression: Single or Double label.</summary>
    public static TrainingTask Regression(DataViewSchema schema, string labelName, RandADRegressionLoss loss, float huberDelta)
    {
        DataViewSchema.Column column = FeatureColumn.FindColumn(schema, labelName, "label");
        if (column.Type != NumberDataViewType.Single && column.Type != NumberDataViewType.Double)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{labelName}' must be Single or Double, but is {column.Type}.");
        }

        var spec = loss == RandADRegressionLoss.Huber ? new LossSpec(LossKind.Huber, huberDelta) : new LossSpec(LossKind.MeanSquaredError);
        return new(TaskKind.Regression, new RegressionLabelReader(labelName), 1, spec);
    }

    /// <summary>The training loss of one row (as the engine defines it) and whether the row is classified correctly.</summary>
    public (double Loss, bool Correct) Evaluate(ReadOnlySpan<float> output, float target)
    {
        switch (Kind)
        {
            case TaskKind.Multiclass:
                int best = 0;
                double max = output[0];
                for (int k = 1; k < output.Length; k++)
                {
                    if (output[k] > max)
                    {
                        max = output[k];
                        best = k;
                    }
                }

                double sum = 0;
                foreach (float logit in output)
                {
                    sum += Math.Exp(logit - max);
                }

                return (max + Math.Log(sum) - output[(int)target], best == (int)target);
            case TaskKind.Binary:
                double z = output[0];
                double signed = target > 0.5f ? -z : z;
                double softplus = signed > 0 ? signed + Math.Log(1 + Math.Exp(-signed)) : Math.Log(1 + Math.Exp(signed));
                return (softplus, (z > 0) == (target > 0.5f));
            default:
                double r = output[0] - target;
                double a = Math.Abs(r);
                double loss = Loss.Kind == LossKind.Huber
                    ? (a <= Loss.HuberDelta ? 0.5 * r * r : Loss.HuberDelta * (a - 0.5 * Loss.HuberDelta))
                    : r * r;
                return (loss, false);
        }
    }
}
