namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// One GEMM call with the transposes folded into strides: element (i, p) of op(A) is
/// <c>A[i·ARowStride + p·AKStride]</c> and element (p, j) of op(B) is <c>B[p·BKStride + j·BColStride]</c>.
/// </summary>
internal unsafe struct GemmArguments
{
    public float* A;
    public nint ARowStride;
    public nint AKStride;
    public float* B;
    public nint BKStride;
    public nint BColStride;
    public float* C;
    public nint Ldc;
    public int M;
    public int N;
    public int K;
    public float Alpha;
    public float Beta;

    /// <summary>What happens to each part of C once its sums are complete (nothing by default).</summary>
    public GemmEpilogue Epilogue;

    /// <summary>Multiply-adds in the product, as a double so 1000³-sized products do not overflow.</summary>
    public readonly double MultiplyAdds => (double)M * N * K;
}
