using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// <c>gemm-ceiling</c>: where one thread's 1024³ time goes. Each round measures, one after the other, the FMA peak, the
/// 12×32 micro-kernel on cache-resident panels, one (k block, column block) of the 1024³ driver without its packing (A
/// micro-panels fixed or walking a 1.4 MB packed block, C a small tile row or the 1024-wide matrix), the packing passes
/// alone, a 4 MB copy, and the whole product, ours and OpenBLAS's; the table gives the median and best over the rounds.
/// </summary>
/// <remarks>
/// Run: <c>OPENBLAS_CORETYPE=SkylakeX dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- gemm-ceiling
/// [--rounds 11]</c>. The blocking mirrors the driver's for 1024³ on AVX-512 (k blocks of 342, column blocks of 352 = 11
/// panels of 32, row micro-panels of 12); the probes read stale buffers, so only their timings mean anything.
/// </remarks>
internal static unsafe class GemmCeiling
{
    private const int N = 1024;
    private const int Kc = 342;
    private const int Panels = 11;
    private const int MicroPanels = 85;

    public static int Run(string[] args)
    {
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 11;
        if (!Avx512F.IsSupported)
        {
            Console.WriteLine("gemm-ceiling probes the AVX-512 kernel; this machine has no AVX-512F.");
            return 1;
        }

        KernelSettings.ThreadCount = 1;
        bool openBlas = OpenBlas.IsAvailable;
        if (openBlas)
        {
            OpenBlas.SetThreads(1);
        }

        var buffers = new List<nint>();
        float* Allocate(long floats, int seed)
        {
            float* p = GemmBenchmarkBase.Allocate(floats, seed);
            buffers.Add((nint)p);
            return p;
        }

        float* panelA = Allocate(12 * GemmRowsA.RowStride, 1);
        float* blockB = Allocate(Panels * GemmPacking.PanelStride(32, Kc), 2);
        float* tileRow = Allocate(12 * Panels * 32, 3);
        float* a = Allocate(N * N, 4), b = Allocate(N * N, 5), c = Allocate(N * N, 6), copy = Allocate(N * N, 7);
        float* packedA = Allocate((MicroPanels + 1) * 12 * GemmRowsA.RowStride, 8);
        try
        {
            const double MatrixBytes = 4.0 * N * N;
            const double BlockFlops = 2.0 * 12 * 32 * Panels * Kc * MicroPanels;
            var probes = new List<(string Name, string Unit, Func<double> Measure)>
            {
                ("FMA peak (12 register chains)", "GFLOP/s", () => 20_000_000.0 * FmaThroughput.Chains * 32 / Seconds(() => FmaThroughput.Run512(20_000_000))),
                ("12×32 kernel, A micro-panel and L2 block fixed", "GFLOP/s", () => BlockFlops / Seconds(() => Block(panelA, 0, blockB, tileRow, 0))),
                ("driver block, A walking the packed block", "GFLOP/s", () => BlockFlops / Seconds(() => Block(packedA, 12 * GemmRowsA.RowStride, blockB, tileRow, 0))),
                ("driver block, C rows of the 1024-wide matrix", "GFLOP/s", () => BlockFlops / Seconds(() => Block(panelA, 0, blockB, c, 12 * N))),
                ("driver block, both (no packing)", "GFLOP/s", () => BlockFlops / Seconds(() => Block(packedA, 12 * GemmRowsA.RowStride, blockB, c, 12 * N))),
                ("pack B (9 blocks of 1024³)", "GB/s of source", () => MatrixBytes / Seconds(() => PackB(b, blockB))),
                ("pack A (3 blocks of 1024³)", "GB/s of source", () => MatrixBytes / Seconds(() => PackA(a, packedA))),
                ("memcpy 4 MB", "GB/s of source", () => MatrixBytes / Seconds(() => Buffer.MemoryCopy(a, copy, 4L * N * N, 4L * N * N))),
                ("RandAD 1024³", "GFLOP/s", () => 2.0 * N * N * N / Seconds(() => Sgemm.Multiply(false, false, N, N, N, 1f, new ReadOnlySpan<float>(a, N * N), N, new ReadOnlySpan<float>(b, N * N), N, 0f, new Span<float>(c, N * N), N))),
            };
            if (openBlas)
            {
                probes.Add(("OpenBLAS 1024³", "GFLOP/s", () => 2.0 * N * N * N / Seconds(() => OpenBlas.Sgemm(false, false, N, N, N, 1f, a, N, b, N, 0f, c, N))));
            }

            var results = probes.Select(_ => new double[rounds]).ToArray();
            foreach (var probe in probes)
            {
                probe.Measure();
            }

            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < probes.Count; i++)
                {
                    results[i][round] = probes[i].Measure() / 1e9;
                }
            }

            Console.WriteLine($"{KernelSettings.Describe()}; 1 thread; {rounds} rounds");
            Console.WriteLine("| probe | unit | median | best |");
            Console.WriteLine("|---|---|---|---|");
            for (int i = 0; i < probes.Count; i++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {probes[i].Name} | {probes[i].Unit} | {Stats.Median(results[i]):F1} | {results[i].Max():F1} |"));
            }

            return 0;
        }
        finally
        {
            foreach (nint p in buffers)
            {
                NativeMemory.AlignedFree((void*)p);
            }
        }
    }

    // Seconds for one call of a probe that takes a few milliseconds or more.
    private static double Seconds(Action action) => PairedRounds.Seconds(action, 1);

    // The driver's inner two loops for one (k block, column block): each A micro-panel against the 11 panels of the L2 block.
    private static void Block(float* a, nint aStep, float* b, float* c, nint cStep)
    {
        nint ldc = cStep == 0 ? Panels * 32 : N;
        for (int ir = 0; ir < MicroPanels; ir++, a += aStep, c += cStep)
        {
            for (int jr = 0; jr < Panels; jr++)
            {
                GemmMicroKernels.Tile12x2<GemmVector512, Vector512<float>, GemmRowsA>(
                    Kc, a, b + (jr * GemmPacking.PanelStride(32, Kc)), c + (jr * 32), ldc, 1f, 1f, 12, 32);
            }
        }
    }

    // The B packing of a whole 1024³ product: 3 k blocks × 3 column blocks (352, 352, 320 wide).
    private static void PackB(float* b, float* packed)
    {
        for (int pc = 0; pc < N; pc += Kc)
        {
            for (int jc = 0; jc < N; jc += 352)
            {
                GemmPacking.Panels<GemmVector512, Vector512<float>>(packed, b + (pc * N) + jc, 1, N, Math.Min(352, N - jc), 32, Math.Min(Kc, N - pc));
            }
        }
    }

    // The A packing of a whole 1024³ product: 3 k blocks of all 1024 rows.
    private static void PackA(float* a, float* packed)
    {
        for (int pc = 0; pc < N; pc += Kc)
        {
            GemmRowsA.Pack<GemmVector512, Vector512<float>>(packed, a + pc, N, 1, N, 12, Math.Min(Kc, N - pc));
        }
    }
}
