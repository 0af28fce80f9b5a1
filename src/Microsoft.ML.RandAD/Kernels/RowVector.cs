using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// A vector broadcast over the rows of a row-major matrix (bias add) and its adjoint (column sums, the bias
/// gradient). Narrow rows (a convolution's 16 channels) would cost one call per row, so they are processed as
/// a repeating tile of whole rows instead.
/// </summary>
internal static unsafe class RowVector
{
    private const int TileFloats = 512;

    /// <summary>Rows of <paramref name="width"/> floats in the tile <see cref="SumRows"/> sums whole tiles into (1: no tile).</summary>
    internal static int RowsPerTile(int width) => Math.Max(1, TileFloats / width);

    /// <summary>Rows of a <paramref name="rows"/>-row matrix <see cref="SumRows"/> adds through its tile (the rest straight into the sums): 0 when it has no tile.</summary>
    internal static int TiledRows(int rows, int width)
    {
        int rowsPerTile = RowsPerTile(width);
        return rowsPerTile == 1 || rows < 2 * rowsPerTile ? 0 : rows / rowsPerTile * rowsPerTile;
    }

    /// <summary>Blocks added into a destination vector between its load and its store (<see cref="AddBlocks"/>).</summary>
    private const int BlockGroup = 8;

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
    /// <remarks>
    /// Whole tiles of <c>TileFloats / width</c> rows are summed element by element, the rows after the last whole tile added
    /// to the sums, then the tile's rows added to the sums in order. Each of those steps adds a run of equal-length blocks
    /// into a destination (<see cref="AddBlocks"/>), one kernel call rather than a <c>TensorPrimitives.Add</c> per block:
    /// the library has no sum along an axis, and a call per row of a Dense layer's 10 or 256 outputs (about 200 per MLP
    /// step) cost more than the additions, most of all in the first epoch, where its generic code runs unoptimized.
    /// </remarks>
    public static void SumRows(ReadOnlySpan<float> matrix, int rows, Span<float> sums, bool accumulate = false)
    {
        int width = sums.Length;
        if (matrix.Length < rows * width)
        {
            throw new ArgumentException($"A {rows}×{width} matrix needs {rows * width} floats; got {matrix.Length}.", nameof(matrix));
        }

        if (accumulate)
        {
            Span<float> partial = width <= 1024 ? stackalloc float[width] : new float[width];
            SumRows(matrix, rows, partial);
            TensorPrimitives.Add(sums, partial, sums);
            return;
        }

        sums.Clear();
        int rowsPerTile = RowsPerTile(width);
        fixed (float* m = matrix, s = sums)
        {
            if (TiledRows(rows, width) == 0)
            {
                AddBlocks(m, width, rows, s, width);
                return;
            }

            float* tile = stackalloc float[rowsPerTile * width];
            int tileLength = rowsPerTile * width;
            new Span<float>(tile, tileLength).Clear();
            int full = rows / rowsPerTile;
            AddBlocks(m, tileLength, full, tile, tileLength);
            AddBlocks(m + ((nint)full * tileLength), width, rows - (full * rowsPerTile), s, width);
            AddBlocks(tile, width, rowsPerTile, s, width);
        }
    }

    /// <summary>
    /// <c>destination[i] += source[t·stride + i]</c> for <c>i</c> &lt; <paramref name="length"/>, block <c>t</c> = 0, 1, … in
    /// order (the same bits as adding the blocks one at a time), on the active kernel path. From <see cref="SpreadFloats"/>
    /// additions on, slices of the destination go to the threads: each element still takes its blocks in order, so the bits
    /// do not depend on the split.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void AddBlocks(float* source, nint stride, int blocks, float* destination, int length)
    {
        KernelPath path = KernelSettings.Path;
        long additions = (long)blocks * length;
        int slices = (length + SliceFloats - 1) / SliceFloats;
        if (additions < SpreadFloats || slices < 2)
        {
            AddBlocksOn(path, source, stride, blocks, destination, length);
            return;
        }

        // Parts of at least half the threshold's additions; slices of 64 floats (whole cache lines where the destination is aligned).
        int parts = (int)Math.Min(slices, additions / (SpreadFloats / 2));
        var job = new AddBlocksJob(path, source, stride, blocks, destination, length);
        WorkerPool.RunRanges(ref job, slices, (slices + parts - 1) / parts);
    }

    /// <summary>
    /// Additions from which <see cref="AddBlocks(float*, nint, int, float*, int)"/> spreads over the threads. The CNN's second
    /// layer sums its bias gradient over 12,544 rows of 32 (784 tiles of 512 floats, 401K additions) a chunk; on the calling
    /// thread alone that and the weight gradient's parts were 2 % of its samples while the worker waited (Zen 3, eighteenth
    /// session). Spread, with the winners' packing (<see cref="IndexPacking"/>), the CNN step took 0.985–1.000× the time (in
    /// one process).
    /// </summary>
    private const long SpreadFloats = 1 << 16;

    private const int SliceFloats = 64;

    private readonly struct AddBlocksJob(KernelPath path, float* source, nint stride, int blocks, float* destination, int length) : IRangeJob
    {
        public void RunRange(int first, int count)
        {
            int start = first * SliceFloats, end = Math.Min(length, (first + count) * SliceFloats);
            AddBlocksOn(path, source + start, stride, blocks, destination + start, end - start);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void AddBlocksOn(KernelPath path, float* source, nint stride, int blocks, float* destination, int length)
    {
        switch (path)
        {
            case KernelPath.Vector512:
                AddBlocks<Width512, Vector512<uint>, Vector512<float>>(source, stride, blocks, destination, length);
                break;
            case KernelPath.Vector256:
                AddBlocks<Width256, Vector256<uint>, Vector256<float>>(source, stride, blocks, destination, length);
                break;
            case KernelPath.Vector128:
                AddBlocks<Width128, Vector128<uint>, Vector128<float>>(source, stride, blocks, destination, length);
                break;
            default:
                for (int t = 0; t < blocks; t++)
                {
                    float* block = source + (t * stride);
                    for (int i = 0; i < length; i++)
                    {
                        destination[i] += block[i];
                    }
                }

                break;
        }
    }

    /// <summary>
    /// <see cref="AddBlocks"/> a vector at a time: each destination vector loaded once per group of up to
    /// <see cref="BlockGroup"/> blocks, their vectors added to it in order, then stored; the last partial vector masked. Not
    /// inlined, so the dispatcher compiles only the running path's loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void AddBlocks<TW, TU, TF>(float* source, nint stride, int blocks, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int whole = length - (length % TW.Count);
        TF mask = TW.TailMask(length - whole);
        for (int t = 0; t < blocks; t += BlockGroup)
        {
            float* group = source + (t * stride);
            int count = Math.Min(BlockGroup, blocks - t);
            for (int i = 0; i < whole; i += TW.Count)
            {
                TF sum = TW.LoadSingle(destination + i);
                for (int u = 0; u < count; u++)
                {
                    sum = TW.AddSingle(sum, TW.LoadSingle(group + (u * stride) + i));
                }

                TW.StoreSingle(sum, destination + i);
            }

            if (whole < length)
            {
                TF sum = TW.LoadSingleMasked(destination + whole, mask);
                for (int u = 0; u < count; u++)
                {
                    sum = TW.AddSingle(sum, TW.LoadSingleMasked(group + (u * stride) + whole, mask));
                }

                TW.StoreSingleMasked(sum, destination + whole, mask);
            }
        }
    }
}
