using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// GEMM without packing A: for small products, where packing and waking a worker cost more than the
/// arithmetic, for narrow ones (n within two vectors; any k when A is stored by rows, moderate k when transposed),
/// where a packed A panel would meet a single B panel and so would be packed for one use, and for one or two rows
/// (scoring), where packing B would cost more than reading it once.
/// </summary>
/// <remarks>
/// B is read in place when it is stored k×n (a ragged last column block is copied padded, so kernels load
/// whole vectors without reading past the matrix), or copied once as k×n when stored transposed. Large
/// narrow products (the convolution shapes, m in the tens of thousands) split their rows between threads;
/// each element is still summed in k order by one kernel call, so the split does not change the result.
/// </remarks>
internal static unsafe class GemmDirect
{
    // Up to this many multiply-adds (a 64×64×64 product) the packed driver's fixed costs dominate.
    private const double MaxSmallMultiplyAdds = 64 * 64 * 64;

    // A narrow product with A stored transposed reads six of A's columns a k step at a time, a stride of lda apart: up to
    // this k it beats packing A (past it, a one-thread TN 784×10×2048 took 2.3× the packed driver's time on Zen 3). With A
    // stored by rows the direct path wins at any k: the packed driver packs A once for a single panel of B, and with k up
    // to 50,000 (NN and NT, 64–2000 rows, 10–32 columns) the direct path took 0.4–0.9× its time on one thread and two
    // (the CNN's head, NN 64×10×1568, 0.54×), level only for NT 64×32×2000 on two threads (eighteenth session).
    private const int MaxNarrowK = 512;

    // Columns of a narrow product, on paths of 256 bits or more: A is read in place once per two vectors of columns, which
    // beats packing it up to two 512-bit or four 256-bit vectors (a one-thread NT 196×400×32, the CNN's second
    // convolution per image, went from 1.08–1.13× to 1.21–1.22× of OpenBLAS on Zen 3 when AVX2 took it directly).
    private const int MaxNarrowColumns = 32;

    private const int Rows = 6;

    // Up to this many rows, whole runs of eight vectors of B go through the one-row kernel: each row streams B again, which
    // beats the six-row kernel's short runs only while there are few rows.
    private const int MaxWideRows = 2;

    // Threads split rows here without packing anything, so a worker pays off on half the work the packed
    // driver needs (the 128×256×10 output layer of a training step runs on both cores).
    private const double MinMultiplyAddsPerThread = 128 * 1024;

    /// <summary>Whether the direct path is the faster one for this product on width <typeparamref name="TV"/>.</summary>
    public static bool IsPreferred<TV, TVec>(in GemmArguments args)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged =>
        args.MultiplyAdds <= MaxSmallMultiplyAdds
        || (args.N <= NarrowColumns<TV, TVec>() && (args.AKStride == 1 || args.K <= MaxNarrowK))
        || args.M <= MaxWideRows;

    /// <summary>The most columns a narrow product has on width <typeparamref name="TV"/>: 32, or two vectors on 128-bit and scalar paths (not measured wider).</summary>
    private static int NarrowColumns<TV, TVec>()
        where TV : IGemmVector<TVec>
        where TVec : unmanaged => TV.Lanes >= 8 ? MaxNarrowColumns : 2 * TV.Lanes;

    /// <summary>Computes the product described by <paramref name="args"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run<TV, TVec>(in GemmArguments args)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        var work = new Work { Args = args, B = args.B, Ldb = args.BKStride };
        if (args.BColStride != 1 && args.N > 1)
        {
            // B stored transposed: copy it once as k rows of n, zero-padded to whole vectors; every part reads it.
            int lanes = TV.Lanes;
            work.Ldb = Ceiling(args.N, lanes) * lanes;
            work.B = GemmScratch.ForCurrentThread.B(args.K * work.Ldb);
            work.Padded = true;
            GemmPacking.Panels<TV, TVec>(work.B, args.B, args.BColStride, args.BKStride, args.N, (int)work.Ldb, args.K);
        }

        int threads = args.MultiplyAdds <= MaxSmallMultiplyAdds ? 1
            : (int)Math.Clamp(args.MultiplyAdds / MinMultiplyAddsPerThread, 1, Math.Min(WorkerPool.AvailableThreads, Ceiling(args.M, Rows)));
        if (threads == 1)
        {
            RunRows<TV, TVec>(ref work, 0, args.M);
        }
        else
        {
            WorkerPool.Run(&RunPart<TV, TVec>, &work, threads);
        }
    }

    private static void RunPart<TV, TVec>(void* context, int part, int parts)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        ref Work work = ref Unsafe.AsRef<Work>(context);
        int blocks = Ceiling(work.Args.M, Rows);
        int first = (int)((long)blocks * part / parts), last = (int)((long)blocks * (part + 1) / parts);
        RunRows<TV, TVec>(ref work, first * Rows, Math.Min(work.Args.M, last * Rows));
    }

    /// <summary>Rows [i0, i1) of C, every column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void RunRows<TV, TVec>(ref Work work, int i0, int i1)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        ref GemmArguments args = ref work.Args;
        int lanes = TV.Lanes;
        int k = args.K;
        int j = 0;
        bool fewRows = i1 - i0 <= MaxWideRows;
        if (fewRows)
        {
            // One or two rows (scoring a row at a time): whole runs of eight vectors of each B row, then the rest as below.
            int wide = GemmDirectKernels.WideVectors * lanes;
            for (; j + wide <= args.N; j += wide)
            {
                for (int i = i0; i < i1; i++)
                {
                    GemmDirectKernels.Row1x8<TV, TVec>(k, args.A + (i * args.ARowStride), args.AKStride, work.B + j, work.Ldb, args.C + (i * args.Ldc) + j, args.Alpha, args.Beta);
                }
            }
        }

        for (; j < args.N; j += 2 * lanes)
        {
            int cols = Math.Min(2 * lanes, args.N - j);
            float* panel = work.B + j;

            // A ragged last block of B read in place loads its last vector masked (past n on B's last row may be past the
            // caller's span); a padded copy has whole vectors.
            bool ragged = cols % lanes != 0 && !work.Padded;
            if (ragged && fewRows)
            {
                // One or two rows: the one-row kernel (the six-row ones would compute rows that are not there).
                for (int i = i0; i < i1; i++)
                {
                    GemmDirectKernels.Row1Ragged<TV, TVec>(k, args.A + (i * args.ARowStride), args.AKStride, panel, work.Ldb, args.C + (i * args.Ldc) + j, args.Alpha, args.Beta, cols);
                }
            }
            else if (ragged)
            {
                ColumnBlock<TV, TVec, FirstLanes>(ref args, i0, i1, j, cols, panel, work.Ldb);
            }
            else
            {
                ColumnBlock<TV, TVec, WholeVector>(ref args, i0, i1, j, cols, panel, work.Ldb);
            }
        }

        if (!args.Epilogue.IsEmpty)
        {
            args.Epilogue.Apply(args.C, args.Ldc, i0, i1 - i0, 0, args.N);
        }
    }

    /// <summary>Rows [i0, i1) of C's columns [j, j + cols), up to two vectors, the last loaded through <typeparamref name="TLast"/>.</summary>
    /// <remarks>Inlined into <see cref="RunRows{TV, TVec}"/>, and optimized like it so no tiered body can inline the kernels.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ColumnBlock<TV, TVec, TLast>(ref GemmArguments args, int i0, int i1, int j, int cols, float* panel, nint stride)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TLast : IVectorLoad
    {
        for (int i = i0; i < i1; i += Rows)
        {
            float* a = args.A + (i * args.ARowStride);
            float* c = args.C + (i * args.Ldc) + j;
            int rows = Math.Min(Rows, i1 - i);
            if (cols <= TV.Lanes)
            {
                GemmDirectKernels.Rows6x1<TV, TVec, TLast>(args.K, a, args.ARowStride, args.AKStride, panel, stride, c, args.Ldc, args.Alpha, args.Beta, rows, cols);
            }
            else
            {
                GemmDirectKernels.Rows6x2<TV, TVec, TLast>(args.K, a, args.ARowStride, args.AKStride, panel, stride, c, args.Ldc, args.Alpha, args.Beta, rows, cols);
            }
        }
    }

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;

    /// <summary>The call and the B it reads (in place, or the padded copy), shared by the parts.</summary>
    private struct Work
    {
        public GemmArguments Args;
        public float* B;
        public nint Ldb;
        public bool Padded;
    }
}
