using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>
/// One SGEMM call to check: shapes, transposes, scalars and padded leading dimensions, with seeded inputs
/// and a double-precision reference computed once and shared by every path and thread count.
/// </summary>
/// <remarks>
/// Error measure, per element: <c>|c − ref| / (|alpha|·Σ_p |a_ip·b_pj| + |beta·c0_ij|)</c>, the error relative
/// to the magnitude of the terms summed. A float sum of k terms is off by up to about k·2⁻²⁴ of that
/// magnitude in the worst case and √k·2⁻²⁴ typically, so 1e-5 holds with margin for k ≤ ~1000 while a
/// dropped, duplicated or misplaced term (an error of order one term) fails at once.
/// </remarks>
internal sealed record GemmCase(bool TransposeA, bool TransposeB, int M, int N, int K, float Alpha, float Beta, int PadA = 0, int PadB = 0, int PadC = 0)
{
    /// <summary>Value in C outside the m×n region; it must survive the call bit for bit.</summary>
    public const float Sentinel = -7.25e6f;

    /// <summary>Slots after C's last element that must also stay untouched.</summary>
    public const int Guard = 37;

    private Data? _data;

    public int Lda => Math.Max(1, TransposeA ? M : K) + PadA;

    public int Ldb => Math.Max(1, TransposeB ? K : N) + PadB;

    public int Ldc => Math.Max(1, N) + PadC;

    public override string ToString() =>
        $"{(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')} m={M} n={N} k={K} alpha={Alpha} beta={Beta} lda={Lda} ldb={Ldb} ldc={Ldc}";

    /// <summary>Runs the case with the current kernel settings; returns C including padding and guard.</summary>
    public float[] Run()
    {
        Data d = GetData();
        float[] c = (float[])d.C0.Clone();
        Sgemm.Multiply(TransposeA, TransposeB, M, N, K, Alpha, d.A, Lda, d.B, Ldb, Beta, c.AsSpan(0, c.Length - Guard), Ldc);
        return c;
    }

    /// <summary>Checks a result from <see cref="Run"/> against the reference and the untouched slots.</summary>
    /// <returns>The largest normalized error over the m×n region.</returns>
    public double Check(float[] c, string context)
    {
        Data d = GetData();
        double worst = 0;
        for (int idx = 0; idx < c.Length; idx++)
        {
            int i = idx / Ldc, j = idx % Ldc;
            if (i < M && j < N)
            {
                double scale = d.Scale[(i * N) + j];
                double error = Math.Abs(c[idx] - d.Reference[(i * N) + j]);
                double relative = scale > 0 ? error / scale : error;
                if (!(relative <= 1e-5))
                {
                    Assert.Fail($"{context}: {this}: C[{i},{j}] = {c[idx]}, reference {d.Reference[(i * N) + j]}, error {relative:E2} of the term magnitude {scale:E2}.");
                }

                worst = Math.Max(worst, relative);
            }
            else if (BitConverter.SingleToInt32Bits(c[idx]) != BitConverter.SingleToInt32Bits(Sentinel))
            {
                Assert.Fail($"{context}: {this}: slot {idx} (row {i}, column {j}) outside the m×n region was written: {c[idx]}.");
            }
        }

        return worst;
    }

    private Data GetData()
    {
        lock (this)
        {
            return _data ??= new Data(this);
        }
    }

    private sealed class Data
    {
        public Data(GemmCase g)
        {
            var random = new Random(HashCode.Combine(g.M, g.N, g.K, g.TransposeA, g.TransposeB, g.PadA, g.Beta));
            int aRows = g.TransposeA ? g.K : g.M, bRows = g.TransposeB ? g.N : g.K;
            A = Fill(random, aRows == 0 ? 0 : ((aRows - 1) * g.Lda) + (g.TransposeA ? g.M : g.K), g.Lda, g.TransposeA ? g.M : g.K);
            B = Fill(random, bRows == 0 ? 0 : ((bRows - 1) * g.Ldb) + (g.TransposeB ? g.K : g.N), g.Ldb, g.TransposeB ? g.K : g.N);

            // C: the caller's values in the region (NaN when beta is 0, which must not leak), the sentinel elsewhere.
            C0 = new float[(g.M == 0 ? 0 : ((g.M - 1) * g.Ldc) + g.N) + Guard];
            Array.Fill(C0, Sentinel);
            for (int i = 0; i < g.M; i++)
            {
                for (int j = 0; j < g.N; j++)
                {
                    C0[(i * g.Ldc) + j] = g.Beta == 0 ? float.NaN : (float)((random.NextDouble() * 2) - 1);
                }
            }

            Reference = new double[g.M * g.N];
            Scale = new double[g.M * g.N];
            var sum = new double[g.N];
            var magnitude = new double[g.N];
            for (int i = 0; i < g.M; i++)
            {
                Array.Clear(sum);
                Array.Clear(magnitude);
                for (int p = 0; p < g.K; p++)
                {
                    double x = A[g.TransposeA ? (p * g.Lda) + i : (i * g.Lda) + p];
                    for (int j = 0; j < g.N; j++)
                    {
                        double y = B[g.TransposeB ? (j * g.Ldb) + p : (p * g.Ldb) + j];
                        sum[j] += x * y;
                        magnitude[j] += Math.Abs(x * y);
                    }
                }

                for (int j = 0; j < g.N; j++)
                {
                    double c0 = g.Beta == 0 ? 0 : C0[(i * g.Ldc) + j];
                    Reference[(i * g.N) + j] = (g.Alpha * sum[j]) + (g.Beta * c0);
                    Scale[(i * g.N) + j] = (Math.Abs(g.Alpha) * magnitude[j]) + Math.Abs(g.Beta * c0);
                }
            }
        }

        public float[] A { get; }

        public float[] B { get; }

        public float[] C0 { get; }

        public double[] Reference { get; }

        public double[] Scale { get; }

        // Row padding holds NaN: a kernel that reads past a row's end poisons its result.
        private static float[] Fill(Random random, int length, int ld, int rowLength)
        {
            var values = new float[length];
            for (int idx = 0; idx < length; idx++)
            {
                values[idx] = idx % ld < rowLength ? (float)((random.NextDouble() * 2) - 1) : float.NaN;
            }

            return values;
        }
    }
}
