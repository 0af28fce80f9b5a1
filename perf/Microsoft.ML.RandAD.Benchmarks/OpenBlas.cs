using System.Runtime.InteropServices;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// The OpenBLAS baseline, called through <c>cblas_sgemm</c> from the system library (Debian's
/// <c>libopenblas0-pthread</c>, a DYNAMIC_ARCH build that picks its kernels from <c>OPENBLAS_CORETYPE</c>).
/// </summary>
internal static unsafe partial class OpenBlas
{
    /// <summary>The library file searched for (the Debian package's soname).</summary>
    public const string LibraryName = "libopenblas.so.0";

    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    /// <summary>Whether the library loads on this machine; when not, the OpenBLAS benchmarks are skipped.</summary>
    public static bool IsAvailable { get; } = NativeLibrary.TryLoad(LibraryName, out _);

    /// <summary>Sets the number of threads OpenBLAS uses for the following calls.</summary>
    public static void SetThreads(int threads) => openblas_set_num_threads(threads);

    /// <summary>The kernel family OpenBLAS chose at load time, e.g. <c>SkylakeX</c>.</summary>
    public static string CoreName => Marshal.PtrToStringAnsi(openblas_get_corename()) ?? "unknown";

    /// <summary>Row-major <c>C = alpha·op(A)·op(B) + beta·C</c>, same argument order as <c>Sgemm.Multiply</c>.</summary>
    public static void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        cblas_sgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    [LibraryImport(LibraryName)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(LibraryName)]
    private static partial void openblas_set_num_threads(int threads);

    [LibraryImport(LibraryName)]
    private static partial nint openblas_get_corename();
}
