using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The packed, cache-blocked, threaded GEMM: splits C between threads, then runs the classic five loops
/// (column block, k block, row micro-panel, column micro-panel, micro-kernel) on each part.
/// </summary>
/// <remarks>
/// <para>Loop order per part: for each column block jc (NC wide) and k block pc (KC deep), pack op(B) once into
/// an L2-resident block; then for each micro-panel of MR rows pack op(A) (it stays in L1) and sweep it over
/// every NR-wide panel of the B block.</para>
/// <para>Threads split C into disjoint rows or columns (whichever repeats less packing and wastes fewer tile
/// slots); each packs into its own buffers, so there is no synchronization inside a call. The k blocking
/// depends only on k and the path, and every element is summed in k order in one lane, so the result is
/// bit-identical for any thread count.</para>
/// </remarks>
internal static unsafe class GemmDriver
{
    // Below this many multiply-adds per thread, waking a worker costs more than it saves.
    private const double MinMultiplyAddsPerThread = 256 * 1024;

    // Time to pack one element relative to one multiply-add lane of the kernel (~28 lanes vs ~3 packed
    // elements per cycle): weighs the packing a split repeats on every thread.
    private const double PackCostInMultiplyAdds = 8;

    /// <summary>Computes the product described by <paramref name="args"/> with tile <typeparamref name="TTile"/>.</summary>
    public static void Run<TTile, TV, TVec>(in GemmArguments args)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int threads = (int)Math.Clamp(args.MultiplyAdds / MinMultiplyAddsPerThread, 1, KernelSettings.ThreadCount);
        if (threads == 1)
        {
            RunRegion<TTile, TV, TVec>(in args, 0, args.M, 0, args.N);
            return;
        }

        var work = new Partition { Args = args };
        ChooseSplit<TTile>(in args, threads, ref work);
        WorkerPool.Run(&RunPart<TTile, TV, TVec>, &work, work.Parts);
    }

    private static void ChooseSplit<TTile>(in GemmArguments args, int threads, ref Partition work)
        where TTile : IGemmTile
    {
        int tilesM = Ceiling(args.M, TTile.Rows);
        int tilesN = Ceiling(args.N, TTile.Cols);
        int partsM = Math.Min(threads, tilesM);
        int partsN = Math.Min(threads, tilesN);

        // Per-part time in multiply-add lanes: the padded tiles of the biggest part, plus the packing every
        // part repeats (all of B when rows are split, all of A once per column block when columns are).
        double k = args.K;
        double costM = (double)Ceiling(tilesM, partsM) * TTile.Rows * tilesN * TTile.Cols * k
            + (PackCostInMultiplyAdds * k * args.N)
            + (PackCostInMultiplyAdds * k * args.M / partsM * Ceiling(args.N, TTile.NcMax));
        double costN = (double)tilesM * TTile.Rows * Ceiling(tilesN, partsN) * TTile.Cols * k
            + (PackCostInMultiplyAdds * k * args.M * Ceiling(Ceiling(args.N, partsN), TTile.NcMax))
            + (PackCostInMultiplyAdds * k * args.N / partsN);

        work.SplitRows = costM <= costN;
        work.Parts = work.SplitRows ? partsM : partsN;
        work.Tiles = work.SplitRows ? tilesM : tilesN;
    }

    private static void RunPart<TTile, TV, TVec>(void* context, int part, int parts)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        ref Partition work = ref Unsafe.AsRef<Partition>(context);
        int first = (int)((long)work.Tiles * part / parts);
        int last = (int)((long)work.Tiles * (part + 1) / parts);
        ref GemmArguments args = ref work.Args;
        if (work.SplitRows)
        {
            RunRegion<TTile, TV, TVec>(in args, first * TTile.Rows, Math.Min(args.M, last * TTile.Rows), 0, args.N);
        }
        else
        {
            RunRegion<TTile, TV, TVec>(in args, 0, args.M, first * TTile.Cols, Math.Min(args.N, last * TTile.Cols));
        }
    }

    /// <summary>C[m0..m1, n0..n1) on the calling thread.</summary>
    private static void RunRegion<TTile, TV, TVec>(in GemmArguments args, int m0, int m1, int n0, int n1)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int rows = TTile.Rows, cols = TTile.Cols;
        int k = args.K;

        // Equal k blocks, so a k just above KC does not leave a sliver block that pays a full C update.
        int kBlocks = Ceiling(k, TTile.KcMax);
        int kcMax = Ceiling(k, kBlocks);
        int width = n1 - n0;
        int ncMax = Ceiling(Ceiling(width, Ceiling(width, TTile.NcMax)), cols) * cols;

        GemmScratch scratch = GemmScratch.ForCurrentThread;
        float* packedA = scratch.A((nint)rows * kcMax);
        float* packedB = scratch.B((nint)kcMax * ncMax);

        for (int jc = n0; jc < n1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                for (int jr = 0; jr < nc; jr += cols)
                {
                    GemmPacking.Panel<TV, TVec>(
                        packedB + ((nint)jr * kc), args.B + (pc * args.BKStride) + ((jc + jr) * args.BColStride),
                        args.BColStride, args.BKStride, Math.Min(cols, nc - jr), cols, kc);
                }

                // The first k block applies the caller's beta; later blocks accumulate onto it.
                float beta = pc == 0 ? args.Beta : 1f;
                for (int ir = m0; ir < m1; ir += rows)
                {
                    int tileRows = Math.Min(rows, m1 - ir);
                    GemmPacking.Panel<TV, TVec>(
                        packedA, args.A + (ir * args.ARowStride) + (pc * args.AKStride),
                        args.ARowStride, args.AKStride, tileRows, rows, kc);

                    float* c = args.C + (ir * args.Ldc) + jc;
                    for (int jr = 0; jr < nc; jr += cols)
                    {
                        TTile.Multiply(kc, packedA, packedB + ((nint)jr * kc), c + jr, args.Ldc, args.Alpha, beta, tileRows, Math.Min(cols, nc - jr));
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
