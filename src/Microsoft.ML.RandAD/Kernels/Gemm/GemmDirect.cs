using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// GEMM for small products, on the calling thread without packing: for them, packing panels and waking a
/// worker would cost more than the arithmetic.
/// </summary>
internal static unsafe class GemmDirect
{
    // Up to this many multiply-adds (a 48×48×48 product) the packed driver's fixed costs dominate.
    private const double MaxMultiplyAdds = 48 * 48 * 48;

    /// <summary>Whether the direct path is the faster one for this product.</summary>
    public static bool IsPreferred(in GemmArguments args) => args.MultiplyAdds <= MaxMultiplyAdds;

    /// <summary>Computes the product described by <paramref name="args"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TVec>(in GemmArguments args)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int lanes = TV.Lanes;
        int n = args.N, k = args.K;
        float* b = args.B;
        nint ldb = args.BKStride;
        bool padded = false;
        GemmScratch scratch = GemmScratch.ForCurrentThread;
        if (args.BColStride != 1 && n > 1)
        {
            // B stored transposed: copy it once as k rows of n, padded with zeros to whole vectors.
            ldb = Ceiling(n, lanes) * lanes;
            b = scratch.B(k * ldb);
            GemmPacking.Panels<TV, TVec>(b, args.B, args.BColStride, args.BKStride, n, (int)ldb, k);
            padded = true;
        }

        for (int j = 0; j < n; j += 2 * lanes)
        {
            int cols = Math.Min(2 * lanes, n - j);
            float* panel = b + j;
            nint stride = ldb;
            if (cols % lanes != 0 && !padded)
            {
                // A ragged last block of B read in place: copy it padded, so the kernels load whole vectors
                // and never read past the matrix (past n on B's last row may be past the caller's span).
                stride = Ceiling(cols, lanes) * lanes;
                panel = scratch.A(k * stride);
                GemmPacking.Panels<TV, TVec>(panel, b + j, 1, ldb, cols, (int)stride, k);
            }

            float* c = args.C + j;
            for (int i = 0; i < args.M; i += 6)
            {
                float* a = args.A + (i * args.ARowStride);
                int rows = Math.Min(6, args.M - i);
                if (cols <= lanes)
                {
                    GemmDirectKernels.Rows6x1<TV, TVec>(k, a, args.ARowStride, args.AKStride, panel, stride, c + (i * args.Ldc), args.Ldc, args.Alpha, args.Beta, rows, cols);
                }
                else
                {
                    GemmDirectKernels.Rows6x2<TV, TVec>(k, a, args.ARowStride, args.AKStride, panel, stride, c + (i * args.Ldc), args.Ldc, args.Alpha, args.Beta, rows, cols);
                }
            }
        }
    }

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;
}
