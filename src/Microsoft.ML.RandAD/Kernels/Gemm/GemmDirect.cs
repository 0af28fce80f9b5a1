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
        float* b = args.B;
        nint ldb = args.BKStride;
        if (args.BColStride != 1 && args.N > 1)
        {
            // B stored transposed: turn it into a k×n row-major copy once, so rows load as vectors.
            b = GemmScratch.ForCurrentThread.B((nint)args.K * args.N);
            GemmPacking.Panels<TV, TVec>(b, args.B, args.BColStride, args.BKStride, args.N, args.N, args.K);
            ldb = args.N;
        }

        int lanes = TV.Lanes;
        for (int j = 0; j < args.N; j += 2 * lanes)
        {
            int cols = Math.Min(2 * lanes, args.N - j);
            if (cols <= lanes)
            {
                for (int i = 0; i < args.M; i += 8)
                {
                    Rows8x1<TV, TVec>(in args, b + j, ldb, i, j, cols);
                }
            }
            else
            {
                for (int i = 0; i < args.M; i += 6)
                {
                    Rows6x2<TV, TVec>(in args, b + j, ldb, i, j, cols);
                }
            }
        }
    }

    private static void Rows8x1<TV, TVec>(in GemmArguments args, float* b, nint ldb, int i, int j, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        float* a = args.A + (i * args.ARowStride);
        float* c = args.C + (i * args.Ldc) + j;
        int rows = Math.Min(8, args.M - i);
        if (cols == TV.Lanes)
        {
            GemmDirectKernels.Rows8x1<TV, TVec, GemmFullVector>(args.K, a, args.ARowStride, args.AKStride, b, ldb, c, args.Ldc, args.Alpha, args.Beta, rows, cols);
        }
        else
        {
            GemmDirectKernels.Rows8x1<TV, TVec, GemmPartialVector>(args.K, a, args.ARowStride, args.AKStride, b, ldb, c, args.Ldc, args.Alpha, args.Beta, rows, cols);
        }
    }

    private static void Rows6x2<TV, TVec>(in GemmArguments args, float* b, nint ldb, int i, int j, int cols)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        float* a = args.A + (i * args.ARowStride);
        float* c = args.C + (i * args.Ldc) + j;
        int rows = Math.Min(6, args.M - i);
        if (cols == 2 * TV.Lanes)
        {
            GemmDirectKernels.Rows6x2<TV, TVec, GemmFullVector>(args.K, a, args.ARowStride, args.AKStride, b, ldb, c, args.Ldc, args.Alpha, args.Beta, rows, cols);
        }
        else
        {
            GemmDirectKernels.Rows6x2<TV, TVec, GemmPartialVector>(args.K, a, args.ARowStride, args.AKStride, b, ldb, c, args.Ldc, args.Alpha, args.Beta, rows, cols);
        }
    }
}
