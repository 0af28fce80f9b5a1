using Microsoft.ML.Data;
using Microsoft.ML.RandAD.MLNet.Export;
using Microsoft.ML.RandAD.MLNet.Persistence;
using Microsoft.ML.RandAD.MLNet.Scoring;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// What a RandAD trainer's <c>Fit</c> returns: appends the task's score columns to any data with the feature column,
/// streaming (row by row through the input's cursors). Works in <c>Evaluate</c>, <c>CrossValidate</c>,
/// <c>PermutationFeatureImportance</c>, prediction engines and <c>Model.Save</c>.
/// </summary>
/// <remarks>
/// <c>Model.Save</c> writes an equivalent chain of ML.NET's own transformers (the network as ONNX run by
/// <c>ApplyOnnxModel</c>, then column plumbing), so <c>Model.Load</c> returns ML.NET types that score through ONNX
/// Runtime; see <see cref="Persistence"/>.
/// <para>
/// <b>ONNX</b>: export with <c>mlContext.Model.ConvertToOnnxWithRandAD(model, data, path)</c> (the whole pipeline,
/// raw columns in) or <c>OnnxExport.Save(transformer, path)</c> (the network alone). ML.NET's own
/// <c>mlContext.Model.ConvertToOnnx</c> does not know this transformer and would silently write a graph without the
/// preprocessing and the network; <see cref="Transform"/> therefore throws <see cref="NotSupportedException"/>
/// when that converter calls it.
/// </para>
/// </remarks>
public abstract class RandADPredictionTransformer : ISingleFeaturePredictionTransformer<RandADModelParameters>
{
    private protected RandADPredictionTransformer(RandADModelParameters model, string featureColumnName, DataViewSchema trainingSchema)
    {
        Model = model;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = trainingSchema[featureColumnName].Type;
    }

    /// <inheritdoc/>
    public RandADModelParameters Model { get; }

    /// <inheritdoc/>
    public string FeatureColumnName { get; }

    /// <inheritdoc/>
    public DataViewType FeatureColumnType { get; }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    internal abstract ScoreColumns ScoreColumns { get; }

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).Output;

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new ScoringRowMapper(Bind(inputSchema));

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Called by ML.NET's <c>Model.ConvertToOnnx</c>, which cannot export this transformer (see remarks).</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ConvertToOnnxGuard.ThrowIfCalledByConvertToOnnx();
        return new ScoredDataView(input, Bind(input.Schema));
    }

    /// <summary>Saves as an equivalent chain of ML.NET transformers (ONNX network + column plumbing).</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => OnnxEquivalent.Save(this, ctx);

    private ScoringSchema Bind(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        DataViewSchema.Column features = FeatureColumn.Find(inputSchema, FeatureColumnName, Model.FeatureCount);
        return new ScoringSchema(Model.Network, ScoreColumns, inputSchema, features);
    }
}
