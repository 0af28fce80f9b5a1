using System.Numerics.Tensors;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// A vector broadcast over the rows of a row-major matrix (bias add) and its adjoint (column sums, the bias
/// gradient). Narrow rows (a convolution's 16 channels) would cost one call per row, so they are processed as
/// a repeating tile of whole rows instead.
/// </summary>
internal static class RowVector
{
    private const int TileFloats = 512;

    /// <summary><c>matrix[r, :] += vector</c> for every row.</summary>
    public static void AddToRows(Span<float> matrix, int rows, ReadOnlySpan<float> vector)
    {
        int width = vector.Length;
        int rowsPerTile = Math.Max(1, TileFloats / width);
        if (rowsPerTile == 1 || rows < 2 * rowsPerTile)
        {
            for (int r = 0; r < rows; r++)
            {
                Span<float> row = matrix.Slice(r * width, width);
                TensorPrimitives.Add(row, vector, row);
            }

            return;
        }

        Span<float> tile = stackalloc float[rowsPerTile * width];
        for (int r = 0; r < rowsPerTile; r++)
        {
            vector.CopyTo(tile.Slice(r * width, width));
        }

        int tileLength = tile.Length;
        int full = rows / rowsPerTile;
        for (int t = 0; t < full; t++)
        {
            Span<float> block = matrix.Slice(t * tileLength, tileLength);
            TensorPrimitives.Add(block, tile, block);
        }

        int done = full * rowsPerTile;
        Span<float> rest = matrix.Slice(done * width, (rows - done) * width);
        TensorPrimitives.Add(rest, tile.Slice(0, rest.Length), rest);
    }

    /// <summary><c>matrix[r, :] *= vector</c> for every row.</summary>
    public static void MultiplyRows(Span<float> matrix, int rows, ReadOnlySpan<float> vector)
    {
        int width = vector.Length;
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = matrix.Slice(r * width, width);
            TensorPrimitives.Multiply(row, vector, row);
        }
    }

    /// <summary><c>sums[c] = Σ_r matrix[r, c]</c> in a fixed order; adds to <paramref name="sums"/> when <paramref name="accumulate"/> is set.</summary>
    public static void SumRows(ReadOnlySpan<float> matrix, int rows, Span<float> sums, bool accumulate = false)
    {
        int width = sums.Length;
        if (accumulate)
        {
            Span<float> partial = width <= 1024 ? stackalloc float[width] : new float[width];
            SumRows(matrix, rows, partial);
            TensorPrimitives.Add(sums, partial, sums);
            return;
        }

        sums.Clear();
        int rowsPerTile = Math.Max(1, TileFloats / width);
        if (rowsPerTile == 1 || rows < 2 * rowsPerTile)
        {
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(sums, matrix.Slice(r * width, width), sums);
            }

            return;
        }

        Span<float> tile = stackalloc float[rowsPerTile * width];
        tile.Clear();
        int tileLength = tile.Length;
        int full = rows / rowsPerTile;
        for (int t = 0; t < full; t++)
        {
            TensorPrimitives.Add(tile, matrix.Slice(t * tileLength, tileLength), tile);
        }

        for (int r = full * rowsPerTile; r < rows; r++)
        {
            TensorPrimitives.Add(sums, matrix.Slice(r * width, width), sums);
        }

        for (int r = 0; r < rowsPerTile; r++)
        {
            TensorPrimitives.Add(sums, tile.Slice(r * width, width), sums);
        }
    }
}
