using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>Steady-state training allocates nothing per step: the hot kernels must not allocate after warm-up, on any path.</summary>
[TestClass]
[DoNotParallelize]
public sealed class KernelAllocationTests
{
    [TestMethod]
    public void HotKernelsAllocateNothingAfterWarmUp()
    {
        // Sizes large enough that the parallel kernels really dispatch to the worker pool.
        const int n = (1 << 18) + 4096;
        var floats = new float[n];
        var output = new float[n];
        var words = new uint[n];
        var indices = new int[n];
        var mask = new ulong[BitMask.WordCount(n)];
        var g = new ConvGeometry(3, 32, 32, 5, 5, 1, 2);
        const int images = 16;
        var batch = new float[images * g.ImageSize];
        var columns = new float[images * g.OutPositions * g.PatchSize];
        int[] sample = new int[79];
        const int rows = 512;
        var matrix = new float[rows * 784];
        var sketch = new float[rows * 79];
        var perRow = new int[rows * 79];

        void Step()
        {
            CounterRng.FillUInt32(1, 2, 3, words);
            CounterRng.UniformIndices(1, 2, 3, 784, indices);
            CounterRng.UniformFloats(1, 2, 3, floats);
            CounterRng.Rademacher(1, 2, 3, 0.5f, output);
            CounterRng.Gaussian(1, 2, 3, 1f, output.AsSpan(0, 1 << 14));
            CounterRng.BernoulliMask(1, 2, 3, 0.9f, n, mask);
            BitMask.ReluForward(floats, output, mask);
            BitMask.LeakyReluForward(floats, 0.01f, output, mask);
            BitMask.PackGreaterThanZero(floats, mask);
            BitMask.Apply(mask, floats, 0f, output);
            CounterRng.UniformIndices(4, 5, 0, 784, sample);
            CounterRng.UniformIndices(4, 5, 0, 784, perRow);
            GatherScatter.GatherColumns(matrix, rows, 784, sample, 2f, sketch);
            GatherScatter.GatherColumnsPerRow(matrix, rows, 784, perRow, 79, 2f, sketch);
            GatherScatter.ScatterAddColumns(sketch, rows, sample, 784, matrix);
            GatherScatter.ScatterAddColumnsPerRow(sketch, rows, 79, perRow, 784, matrix);
            GatherScatter.ScatterAddRows(sketch.AsSpan(0, 79 * 512), 512, sample, matrix);
            Im2Col.Pack(g, batch, images, columns);
            Im2Col.Unpack(g, columns, images, batch);
            Im2Col.UnpackAccumulate(g, columns, images, batch);
        }

        KernelTestCases.ForEachPath((path, threads) =>
        {
            Step();
            Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 3; i++)
            {
                Step();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.AreEqual(0L, allocated, $"bytes allocated by 3 steps");
        });
    }
}
