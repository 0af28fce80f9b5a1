namespace Microsoft.ML.RandAD.Model;

/// <summary>The features of a prepared batch, handed over a chunk of rows at a time (see <see cref="Network.TrainStep"/>).</summary>
public interface IFeatureSource
{
    /// <summary>Copies rows [<paramref name="firstRow"/>, firstRow + <paramref name="rowCount"/>) of the batch, row-major.</summary>
    /// <param name="firstRow">First row within the batch.</param>
    /// <param name="rowCount">Rows to copy.</param>
    /// <param name="features">rowCount × features-per-row floats.</param>
    void FillFeatures(int firstRow, int rowCount, Span<float> features);
}
