using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>The instruction-set width a kernel runs with.</summary>
public enum KernelPath
{
    /// <summary>Plain scalar code: the reference every vector path is tested against.</summary>
    Scalar = 0,

    /// <summary>128-bit vectors (SSE / NEON).</summary>
    Vector128 = 128,

    /// <summary>256-bit vectors (AVX2 + FMA).</summary>
    Vector256 = 256,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512 = 512,
}

/// <summary>
/// The one switch that selects which kernel path and how many threads the engine uses.
/// </summary>
/// <remarks>
/// Defaults come from the hardware, overridden by the environment variables
/// <c>RANDAD_KERNEL_PATH</c> (<c>scalar</c>, <c>128</c>, <c>256</c>, <c>512</c>) and <c>RANDAD_THREADS</c>.
/// Setting <see cref="Path"/> above what the processor supports throws, so a test that asks for a path
/// either gets it or fails loudly instead of silently testing another one.
/// </remarks>
public static class KernelSettings
{
    /// <summary>Environment variable that forces a kernel path: <c>scalar</c>, <c>128</c>, <c>256</c> or <c>512</c>.</summary>
    public const string PathVariable = "RANDAD_KERNEL_PATH";

    /// <summary>Environment variable that sets the number of threads the kernels use.</summary>
    public const string ThreadsVariable = "RANDAD_THREADS";

    private static KernelPath s_path = ReadPathFromEnvironment();
    private static int s_threads = ReadThreadsFromEnvironment();

    /// <summary>This thread's own thread count (<see cref="UseThreadsOnThisThread"/>), or 0 for the process-wide one.</summary>
    [ThreadStatic]
    private static int t_threads;

    /// <summary>The widest path this processor and runtime accelerate.</summary>
    /// <remarks>
    /// AVX-512 counts when the processor has it, even where the JIT reports
    /// <see cref="Vector512.IsHardwareAccelerated"/> as false: on Skylake-X and Cascade Lake the runtime
    /// prefers 256-bit vectors for <c>Vector&lt;T&gt;</c> (its <c>PreferredVectorBitWidth</c> default, a guard
    /// against the AVX-512 clock drop in mixed code), but <see cref="Vector512{T}"/> code still compiles to
    /// zmm instructions, and the GEMM that dominates training runs about twice as fast with them (measured on a
    /// Cascade Lake Xeon: ~100 GFLOP/s per core on the 512-bit path, ~50 on the 256-bit path).
    /// </remarks>
    public static KernelPath BestSupported { get; } = WidestSupported();

    /// <summary>The active kernel path. Every kernel reads it on each call.</summary>
    /// <exception cref="NotSupportedException">The processor does not accelerate the requested width.</exception>
    public static KernelPath Path
    {
        get => s_path;
        set
        {
            if (!IsSupported(value) && !(value == KernelPath.Vector512 && AllowEmulatedVector512))
            {
                throw new NotSupportedException($"Kernel path {value} is not accelerated on this processor; the widest is {BestSupported}.");
            }

            s_path = value;
        }
    }

    /// <summary>Number of threads parallel kernels split their work over (1 = the calling thread only).</summary>
    /// <remarks>
    /// Setting it changes the process-wide count. A trainer's <c>NumberOfThreads</c> option overrides it for that trainer's
    /// <c>Fit</c> only, on the thread that runs the fit; there the getter returns the option's count.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public static int ThreadCount
    {
        get => t_threads > 0 ? t_threads : s_threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            s_threads = value;
        }
    }

    /// <summary>Whether <paramref name="path"/> can be selected on this machine.</summary>
    /// <param name="path">The path to check.</param>
    /// <returns><see langword="true"/> when the path is accelerated (scalar always is).</returns>
    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Scalar => true,
        KernelPath.Vector128 => Vector128.IsHardwareAccelerated,
        KernelPath.Vector256 => Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported,
        KernelPath.Vector512 => System.Runtime.Intrinsics.X86.Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>All paths this machine supports, narrowest first.</summary>
    public static IReadOnlyList<KernelPath> SupportedPaths { get; } =
        Enum.GetValues<KernelPath>().Where(IsSupported).ToArray();

    /// <summary>
    /// Lets <see cref="KernelPath.Vector512"/> be selected on a processor without AVX-512, the kernels' AVX-512 instructions
    /// then running as software twins (<see cref="Avx512Ops"/>) and the rest of the 512-bit code as the runtime's
    /// two 256-bit halves. For tests only: the 512-bit kernels (what the issues' Zen 5 machine runs) are then checked on
    /// every machine, at a fraction of their speed.
    /// </summary>
    internal static bool AllowEmulatedVector512 { get; set; }

    /// <summary>Whether the 512-bit path is selected and runs as software, not AVX-512.</summary>
    internal static bool IsEmulating => s_path == KernelPath.Vector512 && !IsSupported(KernelPath.Vector512);

    /// <summary>
    /// <see cref="SupportedPaths"/>, plus <see cref="KernelPath.Vector512"/> where it is emulated
    /// (<see cref="AllowEmulatedVector512"/>).
    /// </summary>
    internal static IReadOnlyList<KernelPath> SelectablePaths =>
        AllowEmulatedVector512 && !IsSupported(KernelPath.Vector512) ? [.. SupportedPaths, KernelPath.Vector512] : SupportedPaths;

    /// <summary>
    /// Selects a path and a thread count until the returned scope is disposed, then restores the previous ones.
    /// </summary>
    /// <param name="path">The path to use.</param>
    /// <param name="threads">The thread count to use, or <see langword="null"/> to keep the current one.</param>
    /// <returns>A scope that restores the previous settings.</returns>
    public static IDisposable Use(KernelPath path, int? threads = null)
    {
        var scope = new Scope(s_path, s_threads);
        Path = path;
        if (threads is int t)
        {
            ThreadCount = t;
        }

        return scope;
    }

    /// <summary>
    /// Kernels called from this thread use <paramref name="threads"/> threads (when not null) until the returned scope is
    /// disposed, whatever the process-wide <see cref="ThreadCount"/>; other threads are not affected.
    /// </summary>
    internal static IDisposable UseThreadsOnThisThread(int? threads)
    {
        if (threads is int t)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(t, 1, nameof(threads));
        }

        var scope = new ThreadScope(t_threads);
        t_threads = threads ?? t_threads;
        return scope;
    }

    /// <summary>One line that says which kernels are active, e.g. <c>kernels: Vector512 (AVX-512F), 2 threads</c>.</summary>
    /// <returns>The description.</returns>
    public static string Describe()
    {
        string isa = s_path switch
        {
            KernelPath.Vector512 => IsEmulating ? "AVX-512F emulated in software" : "AVX-512F",
            KernelPath.Vector256 => "AVX2+FMA",
            KernelPath.Vector128 => "SSE/NEON",
            _ => "scalar",
        };
        string forced = Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } v ? $", forced by {PathVariable}={v}" : string.Empty;
        int threads = ThreadCount;
        return $"kernels: {s_path} ({isa}{forced}), best supported {BestSupported}, {threads} thread{(threads == 1 ? "" : "s")} of {Environment.ProcessorCount} processors";
    }

    private static KernelPath ReadPathFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(PathVariable)?.Trim().ToLowerInvariant();
        KernelPath best = WidestSupported();
        KernelPath requested = value switch
        {
            null or "" or "auto" => best,
            "scalar" or "0" => KernelPath.Scalar,
            "128" or "vector128" => KernelPath.Vector128,
            "256" or "vector256" or "avx2" => KernelPath.Vector256,
            "512" or "vector512" or "avx512" => KernelPath.Vector512,
            _ => throw new InvalidOperationException($"{PathVariable}='{value}' is not one of scalar, 128, 256, 512, auto."),
        };
        if (!IsSupported(requested))
        {
            throw new InvalidOperationException($"{PathVariable}={value} asks for {requested}, which this processor does not accelerate (widest: {best}).");
        }

        return requested;
    }

    private static KernelPath WidestSupported() =>
        IsSupported(KernelPath.Vector512) ? KernelPath.Vector512
        : IsSupported(KernelPath.Vector256) ? KernelPath.Vector256
        : IsSupported(KernelPath.Vector128) ? KernelPath.Vector128
        : KernelPath.Scalar;

    private static int ReadThreadsFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(ThreadsVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return Environment.ProcessorCount;
        }

        if (!int.TryParse(value, out int threads) || threads < 1)
        {
            throw new InvalidOperationException($"{ThreadsVariable}='{value}' must be a positive integer.");
        }

        return threads;
    }

    private sealed class Scope(KernelPath path, int threads) : IDisposable
    {
        public void Dispose()
        {
            s_path = path;
            s_threads = threads;
        }
    }

    private sealed class ThreadScope(int threads) : IDisposable
    {
        public void Dispose() => t_threads = threads;
    }
}
