using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>adam-alignment</c>: the Adam update of the MLP's 269,322 parameters over arrays whose data starts on a 64-byte
/// boundary against the same update over arrays shifted by 8, 24 and 40 bytes (where .NET places a large array's data: its
/// header is 16 bytes on an 8-byte-aligned object, and the engine's parameter, gradient and moment arrays were seen at 24
/// and 56 mod 64). On AVX2 a shifted 32-byte load crosses a cache line every other time; on AVX-512 every 64-byte one does.
/// The four streams lie the same distance apart in both layouts (a whole number of pages plus 1 KB), so only the alignment
/// differs. Calls alternate, and the ratio is shifted / aligned per pair (median and quartiles of 300 pairs).
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks -- adam-alignment [--threads 2] [--flush]</c>
/// (<c>--flush</c>: a 64 MB write before each call, so the state comes from memory as it does in a training step).
/// </remarks>
internal static unsafe class AdamAlignment
{
    private const int Parameters = 269_322;

    public static int Run(string[] args)
    {
        int threads = 2;
        bool flush = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads" when i + 1 < args.Length:
                    threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--flush":
                    flush = true;
                    break;
                default:
                    Console.WriteLine($"unknown option {args[i]} (--threads N, --flush)");
                    return 1;
            }
        }

        KernelSettings.ThreadCount = threads;
        nint stride = ((Parameters * sizeof(float) / 4096) + 1) * 4096 + 1024;
        byte* aligned = (byte*)NativeMemory.AlignedAlloc((nuint)((stride * 4) + 4096), 4096);
        byte* shifted = (byte*)NativeMemory.AlignedAlloc((nuint)((stride * 4) + 4096), 4096);
        byte[] flushBuffer = flush ? new byte[64 << 20] : [];
        try
        {
            Console.WriteLine($"{KernelSettings.Describe()}; {Parameters:N0} parameters{(flush ? ", state flushed from the cache before each call" : string.Empty)}");
            foreach (int shift in new[] { 8, 24, 40 })
            {
                Fill(aligned, stride, 0);
                Fill(shifted, stride, shift);
                var ratios = new List<double>();
                for (int pair = 0; pair < 300; pair++)
                {
                    double alignedSeconds = Time(aligned, stride, 0, flushBuffer, pair);
                    double shiftedSeconds = Time(shifted, stride, shift, flushBuffer, pair);
                    ratios.Add(shiftedSeconds / alignedSeconds);
                }

                ratios.Sort();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"data {shift} bytes past a 64-byte boundary / on it: median {ratios[ratios.Count / 2]:F3} (quartiles {ratios[ratios.Count / 4]:F3}, {ratios[3 * ratios.Count / 4]:F3})"));
            }
        }
        finally
        {
            NativeMemory.AlignedFree(aligned);
            NativeMemory.AlignedFree(shifted);
        }

        return 0;
    }

    private static Span<float> Stream(byte* start, nint stride, int index, int shift) => new((float*)(start + (index * stride) + shift), Parameters);

    private static void Fill(byte* start, nint stride, int shift)
    {
        for (int i = 0; i < 4; i++)
        {
            Stream(start, stride, i, shift).Fill(i == 1 ? 0.01f : 0.5f); // weights, gradients, first and second moments
        }
    }

    private static double Time(byte* start, nint stride, int shift, byte[] flushBuffer, int pair)
    {
        flushBuffer.AsSpan().Fill((byte)pair);
        long begin = Stopwatch.GetTimestamp();
        OptimizerKernels.Adam(
            Stream(start, stride, 0, shift), Stream(start, stride, 1, shift), Stream(start, stride, 2, shift), Stream(start, stride, 3, shift),
            step: 1e-3f, correction: 1f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f, l2: 0f, decay: 0f);
        return Stopwatch.GetElapsedTime(begin).TotalSeconds;
    }
}
