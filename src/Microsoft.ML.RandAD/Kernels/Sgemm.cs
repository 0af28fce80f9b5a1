namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// <c>C = alpha·op(A)·op(B) + beta·C</c>, where op(A) is m×k and op(B) is k×n.
/// </summary>
public static class Sgemm
{
    /// <summary>Computes <c>C = alpha·op(A)·op(B) + beta·C</c>.</summary>
    /// <param name="transposeA">Whether A is stored k×m (op(A) = Aᵀ) instead of m×k.</param>
    /// <param name="transposeB">Whether B is stored n×k (op(B) = Bᵀ) instead of k×n.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">B, row-major.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="beta">Scale of the existing C; when 0, C is overwritten (NaN in C does not propagate).</param>
    /// <param name="c">C, row-major m×n.</param>
    /// <param name="ldc">Row stride of C.</param>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // Reference implementation; the packed, vectorized, threaded one replaces it.
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float x = transposeA ? a[p * lda + i] : a[i * lda + p];
                    float y = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += x * y;
                }

                ref float cij = ref c[i * ldc + j];
                cij = beta == 0 ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }
}
