using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Contiguous float runs of any length: whole vectors, then one masked vector (no scalar tail, no over-read or over-write).</summary>
internal static unsafe class VectorRuns
{
    /// <summary><c>destination[i] += source[i]</c> for i &lt; length: whole vectors, then one masked vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<TW, TU, TF>(float* source, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        int i = 0;
        for (; i <= length - n; i += n)
        {
            TW.StoreSingle(TW.AddSingle(TW.LoadSingle(destination + i), TW.LoadSingle(source + i)), destination + i);
        }

        if (i < length)
        {
            TF mask = TW.TailMask(length - i);
            TW.StoreSingleMasked(TW.AddSingle(TW.LoadSingleMasked(destination + i, mask), TW.LoadSingleMasked(source + i, mask)), destination + i, mask);
        }
    }

    /// <summary><c>data[i] += value</c> for i &lt; length: whole vectors, then one masked vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScalar<TW, TU, TF>(float* data, float value, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TF v = TW.BroadcastSingle(value);
        int i = 0;
        for (; i <= length - n; i += n)
        {
            TW.StoreSingle(TW.AddSingle(TW.LoadSingle(data + i), v), data + i);
        }

        if (i < length)
        {
            TF mask = TW.TailMask(length - i);
            TW.StoreSingleMasked(TW.AddSingle(TW.LoadSingleMasked(data + i, mask), v), data + i, mask);
        }
    }

    /// <summary><c>destination[i] = source[i]</c> for i &lt; length: whole vectors, then one masked vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<TW, TU, TF>(float* source, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        int i = 0;
        for (; i <= length - n; i += n)
        {
            TW.StoreSingle(TW.LoadSingle(source + i), destination + i);
        }

        if (i < length)
        {
            TF mask = TW.TailMask(length - i);
            TW.StoreSingleMasked(TW.LoadSingleMasked(source + i, mask), destination + i, mask);
        }
    }

    /// <summary><c>destination[i] = 0</c> for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear<TW, TU, TF>(float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TF zero = TW.BroadcastSingle(0f);
        int i = 0;
        for (; i <= length - n; i += n)
        {
            TW.StoreSingle(zero, destination + i);
        }

        if (i < length)
        {
            TW.StoreSingleMasked(zero, destination + i, TW.TailMask(length - i));
        }
    }
}
