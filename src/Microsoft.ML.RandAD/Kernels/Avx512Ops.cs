using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The AVX-512 instructions the 512-bit kernels name directly (the rest go through <see cref="Vector512"/>), each with a
/// software twin that runs where the processor lacks AVX-512, so tests can run the 512-bit kernels on any machine
/// (<see cref="KernelSettings.AllowEmulatedVector512"/>).
/// </summary>
/// <remarks>
/// <c>Avx512F.IsSupported</c> is a constant to the JIT, so on an AVX-512 processor each method is the instruction alone
/// and the twin is never compiled. The twins are written element by element, for being obviously right rather than
/// fast; the generic <see cref="Vector512{T}"/> operations run as the runtime's software fallback (two 256-bit halves).
/// </remarks>
internal static unsafe class Avx512Ops
{
    /// <summary><c>vmaskmov</c>-style load: lanes whose mask is set are read, the others are zero and never touched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaskLoad(float* source, Vector512<float> mask) =>
        Avx512F.IsSupported ? Avx512F.MaskLoad(source, mask, Vector512<float>.Zero) : Software.MaskLoad(source, mask);

    /// <summary>Stores the lanes whose mask is set; memory under the others is not touched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MaskStore(float* destination, Vector512<float> mask, Vector512<float> value)
    {
        if (Avx512F.IsSupported)
        {
            Avx512F.MaskStore(destination, mask, value);
        }
        else
        {
            Software.MaskStore(destination, mask, value);
        }
    }

    /// <summary><c>vunpcklps</c>: within each 128-bit lane, the low two elements of each source, interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> UnpackLow(Vector512<uint> left, Vector512<uint> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackLow(left, right) : Software.Unpack(left, right, high: false);

    /// <summary><c>vunpckhps</c>: within each 128-bit lane, the high two elements of each source, interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> UnpackHigh(Vector512<uint> left, Vector512<uint> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackHigh(left, right) : Software.Unpack(left, right, high: true);

    /// <inheritdoc cref="UnpackLow(Vector512{uint}, Vector512{uint})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> UnpackLow(Vector512<float> left, Vector512<float> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackLow(left, right) : Software.Unpack(left.AsUInt32(), right.AsUInt32(), high: false).AsSingle();

    /// <inheritdoc cref="UnpackHigh(Vector512{uint}, Vector512{uint})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> UnpackHigh(Vector512<float> left, Vector512<float> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackHigh(left, right) : Software.Unpack(left.AsUInt32(), right.AsUInt32(), high: true).AsSingle();

    /// <summary><c>vunpcklpd</c>: within each 128-bit lane, the low 64-bit element of each source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> UnpackLow(Vector512<ulong> left, Vector512<ulong> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackLow(left, right) : Software.Unpack(left, right, high: false);

    /// <summary><c>vunpckhpd</c>: within each 128-bit lane, the high 64-bit element of each source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> UnpackHigh(Vector512<ulong> left, Vector512<ulong> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackHigh(left, right) : Software.Unpack(left, right, high: true);

    /// <inheritdoc cref="UnpackLow(Vector512{ulong}, Vector512{ulong})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> UnpackLow(Vector512<double> left, Vector512<double> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackLow(left, right) : Software.Unpack(left, right, high: false);

    /// <inheritdoc cref="UnpackHigh(Vector512{ulong}, Vector512{ulong})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> UnpackHigh(Vector512<double> left, Vector512<double> right) =>
        Avx512F.IsSupported ? Avx512F.UnpackHigh(left, right) : Software.Unpack(left, right, high: true);

    /// <summary>
    /// <c>vshuff32x4</c>: 128-bit lanes 0 and 1 of the result are <paramref name="left"/>'s lanes chosen by bits 0–1 and 2–3
    /// of <paramref name="control"/>, lanes 2 and 3 are <paramref name="right"/>'s chosen by bits 4–5 and 6–7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Shuffle4x128(Vector512<float> left, Vector512<float> right, [ConstantExpected] byte control) =>
        Avx512F.IsSupported ? Avx512F.Shuffle4x128(left, right, control) : Software.Shuffle4x128(left, right, control);

    /// <summary><c>vpcompressd</c>: the lanes whose mask is set, packed to the front; the rest zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Compress(Vector512<int> mask, Vector512<int> value) =>
        Avx512F.IsSupported ? Avx512F.Compress(Vector512<int>.Zero, mask, value) : Software.Compress(mask, value);

    /// <summary><c>vpermd</c>: lane i of the result is <paramref name="value"/>'s lane <c>indices[i] mod 16</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Permute(Vector512<int> value, Vector512<int> indices) =>
        Avx512F.IsSupported ? Avx512F.PermuteVar16x32(value, indices) : Software.Permute(value, indices);

    /// <summary>Sixteen 32-bit values from <c>source[offsets[i]]</c>: two AVX2 <c>vpgatherdd</c> (.NET names no 512-bit gather).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Gather(int* source, Vector512<int> offsets) =>
        Avx512F.IsSupported
            ? Vector512.Create(Avx2.GatherVector256(source, offsets.GetLower(), 4), Avx2.GatherVector256(source, offsets.GetUpper(), 4))
            : Software.Gather(source, offsets);

    /// <summary><c>vpmovdb</c>: each 32-bit lane truncated to its low byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> TruncateToBytes(Vector512<uint> value) =>
        Avx512F.IsSupported ? Avx512F.ConvertToVector128Byte(value) : Software.TruncateToBytes(value);

    /// <summary><c>vpmovzxbd</c>: sixteen bytes widened to 32-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> WidenBytes(Vector128<byte> value) =>
        Avx512F.IsSupported ? Avx512F.ConvertToVector512UInt32(value) : Software.WidenBytes(value);

    /// <summary>The twins: element by element, out of line.</summary>
    private static class Software
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector512<float> MaskLoad(float* source, Vector512<float> mask)
        {
            Vector512<float> result = Vector512<float>.Zero;
            for (int i = 0; i < Vector512<float>.Count; i++)
            {
                if (mask.AsInt32().GetElement(i) < 0)
                {
                    result = result.WithElement(i, source[i]);
                }
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static void MaskStore(float* destination, Vector512<float> mask, Vector512<float> value)
        {
            for (int i = 0; i < Vector512<float>.Count; i++)
            {
                if (mask.AsInt32().GetElement(i) < 0)
                {
                    destination[i] = value.GetElement(i);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector512<T> Unpack<T>(Vector512<T> left, Vector512<T> right, bool high)
        {
            // Per 128-bit lane of n elements: the low (or high) n/2 of each source, alternating left, right.
            int n = Vector128<T>.Count, half = n / 2;
            Vector512<T> result = Vector512<T>.Zero;
            for (int lane = 0; lane < 4; lane++)
            {
                for (int j = 0; j < half; j++)
                {
                    int source = (lane * n) + (high ? half : 0) + j;
                    result = result.WithElement((lane * n) + (2 * j), left.GetElement(source));
                    result = result.WithElement((lane * n) + (2 * j) + 1, right.GetElement(source));
                }
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector512<float> Shuffle4x128(Vector512<float> left, Vector512<float> right, byte control)
        {
            Vector512<float> result = Vector512<float>.Zero;
            for (int lane = 0; lane < 4; lane++)
            {
                Vector512<float> from = lane < 2 ? left : right;
                int chosen = (control >> (2 * lane)) & 3;
                for (int j = 0; j < 4; j++)
                {
                    result = result.WithElement((lane * 4) + j, from.GetElement((chosen * 4) + j));
                }
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector512<int> Compress(Vector512<int> mask, Vector512<int> value)
        {
            Vector512<int> result = Vector512<int>.Zero;
            int count = 0;
            for (int i = 0; i < Vector512<int>.Count; i++)
            {
                if (mask.GetElement(i) < 0)
                {
                    result = result.WithElement(count++, value.GetElement(i));
                }
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector512<int> Permute(Vector512<int> value, Vector512<int> indices)
        {
            Vector512<int> result = Vector512<int>.Zero;
            for (int i = 0; i < Vector512<int>.Count; i++)
            {
                result = result.WithElement(i, value.GetElement(indices.GetElement(i) & 15));
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector512<int> Gather(int* source, Vector512<int> offsets)
        {
            Vector512<int> result = Vector512<int>.Zero;
            for (int i = 0; i < Vector512<int>.Count; i++)
            {
                result = result.WithElement(i, source[offsets.GetElement(i)]);
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector128<byte> TruncateToBytes(Vector512<uint> value)
        {
            Vector128<byte> result = Vector128<byte>.Zero;
            for (int i = 0; i < Vector512<uint>.Count; i++)
            {
                result = result.WithElement(i, (byte)value.GetElement(i));
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public static Vector512<uint> WidenBytes(Vector128<byte> value)
        {
            Vector512<uint> result = Vector512<uint>.Zero;
            for (int i = 0; i < Vector512<uint>.Count; i++)
            {
                result = result.WithElement(i, value.GetElement(i));
            }

            return result;
        }
    }
}
