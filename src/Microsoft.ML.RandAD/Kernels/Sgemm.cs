using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// <c>C = alpha·op(A)·op(B) + beta·C</c>, where op(A) is m×k and op(B) is k×n.
/// </summary>
/// <remarks>
/// <para>Runs on the path <see cref="KernelSettings.Path"/> selects at the time of the call, over up to
/// <see cref="KernelSettings.ThreadCount"/> threads. Small products run directly on the calling thread;
/// larger ones are packed into cache-sized panels and split between threads (see the Gemm folder).</para>
/// <para>Reproducible: for a given path, every element is summed over k in the same order whatever the
/// thread count or scheduling, so repeated calls give bit-identical results.</para>
/// <para>Follows BLAS conventions: when alpha is 0 or k is 0, A and B are not read; when beta is 0, C is
/// not read, so NaN or garbage in C does not propagate. Elements of C outside the m×n region (past n in a
/// row of stride ldc) are never written.</para>
/// </remarks>
public static class Sgemm
{
    /// <summary>When set, every call appends its shape (benchmarks use it to replay a training step's products).</summary>
    internal static List<GemmCall>? Trace { get; set; }

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
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or a leading dimension is shorter than its row.</exception>
    /// <exception cref="ArgumentException">A span is too short for the dimensions and leading dimension given.</exception>
    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, default, relu: false, default);

    /// <summary>
    /// <see cref="Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// followed by a Dense layer's epilogue on each part of C as its sums complete (<see cref="GemmEpilogue"/>): then
    /// <paramref name="bias"/> (n floats; empty for none) added to every row, <c>max(·, 0)</c> when <paramref name="relu"/>, and
    /// where <paramref name="reluOutput"/> is not empty (m rows of n, a ReLU's output) each element kept where that output is
    /// positive and multiplied by 0 elsewhere (the ReLU's input gradient).
    /// </summary>
    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static unsafe void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, bool relu, ReadOnlySpan<float> reluOutput) =>
        Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, reluOutput, default, default);

    /// <summary>
    /// The Dense layer's product with the epilogue of a ReLU that keeps a mask of its own (RAD, <see cref="GemmEpilogue"/>):
    /// forward, <paramref name="bias"/> added to every row, then <c>x &gt; 0 ? x : 0</c> with bit <c>i·n + j</c> of
    /// <paramref name="packMask"/> set to <c>x &gt; 0</c> (<see cref="BitMask.ReluForward"/>'s output and bits; n a multiple of 8,
    /// so no two threads write one byte); backward, each element of C kept where its bit in <paramref name="applyMask"/> is set
    /// and multiplied by 0 elsewhere (<see cref="BitMask.Apply"/> with a factor of 0).
    /// </summary>
    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static unsafe void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, Span<ulong> packMask, ReadOnlySpan<ulong> applyMask) =>
        Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu: false, default, packMask, applyMask);

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static unsafe void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, bool relu, ReadOnlySpan<float> reluOutput, Span<ulong> packMask, ReadOnlySpan<ulong> applyMask)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckMatrix(a.Length, transposeA ? k : m, transposeA ? m : k, lda, nameof(a), nameof(lda));
        CheckMatrix(b.Length, transposeB ? n : k, transposeB ? k : n, ldb, nameof(b), nameof(ldb));
        CheckMatrix(c.Length, m, n, ldc, nameof(c), nameof(ldc));
        if (!bias.IsEmpty && bias.Length < n)
        {
            throw new ArgumentException($"bias has {bias.Length} values; {n} columns need {n}.", nameof(bias));
        }

        if (!reluOutput.IsEmpty)
        {
            CheckMatrix(reluOutput.Length, m, n, n, nameof(reluOutput), nameof(n));
        }

        if (!packMask.IsEmpty && (n % 8 != 0 || packMask.Length < BitMask.WordCount(m * n)))
        {
            throw new ArgumentException($"A mask packed by the product needs rows of whole bytes (n = {n}) and {BitMask.WordCount(m * n)} words; got {packMask.Length}.", nameof(packMask));
        }

        if (!applyMask.IsEmpty && applyMask.Length < BitMask.WordCount(m * n))
        {
            throw new ArgumentException($"The mask has {applyMask.Length} words; {m}×{n} elements need {BitMask.WordCount(m * n)}.", nameof(applyMask));
        }

        Trace?.Add(new GemmCall(transposeA, transposeB, m, n, k));
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c, pBias = bias, pReluOutput = reluOutput)
        fixed (ulong* pPack = packMask, pApply = applyMask)
        {
            var epilogue = pPack != null || pApply != null
                ? new GemmEpilogue(pBias, (byte*)pPack, (byte*)pApply, n)
                : new GemmEpilogue(pBias, relu, pReluOutput, n);
            if (k == 0 || alpha == 0)
            {
                ScaleC(m, n, beta, c, ldc);
                if (!epilogue.IsEmpty)
                {
                    epilogue.Apply(pc, ldc, 0, m, 0, n);
                }

                return;
            }

            var args = new GemmArguments
            {
                A = pa,
                ARowStride = transposeA ? 1 : lda,
                AKStride = transposeA ? lda : 1,
                B = pb,
                BKStride = transposeB ? 1 : ldb,
                BColStride = transposeB ? ldb : 1,
                C = pc,
                Ldc = ldc,
                M = m,
                N = n,
                K = k,
                Alpha = alpha,
                Beta = beta,
                Epilogue = epilogue,
            };
            Run(in args);
        }
    }

    private static void Run(in GemmArguments args)
    {
        switch (KernelSettings.Path)
        {
            case KernelPath.Vector512:
                Run<GemmTile512, GemmVector512, Vector512<float>>(in args);
                break;
            case KernelPath.Vector256:
                Run<GemmTile256, GemmVector256, Vector256<float>>(in args);
                break;
            case KernelPath.Vector128:
                Run<GemmTile128, GemmVector128, Vector128<float>>(in args);
                break;
            default:
                Run<GemmTileScalar, GemmScalar, float>(in args);
                break;
        }
    }

    private static void Run<TTile, TV, TVec>(in GemmArguments args)
        where TTile : IGemmTile
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        if (GemmDirect.IsPreferred<TV, TVec>(in args))
        {
            GemmDirect.Run<TV, TVec>(in args);
        }
        else
        {
            GemmDriver.Run<TTile, TV, TVec>(in args);
        }
    }

    /// <summary>C = beta·C, the whole product when alpha or k is 0 (beta 0 clears, so NaN does not survive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0)
            {
                row.Clear();
            }
            else if (beta != 1)
            {
                TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    private static void CheckMatrix(int length, int rows, int cols, int ld, string name, string ldName)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentOutOfRangeException(ldName, ld, $"{ldName} must be at least max(1, {cols}), the length of a stored row.");
        }

        long needed = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
        if (length < needed)
        {
            throw new ArgumentException($"{name} holds {length} floats; a {rows}×{cols} matrix with leading dimension {ld} needs {needed}.", name);
        }
    }
}
