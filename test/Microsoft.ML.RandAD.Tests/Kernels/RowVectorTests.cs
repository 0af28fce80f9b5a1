using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>Column sums (the bias gradient): a fixed order of additions, the same bits on any path and thread count.</summary>
[TestClass]
[DoNotParallelize] // KernelSettings is process-wide.
public sealed class RowVectorTests
{
    [TestMethod]
    [DataRow(16, 5000)] // a convolution's 16 channels over enough rows to split the tile over the threads
    [DataRow(32, 2500)]
    [DataRow(10, 9000)] // rows that do not divide the tile
    [DataRow(256, 300)]
    [DataRow(16, 40)] // short: one thread
    [DataRow(700, 5)] // wider than the tile
    public void SumRowsAddsTilesInOrderOnEveryPathAndThreadCount(int width, int rows)
    {
        float[] matrix = KernelTestCases.RandomFloats(width * rows, width + rows);
        float[] prior = KernelTestCases.RandomFloats(width, 7);
        float[] expected = Reference(matrix, rows, width);
        KernelTestCases.ForEachPath((path, threads) =>
        {
            var sums = new float[width];
            RowVector.SumRows(matrix, rows, sums);
            KernelTestCases.AssertBitEqual(expected, sums, $"column sums {rows}×{width}");

            float[] accumulated = (float[])prior.Clone();
            RowVector.SumRows(matrix, rows, accumulated, accumulate: true);
            KernelTestCases.AssertBitEqual([.. prior.Select((p, i) => p + expected[i])], accumulated, $"accumulated column sums {rows}×{width}");
        });

        // And close to the exact sums.
        for (int c = 0; c < width; c++)
        {
            double exact = 0;
            for (int r = 0; r < rows; r++)
            {
                exact += matrix[(r * width) + c];
            }

            Assert.AreEqual(exact, expected[c], 1e-4 * Math.Max(1, Math.Sqrt(rows)), $"column {c}");
        }
    }

    // The documented order: whole tiles of TileFloats / width rows summed element by element, the rows after the last whole
    // tile added to the sums, then the tile's rows added to the sums in order.
    private static float[] Reference(float[] matrix, int rows, int width)
    {
        var sums = new float[width];
        int rowsPerTile = Math.Max(1, 512 / width);
        if (rowsPerTile == 1 || rows < 2 * rowsPerTile)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    sums[c] += matrix[(r * width) + c];
                }
            }

            return sums;
        }

        int length = rowsPerTile * width, full = rows / rowsPerTile;
        var tile = new float[length];
        for (int t = 0; t < full; t++)
        {
            for (int i = 0; i < length; i++)
            {
                tile[i] += matrix[(t * length) + i];
            }
        }

        for (int r = full * rowsPerTile; r < rows; r++)
        {
            for (int c = 0; c < width; c++)
            {
                sums[c] += matrix[(r * width) + c];
            }
        }

        for (int r = 0; r < rowsPerTile; r++)
        {
            for (int c = 0; c < width; c++)
            {
                sums[c] += tile[(r * width) + c];
            }
        }

        return sums;
    }
}
