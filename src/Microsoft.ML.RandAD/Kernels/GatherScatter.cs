namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Gathers and scatter-adds sampled columns and rows of row-major matrices (the data movement of RAD sketches).</summary>
public static class GatherScatter
{
    /// <summary>Shared index set: <c>destination[r, j] = scale · source[r, indices[j]]</c>.</summary>
    /// <param name="source">rows×columns, row-major.</param>
    /// <param name="rows">Row count.</param>
    /// <param name="columns">Column count of <paramref name="source"/>.</param>
    /// <param name="indices">k column indices in [0, columns).</param>
    /// <param name="scale">Factor applied to every kept value.</param>
    /// <param name="destination">rows×k, row-major.</param>
    public static void GatherColumns(ReadOnlySpan<float> source, int rows, int columns, ReadOnlySpan<int> indices, float scale, Span<float> destination)
    {
        int k = indices.Length;
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++)
            {
                destination[r * k + j] = scale * source[r * columns + indices[j]];
            }
        }
    }

    /// <summary>Index set per row: <c>destination[r, j] = scale · source[r, indices[r·k + j]]</c>.</summary>
    /// <param name="source">rows×columns, row-major.</param>
    /// <param name="rows">Row count.</param>
    /// <param name="columns">Column count of <paramref name="source"/>.</param>
    /// <param name="indices">rows×k column indices.</param>
    /// <param name="k">Samples per row.</param>
    /// <param name="scale">Factor applied to every kept value.</param>
    /// <param name="destination">rows×k, row-major.</param>
    public static void GatherColumnsPerRow(ReadOnlySpan<float> source, int rows, int columns, ReadOnlySpan<int> indices, int k, float scale, Span<float> destination)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++)
            {
                destination[r * k + j] = scale * source[r * columns + indices[r * k + j]];
            }
        }
    }

    /// <summary>Index set per row, inverse of <see cref="GatherColumnsPerRow"/>: <c>destination[r, indices[r·k + j]] += source[r, j]</c> (duplicates accumulate).</summary>
    /// <param name="source">rows×k, row-major.</param>
    /// <param name="rows">Row count.</param>
    /// <param name="k">Samples per row.</param>
    /// <param name="indices">rows×k column indices.</param>
    /// <param name="columns">Column count of <paramref name="destination"/>.</param>
    /// <param name="destination">rows×columns, row-major; added to.</param>
    public static void ScatterAddColumnsPerRow(ReadOnlySpan<float> source, int rows, int k, ReadOnlySpan<int> indices, int columns, Span<float> destination)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++)
            {
                destination[r * columns + indices[r * k + j]] += source[r * k + j];
            }
        }
    }

    /// <summary>Shared index set, inverse of <see cref="GatherColumns"/>: <c>destination[r, indices[j]] += source[r, j]</c>.</summary>
    /// <param name="source">rows×k, row-major.</param>
    /// <param name="rows">Row count.</param>
    /// <param name="indices">k column indices.</param>
    /// <param name="columns">Column count of <paramref name="destination"/>.</param>
    /// <param name="destination">rows×columns, row-major; added to.</param>
    public static void ScatterAddColumns(ReadOnlySpan<float> source, int rows, ReadOnlySpan<int> indices, int columns, Span<float> destination)
    {
        int k = indices.Length;
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++)
            {
                destination[r * columns + indices[j]] += source[r * k + j];
            }
        }
    }

    /// <summary>Row scatter-add: <c>destination[indices[j], :] += source[j, :]</c> for j &lt; k (rows of a weight gradient).</summary>
    /// <param name="source">k×width, row-major.</param>
    /// <param name="width">Row length.</param>
    /// <param name="indices">k destination row indices (duplicates accumulate).</param>
    /// <param name="destination">Destination rows, row-major with row length <paramref name="width"/>.</param>
    public static void ScatterAddRows(ReadOnlySpan<float> source, int width, ReadOnlySpan<int> indices, Span<float> destination)
    {
        for (int j = 0; j < indices.Length; j++)
        {
            var src = source.Slice(j * width, width);
            var dst = destination.Slice(indices[j] * width, width);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
        }
    }
}
