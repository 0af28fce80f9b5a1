using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Scoring;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>What the three trainers share around <c>Fit</c>: schema propagation and the trainer info.</summary>
internal static class TrainerSchema
{
    /// <summary>
    /// ML.NET's trainer facts for RandAD: wants normalized features, needs no calibration, streams (no caching needed),
    /// can validate (<c>Fit(trainData, validationData)</c>), can continue training (<c>Fit(trainData, modelParameters)</c>),
    /// takes no test set. <c>TrainerInfo</c>'s constructor is internal, so it is reached by reflection.
    /// </summary>
    public static TrainerInfo Info { get; } = (TrainerInfo)typeof(TrainerInfo)
        .GetConstructors(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)
        .Single(c => c.GetParameters().Length == 6)
        .Invoke([/* normalization */ true, /* calibration */ false, /* caching */ false, /* supportValid */ true, /* supportIncrementalTrain */ true, /* supportTest */ false]);

    /// <summary>A column of a schema shape by name (<c>SchemaShape.TryFindColumn</c> is internal).</summary>
    public static bool TryFind(SchemaShape shape, string name, out SchemaShape.Column column)
    {
        foreach (SchemaShape.Column candidate in shape)
        {
            if (candidate.Name == name)
            {
                column = candidate;
                return true;
            }
        }

        column = default;
        return false;
    }

    /// <summary>The input shape plus the score columns, after checking the feature and label columns.</summary>
    public static SchemaShape OutputSchema(SchemaShape input, RandADTrainerOptionsBase options, ScoreColumns scores, Func<SchemaShape.Column, bool> labelOk, string labelNeed)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!TryFind(input, options.FeatureColumnName, out SchemaShape.Column features))
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"The feature column '{options.FeatureColumnName}' is not in the data.");
        }

        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"Feature column '{options.FeatureColumnName}' must be a vector of Single of known size.");
        }

        if (!TryFind(input, options.LabelColumnName, out SchemaShape.Column label))
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"The label column '{options.LabelColumnName}' is not in the data.");
        }

        if (!labelOk(label))
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"Label column '{options.LabelColumnName}' must be {labelNeed}.");
        }

        var columns = input.ToDictionary(c => c.Name);
        foreach (SchemaShape.Column column in scores.Shape(label))
        {
            columns[column.Name] = column;
        }

        return new SchemaShape(columns.Values);
    }
}
