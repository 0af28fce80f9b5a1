using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// ReLU / LeakyReLU backward from the layer's output instead of its 1-bit mask (and the maskless ReLU forward pass): for a non-negative slope,
/// y &gt; 0 exactly where x &gt; 0 (NaN and ±0 give y ≤ 0 or NaN, and a clear mask bit, alike). Used when the next
/// layer keeps the output anyway, so the mask need not be stored at all.
/// </summary>
internal static unsafe class ReluFromOutput
{
    private const int PartElements = 1 << 16;

    /// <summary>
    /// The forward pass of a ReLU that keeps no mask: <c>output[i] = max(input[i], 0)</c> (<c>TensorPrimitives.Max</c>),
    /// split over the threads (element-wise: the same bits for any split).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length < input.Length)
        {
            throw new ArgumentException($"The output ({output.Length}) must hold the input's {input.Length} elements.", nameof(output));
        }

        fixed (float* x = input)
        fixed (float* y = output)
        {
            var job = new ForwardJob(x, y);
            WorkerPool.RunRanges(ref job, input.Length, PartElements);
        }
    }

    /// <summary><c>destination[i] = output[i] &gt; 0 ? gradient[i] : negativeScale·gradient[i]</c>.</summary>
    public static void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, float negativeScale, Span<float> destination)
    {
        if (output.Length < gradient.Length || destination.Length < gradient.Length)
        {
            throw new ArgumentException($"Output ({output.Length}) and destination ({destination.Length}) must hold the gradient's {gradient.Length} elements.");
        }

        fixed (float* y = output)
        fixed (float* g = gradient)
        fixed (float* d = destination)
        {
            // Split over the threads like BitMask.Apply, the mask-based backward this replaces (element-wise: results do not depend on the split).
            var job = new Job(y, g, negativeScale, d, KernelSettings.Path);
            WorkerPool.RunRanges(ref job, gradient.Length, PartElements);
        }
    }

    private readonly struct ForwardJob(float* x, float* y) : IRangeJob
    {
        public void RunRange(int first, int count) =>
            TensorPrimitives.Max(new ReadOnlySpan<float>(x + first, count), 0f, new Span<float>(y + first, count));
    }

    /// <summary>
    /// <see cref="Backward"/> over <paramref name="count"/> elements on the calling thread, on kernel path <paramref name="path"/>
    /// (<paramref name="destination"/> may be <paramref name="gradient"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void BackwardRange(float* output, float* gradient, float negativeScale, float* destination, int count, KernelPath path)
    {
        int done = path switch
        {
            KernelPath.Vector512 => Lanes<Width512, Vector512<uint>, Vector512<float>>(output, gradient, negativeScale, destination, count),
            KernelPath.Vector256 => Lanes<Width256, Vector256<uint>, Vector256<float>>(output, gradient, negativeScale, destination, count),
            KernelPath.Vector128 => Lanes<Width128, Vector128<uint>, Vector128<float>>(output, gradient, negativeScale, destination, count),
            _ => 0,
        };
        for (int i = done; i < count; i++)
        {
            destination[i] = output[i] > 0 ? gradient[i] : negativeScale * gradient[i];
        }
    }

    private readonly struct Job(float* y, float* g, float negativeScale, float* d, KernelPath path) : IRangeJob
    {
        public void RunRange(int first, int count) => BackwardRange(y + first, g + first, negativeScale, d + first, count, path);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int Lanes<TW, TU, TF>(float* y, float* g, float negativeScale, float* d, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        TF scale = TW.BroadcastSingle(negativeScale);
        int i = 0;
        for (; i <= length - TW.Count; i += TW.Count)
        {
            TF gradient = TW.LoadSingle(g + i);
            TW.StoreSingle(TW.Select(TW.GreaterThanZero(TW.LoadSingle(y + i)), gradient, TW.MultiplySingle(scale, gradient)), d + i);
        }

        return i;
    }
}
