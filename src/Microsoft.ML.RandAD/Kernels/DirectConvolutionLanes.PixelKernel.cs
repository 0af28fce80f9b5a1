using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The forward kernels over one block of output pixels (PixelKernel): its fields and helpers. The kernels themselves (a block
// of pixels on one, two or four output rows, with one or two filter vectors) are unrolled on those numbers, so
// eng/generate-pixel-kernels.py writes them, in DirectConvolutionLanes.PixelKernel.g.cs.
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>
    /// The forward kernels over one block of pixels along an output row: windows <c>step</c> floats apart from <c>x</c>,
    /// weights (PatchSize × Filters, transposed) and outputs already offset to the first filter of the block's vectors.
    /// </summary>
    /// <remarks>
    /// Each kernel tests <see cref="Begins"/> once to start its sums (zero, or the partial sums of the pass before),
    /// <see cref="Ends"/> once to add the bias, and whether the block is whole once to store every sum without a test a
    /// slot. A first convolution of one channel calls a kernel for 25 taps; tested a slot, its sums' start and end took
    /// about 45 % of a call's time (AVX2's pair kernel, <c>perf</c>), and the whole layer's forward pass ran at 0.31–0.35×
    /// im2col + GEMM's time against 0.25–0.30× now (<c>conv-paired</c>, two threads, builds alternated); the CNN's step
    /// 0.94–0.98× (one process). The sums and their order are unchanged.
    /// </remarks>
    private partial struct PixelKernel
    {
        public int RowFloats, Run, Filters;

        /// <summary>The kernel rows of this pass: [FirstRow, FirstRow + Rows).</summary>
        public int FirstRow, Rows;

        /// <summary>Whether this pass starts the sums (else it continues the partial sums stored in the output).</summary>
        public bool Begins;

        /// <summary>Whether this pass ends the sums (adds the bias; else it stores the partial sums).</summary>
        public bool Ends;

        /// <summary>Offset of a block's slot: its pixel's window, or the last pixel's for a spare slot.</summary>
        private static nint Slot(int slot, int n, nint step) => Math.Min(slot, n - 1) * step;

        /// <summary>A slot's partial sum stored by the pass before (a spare slot reads its pixel's).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TF Start<TW, TU, TF>(float* y, nint filters, int slot, int n)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
            => TW.LoadSingle(y + Slot(slot, n, filters));

        /// <summary>Stores a slot's sum of a block shorter than its kernel; spare slots are dropped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Keep<TW, TU, TF>(TF sum, float* y, nint filters, int slot, int n)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            if (slot < n)
            {
                TW.StoreSingle(sum, y + (slot * filters));
            }
        }
    }
}
