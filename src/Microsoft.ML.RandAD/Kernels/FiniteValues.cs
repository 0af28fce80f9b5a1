using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Whether every value of a span is finite (neither NaN nor ±∞): the check the trainers' minibatch source makes on each row it
/// reads. <c>TensorPrimitives.IsFiniteAll</c> gives the same answer, but its package is not precompiled: its generic loop
/// starts at tier 0 and is recompiled twice while the first epoch reads its rows (60,000 calls on 784 floats took 86 ms in a
/// fresh process, 12 of them at full speed); this loop is compiled optimized at its first call.
/// </summary>
internal static unsafe class FiniteValues
{
    private const uint Exponent = 0x7F80_0000u;

    /// <summary>Whether no value of <paramref name="values"/> is NaN or infinite (true for none).</summary>
    public static bool All(ReadOnlySpan<float> values)
    {
        fixed (float* x = values)
        {
            return All(x, values.Length, KernelSettings.Path);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static bool All(float* x, int length, KernelPath path)
    {
        int done = path switch
        {
            KernelPath.Vector512 => Vectors<Width512, Vector512<uint>, Vector512<float>>(x, length),
            KernelPath.Vector256 => Vectors<Width256, Vector256<uint>, Vector256<float>>(x, length),
            KernelPath.Vector128 => Vectors<Width128, Vector128<uint>, Vector128<float>>(x, length),
            _ => 0,
        };
        return done >= 0 && Scalar(x, done, length);
    }

    /// <summary>Whole vectors from the start: how many values they cover, all finite, or −1 when one is not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int Vectors<TW, TU, TF>(float* x, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        // A float is NaN or infinite exactly when its exponent bits are all set.
        TU exponent = TW.Broadcast(Exponent), found = TW.Broadcast(0u);
        int i = 0;
        for (; i <= length - TW.Count; i += TW.Count)
        {
            found = TW.Or(found, TW.EqualsZero(TW.Subtract(TW.And(TW.AsUInt32(TW.LoadSingle(x + i)), exponent), exponent)));
        }

        return TW.MostSignificantBits(found) == 0 ? i : -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static bool Scalar(float* x, int first, int length)
    {
        for (int i = first; i < length; i++)
        {
            if (!float.IsFinite(x[i]))
            {
                return false;
            }
        }

        return true;
    }
}
