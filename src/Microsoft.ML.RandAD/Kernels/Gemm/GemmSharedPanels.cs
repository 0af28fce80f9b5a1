using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Threaded GEMM that packs the operand the threads share only once: split C by rows and the threads first
/// pack B together (each a share of its panels), then each packs its own rows of A as it goes and
/// multiplies; split by columns and A is the shared one.
/// </summary>
/// <remarks>
/// <para>Splitting C with each part packing both operands (<see cref="GemmDriver"/>'s fallback) makes every
/// thread pack all of the shared operand: for 256×784×128 that is 100 K floats per thread, a tenth of its
/// multiply time. Here it is packed once, at the price of a second dispatch to the worker pool (the barrier
/// between packing and multiplying). The private operand is packed a block at a time, just before use,
/// so it is still in L2 when the kernel reads it.</para>
/// <para>Same blocking, kernels and summation order as the per-part driver, so the results are the same bits.</para>
/// </remarks>
internal static unsafe class GemmSharedPanels
{
    /// <summary>
    /// Largest packed shared operand, in floats (1 MB). Past it the shared panels are evicted to L3 between
    /// being packed and being read (1024³ ran 10–30 % slower shared than with each part packing its own B
    /// just before use), while the packing each part repeats in the fallback is down to a few percent.
    /// </summary>
    public const long MaxSharedFloats = 1L << 18;

    /// <summary>Whether the shared operand (B when rows are split, A when columns are), packed, fits the shared buffer.</summary>
    public static bool Fits<TTile, TA>(in GemmArguments args, bool splitRows)
        where TTile : IGemmTile
        where TA : IGemmAPanel =>
        SharedFloats<TTile, TA>(in args, splitRows, GemmDriver.Balanced(args.K, TTile.KcMax, 1), out _) <= MaxSharedFloats;

    /// <summary>Computes the product with <paramref name="threads"/> threads, C split along rows or columns as given.</summary>
    public static void Run<TTile, TV, TVec, TA>(in GemmArguments args, int threads, bool splitRows)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        int kcMax = GemmDriver.Balanced(args.K, TTile.KcMax, 1);
        var work = new Work
        {
            Args = args,
            KcMax = kcMax,
            SplitRows = splitRows,
            Panels = splitRows ? Ceiling(args.N, TTile.Cols) : Ceiling(args.M, TTile.Rows),
        };
        nint floats = SharedFloats<TTile, TA>(in args, splitRows, kcMax, out work.Block);
        GemmScratch scratch = GemmScratch.ForCurrentThread;

        // The caller's own private panels go to its other buffer, so the two never overlap.
        work.Shared = splitRows ? scratch.B(floats) : scratch.A(floats);

        WorkerPool.Run(&PackShared<TTile, TV, TVec, TA>, &work, Math.Min(threads, work.Panels));
        WorkerPool.Run(&MultiplyPart<TTile, TV, TVec, TA>, &work, threads);
    }

    /// <summary>Floats of the packed shared operand: <paramref name="block"/> per k block of at most <paramref name="kcMax"/>.</summary>
    private static nint SharedFloats<TTile, TA>(in GemmArguments args, bool splitRows, int kcMax, out nint block)
        where TTile : IGemmTile
        where TA : IGemmAPanel
    {
        block = splitRows
            ? Ceiling(args.N, TTile.Cols) * GemmPacking.PanelStride(TTile.Cols, kcMax)
            : Ceiling(args.M, TTile.Rows) * TA.PanelStride(TTile.Rows, kcMax);
        return Ceiling(args.K, kcMax) * block;
    }

    /// <summary>Packs this part's share of the shared operand's panels, for every k block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackShared<TTile, TV, TVec, TA>(void* context, int part, int parts)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        ref Work work = ref Unsafe.AsRef<Work>(context);
        ref GemmArguments args = ref work.Args;
        (int first, int end) = Share(work.Panels, part, parts);
        for (int pc = 0, block = 0; pc < args.K; pc += work.KcMax, block++)
        {
            int kc = Math.Min(work.KcMax, args.K - pc);
            float* panels = work.Shared + (block * work.Block);
            if (work.SplitRows)
            {
                int j = first * TTile.Cols;
                GemmPacking.Panels<TV, TVec>(
                    panels + (first * GemmPacking.PanelStride(TTile.Cols, kc)),
                    args.B + (pc * args.BKStride) + (j * args.BColStride), args.BColStride, args.BKStride,
                    Math.Min(args.N, end * TTile.Cols) - j, TTile.Cols, kc);
            }
            else
            {
                int i = first * TTile.Rows;
                TA.Pack<TV, TVec>(
                    panels + (first * TA.PanelStride(TTile.Rows, kc)),
                    args.A + (i * args.ARowStride) + (pc * args.AKStride), args.ARowStride, args.AKStride,
                    Math.Min(args.M, end * TTile.Rows) - i, TTile.Rows, kc);
            }
        }
    }

    /// <summary>Multiplies this part's rows (or columns) of C: packs its own panels of the other operand a block at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyPart<TTile, TV, TVec, TA>(void* context, int part, int parts)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        ref Work work = ref Unsafe.AsRef<Work>(context);
        ref GemmArguments args = ref work.Args;
        int rows = TTile.Rows, cols = TTile.Cols;
        int tiles = work.SplitRows ? Ceiling(args.M, rows) : Ceiling(args.N, cols);
        (int first, int end) = Share(tiles, part, parts);
        int m0 = 0, m1 = args.M, n0 = 0, n1 = args.N;
        if (work.SplitRows)
        {
            (m0, m1) = (first * rows, Math.Min(args.M, end * rows));
        }
        else
        {
            (n0, n1) = (first * cols, Math.Min(args.N, end * cols));
        }

        if (m1 <= m0 || n1 <= n0)
        {
            return;
        }

        int mcMax = work.SplitRows ? GemmDriver.Balanced(m1 - m0, TTile.McMax, rows) : RoundUp(args.M, rows);
        int ncMax = GemmDriver.Balanced(n1 - n0, TTile.NcMax, cols);
        GemmScratch scratch = GemmScratch.ForCurrentThread;
        float* ownA = work.SplitRows ? scratch.A(mcMax / rows * TA.PanelStride(rows, work.KcMax)) : null;
        float* ownB = work.SplitRows ? null : scratch.B(ncMax / cols * GemmPacking.PanelStride(cols, work.KcMax));

        for (int ic = m0; ic < m1; ic += mcMax)
        {
            int mc = Math.Min(mcMax, m1 - ic);
            for (int pc = 0, block = 0; pc < args.K; pc += work.KcMax, block++)
            {
                int kc = Math.Min(work.KcMax, args.K - pc);
                nint strideA = TA.PanelStride(rows, kc), strideB = GemmPacking.PanelStride(cols, kc);
                float* shared = work.Shared + (block * work.Block);
                float* blockA = shared + (ic / rows * strideA);
                if (work.SplitRows)
                {
                    blockA = ownA;
                    TA.Pack<TV, TVec>(ownA, args.A + (ic * args.ARowStride) + (pc * args.AKStride), args.ARowStride, args.AKStride, mc, rows, kc);
                }

                float beta = pc == 0 ? args.Beta : 1f;
                for (int jc = n0; jc < n1; jc += ncMax)
                {
                    int nc = Math.Min(ncMax, n1 - jc);
                    float* blockB = shared + (jc / cols * strideB);
                    if (!work.SplitRows)
                    {
                        blockB = ownB;
                        GemmPacking.Panels<TV, TVec>(ownB, args.B + (pc * args.BKStride) + (jc * args.BColStride), args.BColStride, args.BKStride, nc, cols, kc);
                    }

                    for (int ir = 0; ir < mc; ir += rows)
                    {
                        float* a = blockA + (ir / rows * strideA);
                        float* c = args.C + ((ic + ir) * args.Ldc) + jc;
                        int tileRows = Math.Min(rows, mc - ir);
                        for (int jr = 0; jr < nc; jr += cols)
                        {
                            TTile.Multiply<TA>(kc, a, blockB + (jr / cols * strideB), c + jr, args.Ldc, args.Alpha, beta, tileRows, Math.Min(cols, nc - jr));
                        }
                    }
                }
            }
        }
    }

    private static (int First, int End) Share(int count, int part, int parts) =>
        ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;

    private static int RoundUp(int value, int unit) => Ceiling(value, unit) * unit;

    /// <summary>The call, the k blocking and where each k block's shared panels live.</summary>
    private struct Work
    {
        public GemmArguments Args;
        public int KcMax;
        public bool SplitRows;
        public int Panels;
        public nint Block;
        public float* Shared;
    }
}
