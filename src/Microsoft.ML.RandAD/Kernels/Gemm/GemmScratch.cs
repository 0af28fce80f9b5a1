using System.Runtime.InteropServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// One thread's pack buffers, kept for the life of the thread so steady-state GEMM calls allocate nothing.
/// </summary>
/// <remarks>
/// Native, 64-byte aligned memory (cache-line aligned panels, never moved by the GC). Each thread that runs
/// GEMM work (the caller and the pool's workers) packs into its own buffers, so threads never share a
/// writable cache line. A buffer only grows; the finalizer returns the memory when the thread ends.
/// </remarks>
internal sealed unsafe class GemmScratch
{
    [ThreadStatic]
    private static GemmScratch? t_current;

    private Buffer _a;
    private Buffer _b;

    ~GemmScratch()
    {
        _a.Free();
        _b.Free();
    }

    /// <summary>The calling thread's buffers (created on its first GEMM).</summary>
    public static GemmScratch ForCurrentThread => t_current ??= new GemmScratch();

    /// <summary>Buffer for packed A panels, at least <paramref name="floats"/> long.</summary>
    public float* A(nint floats) => _a.Ensure(floats);

    /// <summary>Buffer for packed B panels (or a transposed B), at least <paramref name="floats"/> long.</summary>
    public float* B(nint floats) => _b.Ensure(floats);

    private struct Buffer
    {
        private float* _pointer;
        private nint _length;

        public float* Ensure(nint floats)
        {
            if (floats > _length)
            {
                // Round up so a slowly growing shape does not reallocate on every call.
                nint length = Math.Max(floats, Math.Max(_length * 2, 4096));
                Free();
                _pointer = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
                _length = length;
            }

            return _pointer;
        }

        public void Free()
        {
            if (_pointer != null)
            {
                NativeMemory.AlignedFree(_pointer);
                _pointer = null;
                _length = 0;
            }
        }
    }
}
