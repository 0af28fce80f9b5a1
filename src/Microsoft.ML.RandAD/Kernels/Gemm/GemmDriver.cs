using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The packed, cache-blocked, threaded GEMM: splits C between threads, then runs the classic loops
/// (row block, k block, column block, row micro-panel, column micro-panel, micro-kernel) on each part.
/// </summary>
/// <remarks>
/// <para>Loop order per part: for each row block ic (MC tall) and k block pc (KC deep), pack op(A) once; for
/// each column block jc (NC wide) pack op(B) into an L2-resident block; then sweep each MR-row micro-panel of
/// A (it stays in L1) over every NR-wide panel of the B block. A is packed once per k block whatever n is,
/// B once per row block. On AVX-512 and AVX2 with B's columns contiguous (B not transposed) B has no packing pass
/// of its own: the tiles of the first row micro-panel read B where it lies and write its packed panels as they go
/// (<see cref="IGemmTile.MultiplyPacking{TA}"/>); the other micro-panels read those.</para>
/// <para>Threaded products split C into disjoint rows or columns (whichever repeats less packing and wastes fewer
/// tile slots) and each part packs into its own buffers, so there is one dispatch and no synchronization inside the
/// call. The operand the parts have in common is then packed by each of them; with B's packing fused into the first
/// micro-panel's tiles that repeat costs less than sharing one packed copy did (a second dispatch, and each core
/// reading the panels the other packed out of the other's cache): dropping the shared path made the training
/// shapes 5–15 % faster on two threads (docs/benchmarks.md). The k blocking depends only on k and the path, and every
/// element is summed in k order in one lane, so the result is bit-identical for any thread count.</para>
/// </remarks>
internal static unsafe class GemmDriver
{
    // Below this many multiply-adds per thread, waking a worker and packing apart cost more than they save.
    private const double MinMultiplyAddsPerThread = 256 * 1024;

    // Time to pack one element relative to one multiply-add lane of the kernel: weighs the packing a split repeats on every
    // thread. A is packed in a pass of its own (a transposition where its rows run along k, small copies where its columns
    // do), and so is B where its columns are not contiguous; where they are, the first row micro-panel's tiles pack B as
    // they multiply it, for little more than the loads they make anyway. The three figures reproduce which split was
    // faster on AVX2 (rows against columns forced, paired in one process; docs/benchmarks.md, sixteenth session): with
    // one cost of 8 for both operands the model split 1024³ and TN 256×256×128 by columns, 5–6 % and 7–15 % slower than by
    // rows. None of the training or benchmark shapes changes its split on AVX-512.
    private const double PackCostA = 12;
    private const double PackCostB = 12;
    private const double PackCostFusedB = 3;

    /// <summary>Computes the product described by <paramref name="args"/> with tile <typeparamref name="TTile"/>.</summary>
    public static void Run<TTile, TV, TVec>(in GemmArguments args)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        // Pack A as it lies: by rows when its rows run along k, interleaved when its columns do.
        if (args.AKStride == 1)
        {
            Run<TTile, TV, TVec, GemmRowsA>(in args);
        }
        else
        {
            Run<TTile, TV, TVec, GemmInterleavedA>(in args);
        }
    }

    private static void Run<TTile, TV, TVec, TA>(in GemmArguments args)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        int threads = (int)Math.Clamp(args.MultiplyAdds / MinMultiplyAddsPerThread, 1, WorkerPool.AvailableThreads);
        if (threads == 1)
        {
            RunRegion<TTile, TV, TVec, TA>(in args, 0, args.M, 0, args.N);
            return;
        }

        var work = new Partition { Args = args };
        ChooseSplit<TTile>(in args, threads, ref work);
        WorkerPool.Run(&RunPart<TTile, TV, TVec, TA>, &work, work.Parts);
    }

    /// <summary>The block size that splits <paramref name="length"/> into equal blocks of at most <paramref name="limit"/>, rounded up to a multiple of <paramref name="unit"/>.</summary>
    public static int Balanced(int length, int limit, int unit) =>
        Ceiling(Ceiling(Math.Max(length, 1), Ceiling(Math.Max(length, 1), limit)), unit) * unit;

    private static void ChooseSplit<TTile>(in GemmArguments args, int threads, ref Partition work)
        where TTile : IGemmTile
    {
        int tilesM = Ceiling(args.M, TTile.Rows);
        int tilesN = Ceiling(args.N, TTile.Cols);
        int partsM = Math.Min(threads, tilesM);
        int partsN = Math.Min(threads, tilesN);

        // Per-part time in multiply-add lanes: the padded tiles of the biggest part, plus packing. A part
        // packs its own rows of A once, and all of B once per row block it owns, when rows are split; all of A
        // once, and its own columns of B once per row block, when columns are.
        double k = args.K;
        double packB = TTile.PacksWhileMultiplying && args.BColStride == 1 ? PackCostFusedB : PackCostB;
        int rowBlocksM = Ceiling(Ceiling(args.M, partsM), TTile.McMax);
        int rowBlocksN = Ceiling(args.M, TTile.McMax);
        double costM = ((double)Ceiling(tilesM, partsM) * TTile.Rows * tilesN * TTile.Cols * k)
            + (k * ((PackCostA * args.M / partsM) + (packB * args.N * rowBlocksM)));
        double costN = ((double)tilesM * TTile.Rows * Ceiling(tilesN, partsN) * TTile.Cols * k)
            + (k * ((PackCostA * args.M) + (packB * args.N / partsN * rowBlocksN)));

        // An epilogue that writes a mask's bits needs every part's bytes to be its own: columns split on tile boundaries are
        // whole bytes of bits where tiles are 8 columns or more (rows are, the mask's rows being whole bytes).
        work.SplitRows = costM <= costN || (args.Epilogue.PacksBits && TTile.Cols % 8 != 0);
        work.Parts = work.SplitRows ? partsM : partsN;
        work.Tiles = work.SplitRows ? tilesM : tilesN;
    }

    private static void RunPart<TTile, TV, TVec, TA>(void* context, int part, int parts)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        ref Partition work = ref Unsafe.AsRef<Partition>(context);
        int first = (int)((long)work.Tiles * part / parts);
        int last = (int)((long)work.Tiles * (part + 1) / parts);
        ref GemmArguments args = ref work.Args;
        if (work.SplitRows)
        {
            RunRegion<TTile, TV, TVec, TA>(in args, first * TTile.Rows, Math.Min(args.M, last * TTile.Rows), 0, args.N);
        }
        else
        {
            RunRegion<TTile, TV, TVec, TA>(in args, 0, args.M, first * TTile.Cols, Math.Min(args.N, last * TTile.Cols));
        }
    }

    /// <summary>C[m0..m1, n0..n1) on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void RunRegion<TTile, TV, TVec, TA>(in GemmArguments args, int m0, int m1, int n0, int n1)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        int rows = TTile.Rows, cols = TTile.Cols;
        int k = args.K;

        // Equal blocks, so a size just above a limit does not leave a sliver block that costs a full pass.
        int kcMax = Balanced(k, TTile.KcMax, 1);
        int mcMax = Balanced(m1 - m0, TTile.McMax, rows);
        int ncMax = Balanced(n1 - n0, TTile.NcMax, cols);

        GemmScratch scratch = GemmScratch.ForCurrentThread;
        float* packedA = scratch.A(mcMax / rows * TA.PanelStride(rows, kcMax));
        float* packedB = scratch.B(ncMax / cols * GemmPacking.PanelStride(cols, kcMax));

        for (int ic = m0; ic < m1; ic += mcMax)
        {
            int mc = Math.Min(mcMax, m1 - ic);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);

                // A is packed once per (row block, k block) and reused for every column block.
                TA.Pack<TV, TVec>(
                    packedA, args.A + (ic * args.ARowStride) + (pc * args.AKStride), args.ARowStride, args.AKStride, mc, rows, kc);

                // The first k block applies the caller's beta; later blocks accumulate onto it.
                float beta = pc == 0 ? args.Beta : 1f;
                for (int jc = n0; jc < n1; jc += ncMax)
                {
                    int nc = Math.Min(ncMax, n1 - jc);
                    float* sourceB = args.B + (pc * args.BKStride) + (jc * args.BColStride);

                    // B's columns contiguous on AVX-512 and AVX2: no separate packing pass, the first row micro-panel packs
                    // each B panel as it multiplies it (the last, partial panel is packed apart, just before its tile).
                    bool fuse = TTile.PacksWhileMultiplying && args.BColStride == 1;
                    if (!fuse)
                    {
                        GemmPacking.Panels<TV, TVec>(packedB, sourceB, args.BColStride, args.BKStride, nc, cols, kc);
                    }

                    for (int ir = 0; ir < mc; ir += rows)
                    {
                        float* a = packedA + (ir / rows * TA.PanelStride(rows, kc));
                        float* c = args.C + ((ic + ir) * args.Ldc) + jc;
                        int tileRows = Math.Min(rows, mc - ir);
                        for (int jr = 0; jr < nc; jr += cols)
                        {
                            float* panel = packedB + (jr / cols * GemmPacking.PanelStride(cols, kc));
                            if (fuse && ir == 0)
                            {
                                if (jr + cols <= nc)
                                {
                                    TTile.MultiplyPacking<TA>(kc, a, sourceB + jr, args.BKStride, panel, c + jr, args.Ldc, args.Alpha, beta, tileRows, cols);
                                    continue;
                                }

                                GemmPacking.Panels<TV, TVec>(panel, sourceB + jr, 1, args.BKStride, nc - jr, cols, kc);
                            }

                            TTile.Multiply<TA>(kc, a, panel, c + jr, args.Ldc, args.Alpha, beta, tileRows, Math.Min(cols, nc - jr));
                        }
                    }

                    if (pc + kc == k && !args.Epilogue.IsEmpty)
                    {
                        // The block's sums are complete and it is still in this thread's cache.
                        args.Epilogue.Apply(args.C, args.Ldc, ic, mc, jc, nc);
                    }
                }
            }
        }
    }

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;

    /// <summary>What each part of a threaded call needs: the call and how C is split.</summary>
    private struct Partition
    {
        public GemmArguments Args;
        public bool SplitRows;
        public int Tiles;
        public int Parts;
    }
}
