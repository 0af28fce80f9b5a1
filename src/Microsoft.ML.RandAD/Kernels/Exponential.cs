using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// <c>x = e^x</c> over a span in place, a vector at a time through the runtime's vector exponential: the function
/// <c>TensorPrimitives.Exp</c> applies to each vector, in a loop compiled optimized at its first call.
/// </summary>
/// <remarks>
/// The loss calls it once per step on the batch's logits. <c>TensorPrimitives.Exp</c> ran 80 µs for 1,280 floats as long as
/// its generic loop was unoptimized first-tier code, and the package's code is not precompiled, so that lasted most of the
/// MLP's first epoch (loops that short never switch to optimized code while they run), against about 2 µs once tier 1 has
/// it. The last partial vector is loaded and stored masked, so every element goes through the same vector function.
/// </remarks>
internal static unsafe class Exponential
{
    /// <summary>Replaces each element of <paramref name="values"/> by its exponential on the active kernel path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void InPlace(Span<float> values)
    {
        fixed (float* x = values)
        {
            switch (KernelSettings.Path)
            {
                case KernelPath.Vector512:
                    Lanes<Width512, Vector512<uint>, Vector512<float>>(x, values.Length);
                    break;
                case KernelPath.Vector256:
                    Lanes<Width256, Vector256<uint>, Vector256<float>>(x, values.Length);
                    break;
                case KernelPath.Vector128:
                    Lanes<Width128, Vector128<uint>, Vector128<float>>(x, values.Length);
                    break;
                default:
                    for (int i = 0; i < values.Length; i++)
                    {
                        x[i] = MathF.Exp(x[i]);
                    }

                    break;
            }
        }
    }

    /// <summary>The loop for one width; not inlined, so <see cref="InPlace"/> compiles only the running path's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Lanes<TW, TU, TF>(float* x, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int i = 0;
        for (; i <= length - TW.Count; i += TW.Count)
        {
            TW.StoreSingle(TW.Exp(TW.LoadSingle(x + i)), x + i);
        }

        if (i < length)
        {
            TF mask = TW.TailMask(length - i);
            TW.StoreSingleMasked(TW.Exp(TW.LoadSingleMasked(x + i, mask)), x + i, mask);
        }
    }
}
