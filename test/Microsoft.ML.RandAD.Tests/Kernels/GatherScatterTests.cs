using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class GatherScatterTests
{
    public static IEnumerable<object[]> Shapes()
    {
        // rows, columns, k: edge sizes around vector widths, the paper's FC shapes, and sizes that split over threads.
        int[][] shapes =
        [
            [0, 5, 3], [1, 1, 1], [1, 7, 0], [3, 7, 15], [3, 7, 16], [3, 7, 17], [2, 64, 63], [2, 64, 64], [2, 64, 65],
            [5, 784, 79], [150, 784, 79], [150, 300, 30], [512, 1000, 100], [40, 33, 129],
        ];
        return shapes.Select(s => new object[] { s[0], s[1], s[2] });
    }

    private static int[] Indices(int count, int bound, int seed)
    {
        var random = new Random(seed);
        var indices = new int[count];
        for (int i = 0; i < count; i++)
        {
            indices[i] = random.Next(bound); // with replacement: duplicates on purpose
        }

        return indices;
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void GathersMatchDirectFormulaOnEveryPath(int rows, int columns, int k)
    {
        float[] source = KernelTestCases.RandomFloats(rows * columns, rows + columns);
        int[] shared = Indices(k, columns, k);
        int[] perRow = Indices(rows * k, columns, k + 1);
        const float scale = 784f / 79f;
        var expectedShared = new float[rows * k];
        var expectedPerRow = new float[rows * k];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++)
            {
                expectedShared[r * k + j] = scale * source[r * columns + shared[j]];
                expectedPerRow[r * k + j] = scale * source[r * columns + perRow[r * k + j]];
            }
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            var destination = new float[rows * k];
            GatherScatter.GatherColumns(source, rows, columns, shared, scale, destination);
            KernelTestCases.AssertBitEqual(expectedShared, destination, "GatherColumns");
            GatherScatter.GatherColumnsPerRow(source, rows, columns, perRow, k, scale, destination);
            KernelTestCases.AssertBitEqual(expectedPerRow, destination, "GatherColumnsPerRow");
        });
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void ScatterAddsAccumulateDuplicatesInIndexOrderOnEveryPath(int rows, int columns, int k)
    {
        float[] source = KernelTestCases.RandomFloats(rows * k, rows + k);
        float[] initial = KernelTestCases.RandomFloats(rows * columns, columns);
        int[] shared = Indices(k, columns, k + 2);
        int[] perRow = Indices(rows * k, columns, k + 3);
        float[] expectedShared = (float[])initial.Clone();
        float[] expectedPerRow = (float[])initial.Clone();
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++)
            {
                expectedShared[r * columns + shared[j]] += source[r * k + j];
                expectedPerRow[r * columns + perRow[r * k + j]] += source[r * k + j];
            }
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            float[] destination = (float[])initial.Clone();
            GatherScatter.ScatterAddColumns(source, rows, shared, columns, destination);
            KernelTestCases.AssertBitEqual(expectedShared, destination, "ScatterAddColumns");
            destination = (float[])initial.Clone();
            GatherScatter.ScatterAddColumnsPerRow(source, rows, k, perRow, columns, destination);
            KernelTestCases.AssertBitEqual(expectedPerRow, destination, "ScatterAddColumnsPerRow");
        });
    }

    [TestMethod]
    [DataRow(0, 5, 3)]
    [DataRow(3, 1, 2)]
    [DataRow(17, 15, 4)]
    [DataRow(30, 300, 784)]
    [DataRow(200, 300, 50)]
    [DataRow(7, 1000, 3)]
    public void ScatterAddRowsAccumulatesDuplicatesInOrderOnEveryPath(int k, int width, int destinationRows)
    {
        float[] source = KernelTestCases.RandomFloats(k * width, k * width);
        float[] initial = KernelTestCases.RandomFloats(destinationRows * width, width);
        int[] indices = Indices(k, destinationRows, width);
        float[] expected = (float[])initial.Clone();
        for (int j = 0; j < k; j++)
        {
            for (int c = 0; c < width; c++)
            {
                expected[indices[j] * width + c] += source[j * width + c];
            }
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            float[] destination = (float[])initial.Clone();
            GatherScatter.ScatterAddRows(source, width, indices, destination);
            KernelTestCases.AssertBitEqual(expected, destination, "ScatterAddRows");
        });
    }

    [TestMethod]
    public void GatherThenScatterIsAdjoint()
    {
        // <Gather(x), y> == <x, ScatterAdd(y)>: the sketch's backward is the transpose of its forward.
        const int rows = 20, columns = 50, k = 12;
        float[] x = KernelTestCases.RandomFloats(rows * columns, 1);
        float[] y = KernelTestCases.RandomFloats(rows * k, 2);
        int[] indices = Indices(rows * k, columns, 3);
        var gathered = new float[rows * k];
        var scattered = new float[rows * columns];
        GatherScatter.GatherColumnsPerRow(x, rows, columns, indices, k, 1f, gathered);
        GatherScatter.ScatterAddColumnsPerRow(y, rows, k, indices, columns, scattered);
        double left = 0, right = 0;
        for (int i = 0; i < gathered.Length; i++)
        {
            left += (double)gathered[i] * y[i];
        }

        for (int i = 0; i < x.Length; i++)
        {
            right += (double)x[i] * scattered[i];
        }

        Assert.AreEqual(left, right, 1e-4 * Math.Max(1, Math.Abs(left)));
    }

    [TestMethod]
    public void BadIndicesAndShortSpansAreRejectedWithClearErrors()
    {
        var source = new float[12];
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GatherScatter.GatherColumns(source, 3, 4, [0, 4], 1f, new float[6]));
        StringAssert.Contains(e.Message, "indices[1] = 4 lies outside [0, 4)");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GatherScatter.ScatterAddColumnsPerRow(new float[6], 3, 2, [0, 1, 2, -1, 0, 0], 4, source));
        StringAssert.Contains(e.Message, "indices[3] = -1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GatherScatter.ScatterAddRows(new float[8], 4, [0, 3], source));
        var shortSpan = Assert.ThrowsExactly<ArgumentException>(() => GatherScatter.GatherColumns(source, 4, 4, [0], 1f, new float[4]));
        StringAssert.Contains(shortSpan.Message, "source has 12 elements; 4×4 needs 16");
        Assert.ThrowsExactly<ArgumentException>(() => GatherScatter.GatherColumnsPerRow(source, 3, 4, [0, 1], 1, 1f, new float[3]));
        Assert.ThrowsExactly<ArgumentException>(() => GatherScatter.ScatterAddColumns(new float[5], 3, [0, 1], 4, source));
    }
}
