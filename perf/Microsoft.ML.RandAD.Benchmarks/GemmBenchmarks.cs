using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// How fast is our SGEMM against OpenBLAS on the dense-layer shapes of a training step and on 1024³,
/// with 1 and 2 threads? Both run in the same session on the same buffers; the GFLOP/s column is 2·M·N·K
/// over the mean time.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- --filter '*GemmBenchmarks*'</c>.
/// The job sets <c>OPENBLAS_CORETYPE=SkylakeX</c> in each benchmark process (see <see cref="GemmBenchmarkConfig"/>).
/// </remarks>
[Config(typeof(GemmBenchmarkConfig))]
public class GemmBenchmarks : GemmBenchmarkBase
{
    /// <summary>(M, K, N): forward of the 784-256-256 MLP layers at batch 128 and 256, and 1024³.</summary>
    public override IEnumerable<GemmShape> Shapes =>
    [
        new(128, 784, 256),
        new(128, 256, 256),
        new(256, 784, 128),
        new(1024, 1024, 1024),
    ];
}

/// <summary>
/// The other products of a training step: the narrow output layer, the backward products of the dense layers
/// (dW = Xᵀ·dY is TN, dX = dY·Wᵀ is NT) and the convolution products (im2col · Wᵀ forward, colsᵀ · dY for dW).
/// </summary>
[Config(typeof(GemmBenchmarkConfig))]
public class GemmTrainingShapeBenchmarks : GemmBenchmarkBase
{
    /// <summary>The shapes, (M, K, N) and the transposes.</summary>
    public override IEnumerable<GemmShape> Shapes =>
    [
        new(128, 256, 10),
        new(784, 128, 256, TransposeA: true),
        new(128, 256, 784, TransposeB: true),
        new(100352, 25, 16, TransposeB: true),
        new(25088, 400, 32, TransposeB: true),
        new(400, 25088, 32, TransposeA: true),
    ];
}

/// <summary>One product to benchmark: op(A) is M×K, op(B) is K×N, row-major, leading dimensions tight.</summary>
/// <param name="M">Rows of C.</param>
/// <param name="K">The summed dimension.</param>
/// <param name="N">Columns of C.</param>
/// <param name="TransposeA">A stored K×M.</param>
/// <param name="TransposeB">B stored N×K.</param>
public sealed record GemmShape(int M, int K, int N, bool TransposeA = false, bool TransposeB = false)
{
    /// <summary>Floating-point operations of one product, 2·M·N·K.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Shown in the Shape column, e.g. <c>NT 128x256x784</c> (M×K×N).</summary>
    public override string ToString() => $"{(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')} {M}x{K}x{N}";
}

/// <summary>Buffers, thread settings and the two competitors; a derived class supplies the shapes.</summary>
[MemoryDiagnoser]
public abstract unsafe class GemmBenchmarkBase
{
    private float* _a;
    private float* _b;
    private float* _c;

    /// <summary>The shapes to sweep.</summary>
    public abstract IEnumerable<GemmShape> Shapes { get; }

    /// <summary>The product measured.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = new(1, 1, 1);

    /// <summary>Threads given to both libraries.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private int Lda => Shape.TransposeA ? Shape.M : Shape.K;

    private int Ldb => Shape.TransposeB ? Shape.K : Shape.N;

    /// <summary>Allocates aligned buffers with values in [-1, 1) and applies the thread count.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _a = Allocate((long)Shape.M * Shape.K, seed: 1);
        _b = Allocate((long)Shape.K * Shape.N, seed: 2);
        _c = Allocate((long)Shape.M * Shape.N, seed: 3);
        KernelSettings.ThreadCount = Threads;
        if (OpenBlas.IsAvailable)
        {
            OpenBlas.SetThreads(Threads);
            Console.WriteLine($"// OpenBLAS core: {OpenBlas.CoreName}; {KernelSettings.Describe()}");
        }
    }

    /// <summary>Frees the buffers.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
    }

    /// <summary>OpenBLAS <c>cblas_sgemm</c>, the baseline.</summary>
    [Benchmark(Baseline = true)]
    public void OpenBLAS() =>
        OpenBlas.Sgemm(Shape.TransposeA, Shape.TransposeB, Shape.M, Shape.N, Shape.K, 1f, _a, Lda, _b, Ldb, 0f, _c, Shape.N);

    /// <summary>Our <see cref="Sgemm.Multiply"/> on the default (widest) kernel path.</summary>
    [Benchmark]
    public void RandAD() =>
        Sgemm.Multiply(
            Shape.TransposeA, Shape.TransposeB, Shape.M, Shape.N, Shape.K, 1f,
            new ReadOnlySpan<float>(_a, Shape.M * Shape.K), Lda,
            new ReadOnlySpan<float>(_b, Shape.K * Shape.N), Ldb,
            0f, new Span<float>(_c, Shape.M * Shape.N), Shape.N);

    /// <summary>64-byte aligned native floats, uniform in [−1, 1) from <paramref name="seed"/>; free with <c>NativeMemory.AlignedFree</c>.</summary>
    internal static float* Allocate(long count, int seed)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
        var random = new Random(seed);
        for (long i = 0; i < count; i++)
        {
            p[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return p;
    }
}
