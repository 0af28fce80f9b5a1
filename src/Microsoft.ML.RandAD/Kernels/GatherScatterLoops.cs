using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Loops of <see cref="GatherScatter"/> on raw pointers (indices already validated). Gathers and column scatter-adds go one
/// element at a time, unrolled and without bounds checks; row scatter-adds add whole rows with vectors.
/// </summary>
internal static unsafe class GatherScatterLoops
{
    /// <summary>
    /// <c>destination[r, j] = scale · source[r, indices[j]]</c> for rows [0, rows); <paramref name="indexStride"/> 0 shares one
    /// index set, k gives one per row. Scalar loads on every path: see the remarks of <see cref="GatherScatter"/>.
    /// </summary>
    public static void Gather(float* source, int columns, int* indices, int indexStride, int k, float scale, float* destination, int rows)
    {
        for (int r = 0; r < rows; r++, source += columns, destination += k, indices += indexStride)
        {
            int j = 0;
            for (; j <= k - 4; j += 4)
            {
                destination[j] = scale * source[indices[j]];
                destination[j + 1] = scale * source[indices[j + 1]];
                destination[j + 2] = scale * source[indices[j + 2]];
                destination[j + 3] = scale * source[indices[j + 3]];
            }

            for (; j < k; j++)
            {
                destination[j] = scale * source[indices[j]];
            }
        }
    }

    /// <summary><c>destination[r, indices[j]] += source[r, j]</c>, j ascending, for rows [0, rows); <paramref name="indexStride"/> as in <see cref="Gather"/>.</summary>
    public static void ScatterAdd(float* source, int k, int* indices, int indexStride, int columns, float* destination, int rows)
    {
        for (int r = 0; r < rows; r++, source += k, destination += columns, indices += indexStride)
        {
            int j = 0;

            // Unrolled only to cut loop overhead; the adds still happen in index order.
            for (; j <= k - 4; j += 4)
            {
                destination[indices[j]] += source[j];
                destination[indices[j + 1]] += source[j + 1];
                destination[indices[j + 2]] += source[j + 2];
                destination[indices[j + 3]] += source[j + 3];
            }

            for (; j < k; j++)
            {
                destination[indices[j]] += source[j];
            }
        }
    }

    /// <summary>Columns [0, length) of <c>destination[indices[j], :] += source[j, :]</c>, j ascending; row strides are <paramref name="width"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void ScatterAddRows<TW, TU, TF>(float* source, int width, int* indices, int count, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        for (int j = 0; j < count; j++, source += width)
        {
            VectorRuns.Add<TW, TU, TF>(source, destination + (long)indices[j] * width, length);
        }
    }

    /// <summary>The scalar row scatter-add (reference path).</summary>
    public static void ScatterAddRows(float* source, int width, int* indices, int count, float* destination, int length)
    {
        for (int j = 0; j < count; j++, source += width)
        {
            float* target = destination + (long)indices[j] * width;
            for (int c = 0; c < length; c++)
            {
                target[c] += source[c];
            }
        }
    }
}
