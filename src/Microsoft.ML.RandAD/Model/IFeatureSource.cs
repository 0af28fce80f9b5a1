namespace Microsoft.ML.RandAD.Model;

/// <summary>The features of a prepared batch, handed over a chunk of rows at a time (see <see cref="Network.TrainStep"/>).</summary>
public interface IFeatureSource
{
    /// <summary>Copies rows [<paramref name="firstRow"/>, firstRow + <paramref name="rowCount"/>) of the batch, row-major.</summary>
    /// <param name="firstRow">First row within the batch.</param>
    /// <param name="rowCount">Rows to copy.</param>
    /// <param name="features">rowCount × features-per-row floats.</param>
    void FillFeatures(int firstRow, int rowCount, Span<float> features);

    /// <summary>
    /// Whether <see cref="FillFeatures"/> may run on several threads at once for disjoint rows of the same batch (it only reads
    /// what preparing the batch left behind). The network then splits a large chunk's fill over its threads, where the step
    /// would otherwise wait for one of them. False unless the source says so.
    /// </summary>
    bool FillsRowsConcurrently => false;
}
