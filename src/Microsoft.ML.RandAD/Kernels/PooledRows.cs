using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Column sums of the full-size output gradient of 2×2 stride-2 max pooling (<see cref="Pooling.MaxBackward"/>'s, a row per
/// input pixel) read from the pooled gradient and the winners, without writing it: a convolution's bias gradient under the
/// pooling.
/// </summary>
internal static unsafe class PooledRows
{
    /// <summary>Additions from which <see cref="SumRows"/> gives half the channels to another thread.</summary>
    private const long SpreadAdditions = 1 << 16;

    /// <summary>
    /// <see cref="RowVector.SumRows"/> of what <see cref="Pooling.MaxBackward"/> would write for <paramref name="count"/> images
    /// (<c>count·Height·Width</c> rows of <c>Channels</c>): each row's elements added to the same sum (the tile's row or the
    /// sums) in the same order, less the zeros the pooling writes where a pixel did not win, which leave a sum that started at
    /// +0 unchanged; so the same bits. Rows come in order because each row of windows is read twice, once for the pixels of
    /// the upper row and once for the lower. Written, or added when <paramref name="accumulate"/> is set.
    /// </summary>
    public static void SumRows(in PoolGeometry g, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<byte> winners, int count, Span<float> sums, bool accumulate)
    {
        if (!Pooling.TakesImageBackward(g))
        {
            throw new ArgumentException($"{g.Size}×{g.Size} pooling with stride {g.Stride} over {g.Height}×{g.Width} images does not sum through its winners.", nameof(g));
        }

        long pooled = (long)count * g.OutImageSize;
        if (sums.Length != g.Channels || pooledGradient.Length < pooled || winners.Length < pooled)
        {
            throw new ArgumentException(
                $"{count} images need {pooled} pooled gradient floats and winners and {g.Channels} sums; got {pooledGradient.Length}, {winners.Length} and {sums.Length}.");
        }

        if (accumulate)
        {
            Span<float> partial = g.Channels <= 1024 ? stackalloc float[g.Channels] : new float[g.Channels];
            SumRows(g, pooledGradient, winners, count, partial, accumulate: false);
            TensorPrimitives.Add(sums, partial, sums);
            return;
        }

        sums.Clear();
        int width = g.Channels, rows = count * g.Height * g.Width;
        int tiledRows = RowVector.TiledRows(rows, width), rowsPerTile = RowVector.RowsPerTile(width);
        float* tile = stackalloc float[tiledRows > 0 ? rowsPerTile * width : 1];
        new Span<float>(tile, tiledRows > 0 ? rowsPerTile * width : 1).Clear();
        fixed (float* pg = pooledGradient, s = sums)
        fixed (byte* pw = winners)
        {
            var job = new SumJob(g, KernelSettings.Path, pg, pw, count, tile, tiledRows, rowsPerTile, s);
            int units = job.Units;
            WorkerPool.RunRanges(ref job, units, (long)rows * width >= SpreadAdditions ? (units + 1) / 2 : units);
            if (tiledRows > 0)
            {
                RowVector.AddBlocks(tile, width, rowsPerTile, s, width);
            }
        }
    }

    /// <summary>
    /// Units of channels: a vector each, then the channels after the last whole vector as one; a part sums every row of its
    /// channels, so how the channels are split cannot change a sum.
    /// </summary>
    private readonly struct SumJob(PoolGeometry g, KernelPath path, float* pooledGradient, byte* winners, int count, float* tile, int tiledRows, int rowsPerTile, float* sums) : IRangeJob
    {
        public int Lanes => path switch
        {
            KernelPath.Vector512 => Width512.Count,
            KernelPath.Vector256 => Width256.Count,
            KernelPath.Vector128 => Width128.Count,
            _ => 0,
        };

        private int VectorChannels => Lanes == 0 ? 0 : g.Channels - (g.Channels % Lanes);

        public int Units => (Lanes == 0 ? 0 : VectorChannels / Lanes) + (VectorChannels < g.Channels ? 1 : 0);

        /// <summary>
        /// Channels [first·lanes, …) of every row, summed in a buffer of this thread's own (its rows of the tile, then its
        /// sums) and copied out at the end: threads summing neighbouring channels would otherwise write the same cache lines.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public void RunRange(int first, int count)
        {
            int lanes = Lanes, vectorChannels = VectorChannels;
            int firstChannel = first * lanes, endChannel = first + count == Units ? g.Channels : (first + count) * lanes;
            int width = endChannel - firstChannel, tileRows = tiledRows > 0 ? rowsPerTile : 0;
            int ownFloats = (tileRows + 1) * width; // the tile's rows are 512 floats in all
            float[]? large = ownFloats > 4096 ? GC.AllocateArray<float>(ownFloats, pinned: true) : null; // thousands of channels
            float* own = stackalloc float[large is null ? ownFloats : 1];
            if (large is not null)
            {
                own = (float*)Unsafe.AsPointer(ref large[0]);
            }

            float* ownTile = own, ownSums = own + (tileRows * width);
            new Span<float>(own, ownFloats).Clear();
            int vectorEnd = Math.Min(endChannel, vectorChannels);
            switch (path)
            {
                case KernelPath.Vector512 when vectorEnd > firstChannel:
                    Sum<Width512, Vector512<uint>, Vector512<float>>(firstChannel, vectorEnd, ownTile, ownSums, width);
                    break;
                case KernelPath.Vector256 when vectorEnd > firstChannel:
                    Sum<Width256, Vector256<uint>, Vector256<float>>(firstChannel, vectorEnd, ownTile, ownSums, width);
                    break;
                case KernelPath.Vector128 when vectorEnd > firstChannel:
                    Sum<Width128, Vector128<uint>, Vector128<float>>(firstChannel, vectorEnd, ownTile, ownSums, width);
                    break;
            }

            if (vectorEnd < endChannel)
            {
                SumScalar(vectorEnd, endChannel, firstChannel, ownTile, ownSums, width);
            }

            for (int r = 0; r < tileRows; r++)
            {
                new ReadOnlySpan<float>(ownTile + (r * width), width).CopyTo(new Span<float>(tile + (r * g.Channels) + firstChannel, width));
            }

            new ReadOnlySpan<float>(ownSums, width).CopyTo(new Span<float>(sums + firstChannel, width));
            GC.KeepAlive(large); // only `own` points into it after its address is taken: a pinned array is still freed once unreachable
        }

        /// <summary>
        /// Rows in order, each added to its row of the tile (<c>row mod rowsPerTile</c>, counted rather than divided) or, from
        /// <c>tiledRows</c> on, to the sums; the buffers hold the <paramref name="width"/> channels from <paramref name="firstChannel"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private void Sum<TW, TU, TF>(int firstChannel, int endChannel, float* ownTile, float* ownSums, int width)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            int c = g.Channels, outWidth = g.OutWidth, imageRows = g.Height * g.Width, channels = endChannel - firstChannel;
            TF zero = TW.BroadcastSingle(0f);
            for (int n = 0; n < count; n++)
            {
                float* pooled = pooledGradient + ((long)n * g.OutImageSize) + firstChannel;
                byte* won = winners + ((long)n * g.OutImageSize) + firstChannel;
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    for (int dy = 0; dy < 2; dy++)
                    {
                        int row = (n * imageRows) + (((2 * oh) + dy) * g.Width), slot = row % rowsPerTile;
                        TU left = TW.Broadcast((uint)(2 * dy)), right = TW.Broadcast((uint)((2 * dy) + 1));
                        for (int ow = 0; ow < outWidth; ow++, row += 2)
                        {
                            float* a = row < tiledRows ? ownTile + (slot * width) : ownSums;
                            slot = slot + 1 == rowsPerTile ? 0 : slot + 1;
                            float* b = row + 1 < tiledRows ? ownTile + (slot * width) : ownSums;
                            slot = slot + 1 == rowsPerTile ? 0 : slot + 1;
                            int at = ((oh * outWidth) + ow) * c;
                            for (int ch = 0; ch < channels; ch += TW.Count)
                            {
                                TF gradient = TW.LoadSingle(pooled + at + ch);
                                TU winner = TW.LoadBytes(won + at + ch);

                                // The values the pooling's backward pass writes (0 + its share), each added to its pixel's row.
                                TW.StoreSingle(TW.AddSingle(TW.LoadSingle(a + ch), TW.AddSingle(zero, TW.Select(TW.EqualsZero(TW.Xor(winner, left)), gradient, zero))), a + ch);
                                TW.StoreSingle(TW.AddSingle(TW.LoadSingle(b + ch), TW.AddSingle(zero, TW.Select(TW.EqualsZero(TW.Xor(winner, right)), gradient, zero))), b + ch);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// <see cref="Sum{TW, TU, TF}"/> one channel at a time, for channels [<paramref name="firstChannel"/>,
        /// <paramref name="endChannel"/>); the buffers hold the <paramref name="width"/> channels from <paramref name="offset"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private void SumScalar(int firstChannel, int endChannel, int offset, float* ownTile, float* ownSums, int width)
        {
            int c = g.Channels, outWidth = g.OutWidth, imageRows = g.Height * g.Width;
            for (int n = 0; n < count; n++)
            {
                float* pooled = pooledGradient + ((long)n * g.OutImageSize);
                byte* won = winners + ((long)n * g.OutImageSize);
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    for (int dy = 0; dy < 2; dy++)
                    {
                        int row = (n * imageRows) + (((2 * oh) + dy) * g.Width);
                        for (int ow = 0; ow < outWidth; ow++, row += 2)
                        {
                            float* a = (row < tiledRows ? ownTile + ((row % rowsPerTile) * width) : ownSums) - offset;
                            float* b = (row + 1 < tiledRows ? ownTile + (((row + 1) % rowsPerTile) * width) : ownSums) - offset;
                            int at = ((oh * outWidth) + ow) * c;
                            for (int ch = firstChannel; ch < endChannel; ch++)
                            {
                                int winner = won[at + ch];
                                float gradient = pooled[at + ch];
                                a[ch] += 0f + (winner == 2 * dy ? gradient : 0f);
                                b[ch] += 0f + (winner == (2 * dy) + 1 ? gradient : 0f);
                            }
                        }
                    }
                }
            }
        }
    }
}
