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
        var pool = new PoolGeometry(16, 28, 28, 2, 2);
        var pooled = new float[images * pool.OutImageSize];
        var winners = new byte[pooled.Length];
        var poolInput = new float[images * pool.ImageSize];
        var conv1 = new ConvGeometry(1, 28, 28, 5, 5, 1, 2);
        var conv1Output = new float[images * conv1.OutPositions * 16];
        var conv1Weight = new float[16 * conv1.PatchSize];
        var conv2 = new ConvGeometry(16, 14, 14, 5, 5, 1, 2);
        var conv2Gradient = new float[images * conv2.OutPositions * 32];
        var conv2Weight = new float[32 * conv2.PatchSize];
        var conv2Samples = new float[images * 16 * 20];
        var conv2Images = new float[images * conv2.ImageSize];
        int[] conv2Positions = [.. Enumerable.Range(0, 20).Select(i => i * 9)];
        var parameters = new float[300_000];
        var state = new float[300_000];

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
            Pooling.MaxForward(pool, poolInput, images, pooled, winners);
            Pooling.MaxBackward(pool, pooled, winners, images, poolInput);
            DirectConvolution.Forward(conv1, poolInput.AsSpan(0, images * conv1.ImageSize), images, conv1Weight, conv1Weight.AsSpan(0, 16), 16, conv1Output);
            DirectConvolution.WeightGradient(conv1, poolInput.AsSpan(0, images * conv1.ImageSize), conv1Output, images, 16, conv1Weight, accumulate: true);
            DirectConvolution.Forward(conv2, conv2Images, images, conv2Weight, conv2Weight.AsSpan(0, 32), 32, conv2Gradient);
            DirectConvolution.WeightGradient(conv2, conv2Images, conv2Gradient, images, 32, conv2Weight, accumulate: true);
            DirectConvolution.InputGradient(conv2, conv2Gradient, images, conv2Weight, 32, conv2Images);
            SparseGradient.AddRowProducts(sketch, perRow, rows, 79, matrix.AsSpan(0, rows * 256), 256, matrix.AsSpan(rows * 256, 784 * 256), 784, accumulate: false);
            SparseGradient.AddConvolutionProducts(conv2, 32, conv2Samples, conv2Positions, new SampleLayout(20, PerPlane: false), images, conv2Gradient, conv2Weight, accumulate: true);
            OptimizerKernels.Adam(parameters, state, state, state, 1e-3f, 1f, 0.9f, 0.999f, 1e-8f, 0f, 0f);
            OptimizerKernels.Sgd(parameters, state, state, 1e-2f, 0.9f, false, 0f);
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
