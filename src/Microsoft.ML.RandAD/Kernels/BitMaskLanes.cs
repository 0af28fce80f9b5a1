using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>What a fused mask-forward kernel writes to y, given x and the lanes where x &gt; 0.</summary>
internal interface IPositivePart
{
    /// <summary>Whether the kernel writes y at all (<see langword="false"/>: mask only).</summary>
    static abstract bool WritesOutput { get; }

    /// <summary>y for one element.</summary>
    static abstract float Invoke(float x, float negativeSlope);

    /// <summary>y for one vector; <paramref name="positive"/> is all ones where x &gt; 0.</summary>
    static abstract TF Invoke<TW, TU, TF>(TF x, TU positive, TF negativeSlope)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged;
}

/// <summary>Mask only (<see cref="BitMask.PackGreaterThanZero"/>).</summary>
internal readonly struct MaskOnly : IPositivePart
{
    public static bool WritesOutput => false;

    public static float Invoke(float x, float negativeSlope) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Invoke<TW, TU, TF>(TF x, TU positive, TF negativeSlope)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => x;
}

/// <summary><c>x &gt; 0 ? x : 0</c>: a select, not Max, so NaN and −0 map to +0 exactly as in the scalar reference.</summary>
internal readonly struct ReluPart : IPositivePart
{
    public static bool WritesOutput => true;

    public static float Invoke(float x, float negativeSlope) => x > 0 ? x : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Invoke<TW, TU, TF>(TF x, TU positive, TF negativeSlope)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => TW.Select(positive, x, TW.BroadcastSingle(0f));
}

/// <summary><c>x &gt; 0 ? x : slope·x</c> (NaN stays NaN).</summary>
internal readonly struct LeakyReluPart : IPositivePart
{
    public static bool WritesOutput => true;

    public static float Invoke(float x, float negativeSlope) => x > 0 ? x : negativeSlope * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Invoke<TW, TU, TF>(TF x, TU positive, TF negativeSlope)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged => TW.Select(positive, x, TW.MultiplySingle(negativeSlope, x));
}

/// <summary>The vector paths of <see cref="BitMask"/>, written once over <see cref="IVectorWidth{TU, TF}"/>.</summary>
internal static unsafe class BitMaskLanes
{
    /// <summary>Mask (and y, per <typeparamref name="TOp"/>) for elements [0, length); whole words by vector, the last partial word scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Forward<TW, TU, TF, TOp>(float* x, float* y, ulong* mask, int length, float negativeSlope)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
        where TOp : IPositivePart
    {
        int n = TW.Count;
        TF slope = TW.BroadcastSingle(negativeSlope);
        int words = length >> 6;
        for (int w = 0; w < words; w++, x += 64, y += 64)
        {
            ulong bits = 0;
            for (int j = 0; j < 64; j += n)
            {
                TF v = TW.LoadSingle(x + j);
                TU positive = TW.GreaterThanZero(v);
                bits |= TW.MostSignificantBits(positive) << j;
                if (TOp.WritesOutput)
                {
                    TW.StoreSingle(TOp.Invoke<TW, TU, TF>(v, positive, slope), y + j);
                }
            }

            mask[w] = bits;
        }

        int rest = length & 63;
        if (rest > 0)
        {
            ulong bits = 0;
            for (int b = 0; b < rest; b++)
            {
                float v = x[b];
                bits |= (v > 0 ? 1UL : 0UL) << b;
                if (TOp.WritesOutput)
                {
                    y[b] = TOp.Invoke(v, negativeSlope);
                }
            }

            mask[words] = bits;
        }
    }

    /// <summary><c>destination = bit ? gradient : negativeScale·gradient</c>; each mask half-word is broadcast and tested against one bit per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Apply<TW, TU, TF>(ulong* mask, float* gradient, float negativeScale, float* destination, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        int n = TW.Count;
        TF scale = TW.BroadcastSingle(negativeScale);
        int words = length >> 6;
        fixed (uint* laneBits = VectorWidth.LaneBits)
        {
            for (int w = 0; w < words; w++, gradient += 64, destination += 64)
            {
                ulong bits = mask[w];
                for (int half = 0; half < 64; half += 32)
                {
                    TU word = TW.Broadcast((uint)(bits >> half));
                    for (int lane = 0; lane < 32; lane += n)
                    {
                        TU clear = TW.EqualsZero(TW.And(word, TW.Load(laneBits + lane)));
                        TF g = TW.LoadSingle(gradient + half + lane);
                        TW.StoreSingle(TW.Select(clear, TW.MultiplySingle(scale, g), g), destination + half + lane);
                    }
                }
            }
        }

        int rest = length & 63;
        for (int b = 0; b < rest; b++)
        {
            bool set = ((mask[words] >> b) & 1) != 0;
            destination[b] = set ? gradient[b] : negativeScale * gradient[b];
        }
    }
}
