using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Threaded GEMM for products whose packed operands fit in a few MB (the layers of a training step): the
/// threads first pack all of A and B together, each a share of the panels, then multiply apart, each its
/// share of C, reading the panels every thread packed.
/// </summary>
/// <remarks>
/// <para>Splitting C alone (<see cref="GemmDriver"/>) makes each thread pack the whole operand it shares:
/// for 128×784×256 that is 100–200 K floats per thread, a quarter of its multiply time. Here nothing is packed
/// twice, at the price of a second dispatch to the worker pool (the barrier between the phases).</para>
/// <para>Same blocking, kernels and summation order as the per-part driver, so the results are the same bits.</para>
/// </remarks>
internal static unsafe class GemmSharedPanels
{
    /// <summary>Largest packed A plus packed B, in floats (4 MB), packed into one shared buffer.</summary>
    public const long MaxPackedFloats = 1L << 20;

    /// <summary>Whether the packed operands of <paramref name="args"/> fit the shared buffer.</summary>
    public static bool Fits<TTile>(in GemmArguments args)
        where TTile : IGemmTile =>
        ((long)RoundUp(args.M, TTile.Rows) + RoundUp(args.N, TTile.Cols)) * args.K <= MaxPackedFloats;

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
            PanelsA = Ceiling(args.M, TTile.Rows),
            PanelsB = Ceiling(args.N, TTile.Cols),
            SplitRows = splitRows,
        };
        work.BlockA = work.PanelsA * TA.PanelStride(TTile.Rows, kcMax);
        work.BlockB = work.PanelsB * GemmPacking.PanelStride(TTile.Cols, kcMax);
        int kBlocks = Ceiling(args.K, kcMax);
        GemmScratch scratch = GemmScratch.ForCurrentThread;
        work.PackedA = scratch.A(kBlocks * work.BlockA);
        work.PackedB = scratch.B(kBlocks * work.BlockB);

        WorkerPool.Run(&PackPart<TTile, TV, TVec, TA>, &work, threads);
        WorkerPool.Run(&MultiplyPart<TTile, TV, TVec, TA>, &work, Math.Min(threads, splitRows ? work.PanelsA : work.PanelsB));
    }

    /// <summary>Packs this part's share of the A panels and of the B panels, for every k block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPart<TTile, TV, TVec, TA>(void* context, int part, int parts)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel
    {
        ref Work work = ref Unsafe.AsRef<Work>(context);
        ref GemmArguments args = ref work.Args;
        int rows = TTile.Rows, cols = TTile.Cols;
        (int a0, int a1) = Share(work.PanelsA, part, parts);
        (int b0, int b1) = Share(work.PanelsB, part, parts);
        for (int pc = 0, block = 0; pc < args.K; pc += work.KcMax, block++)
        {
            int kc = Math.Min(work.KcMax, args.K - pc);
            int i = a0 * rows, j = b0 * cols;
            if (a1 > a0)
            {
                TA.Pack<TV, TVec>(
                    work.PackedA + (block * work.BlockA) + (a0 * TA.PanelStride(rows, kc)),
                    args.A + (i * args.ARowStride) + (pc * args.AKStride), args.ARowStride, args.AKStride,
                    Math.Min(args.M, a1 * rows) - i, rows, kc);
            }

            if (b1 > b0)
            {
                GemmPacking.Panels<TV, TVec>(
                    work.PackedB + (block * work.BlockB) + (b0 * GemmPacking.PanelStride(cols, kc)),
                    args.B + (pc * args.BKStride) + (j * args.BColStride), args.BColStride, args.BKStride,
                    Math.Min(args.N, b1 * cols) - j, cols, kc);
            }
        }
    }

    /// <summary>Multiplies this part's rows (or columns) of C from the shared panels, in the packed driver's loop order.</summary>
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
        (int a0, int a1) = work.SplitRows ? Share(work.PanelsA, part, parts) : (0, work.PanelsA);
        (int b0, int b1) = work.SplitRows ? (0, work.PanelsB) : Share(work.PanelsB, part, parts);
        int chunk = Math.Max(1, TTile.NcMax / cols);
        for (int pc = 0, block = 0; pc < args.K; pc += work.KcMax, block++)
        {
            int kc = Math.Min(work.KcMax, args.K - pc);
            nint strideA = TA.PanelStride(rows, kc), strideB = GemmPacking.PanelStride(cols, kc);
            float* blockA = work.PackedA + (block * work.BlockA), blockB = work.PackedB + (block * work.BlockB);
            float beta = pc == 0 ? args.Beta : 1f;

            // Column chunks of NC keep the B panels a row micro-panel sweeps over within L2.
            for (int jc = b0; jc < b1; jc += chunk)
            {
                int jEnd = Math.Min(b1, jc + chunk);
                for (int ip = a0; ip < a1; ip++)
                {
                    int i = ip * rows;
                    float* a = blockA + (ip * strideA);
                    float* c = args.C + (i * args.Ldc);
                    int tileRows = Math.Min(rows, args.M - i);
                    for (int jp = jc; jp < jEnd; jp++)
                    {
                        int j = jp * cols;
                        TTile.Multiply<TA>(kc, a, blockB + (jp * strideB), c + j, args.Ldc, args.Alpha, beta, tileRows, Math.Min(cols, args.N - j));
                    }
                }
            }
        }
    }

    private static (int First, int End) Share(int count, int part, int parts) =>
        ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;

    private static int RoundUp(int value, int unit) => Ceiling(value, unit) * unit;

    /// <summary>The call, the k blocking and where each k block's panels live.</summary>
    private struct Work
    {
        public GemmArguments Args;
        public int KcMax;
        public int PanelsA;
        public int PanelsB;
        public nint BlockA;
        public nint BlockB;
        public float* PackedA;
        public float* PackedB;
        public bool SplitRows;
    }
}
