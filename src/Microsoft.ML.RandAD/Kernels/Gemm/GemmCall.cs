namespace Microsoft.ML.RandAD.Kernels;

/// <summary>One product's shape: op(A) is M×K, op(B) is K×N.</summary>
/// <param name="TransposeA">Whether A is stored transposed.</param>
/// <param name="TransposeB">Whether B is stored transposed.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
internal readonly record struct GemmCall(bool TransposeA, bool TransposeB, int M, int N, int K)
{
    /// <summary>Floating-point operations: 2·M·N·K.</summary>
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => $"{(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')} {M}×{N}×{K}";
}
