using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Pinned arrays and their alignment: the engine's buffers live on the pinned object heap so kernels can take their address without a <c>fixed</c> statement moving anything.</summary>
internal static class PinnedMemory
{
    /// <summary>A pinned, uninitialized array of at least <paramref name="length"/> elements.</summary>
    public static T[] Allocate<T>(int length)
        where T : unmanaged
        => GC.AllocateUninitializedArray<T>(length, pinned: true);

    /// <summary>The address of the first element of a pinned <paramref name="array"/> (one from <see cref="Allocate{T}"/>: it never moves).</summary>
    public static unsafe T* Pointer<T>(T[] array)
        where T : unmanaged
        => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));

    /// <summary>The smallest offset ≥ <paramref name="offset"/> whose address in the pinned <paramref name="array"/> is a multiple of <paramref name="alignment"/> (a power of two).</summary>
    public static unsafe long AlignedOffset(byte[] array, long offset, int alignment)
    {
        long address = (long)Pointer(array);
        long aligned = (address + offset + alignment - 1) & ~(long)(alignment - 1);
        return aligned - address;
    }
}
