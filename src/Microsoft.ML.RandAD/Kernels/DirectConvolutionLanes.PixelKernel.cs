using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The forward kernels over one block of output pixels (PixelKernel): one filter vector on one or two output rows. The
// pair kernels and the four-row kernel are in DirectConvolutionLanes.PixelKernel.Pairs.cs.
internal static unsafe partial class DirectConvolutionLanes
{
    /// <summary>
    /// The forward kernels over one block of pixels along an output row: windows <c>step</c> floats apart from <c>x</c>,
    /// weights (PatchSize × Filters, transposed) and outputs already offset to the first filter of the block's vectors.
    /// </summary>
    private partial struct PixelKernel
    {
        public int RowFloats, Run, Filters;

        /// <summary>The kernel rows of this pass: [FirstRow, FirstRow + Rows).</summary>
        public int FirstRow, Rows;

        /// <summary>Whether this pass starts the sums (else it continues the partial sums stored in the output).</summary>
        public bool Begins;

        /// <summary>Whether this pass ends the sums (adds the bias; else it stores the partial sums).</summary>
        public bool Ends;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels8<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step), s7 = Slot(7, n, step);
            nint filters = Filters;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            TF a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n), a7 = Start<TW, TU, TF>(y, filters, 7, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                // Pointers and native-sized offsets, so each tap is a load and eight FMAs with no index arithmetic.
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s4]), wv, a4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s5]), wv, a5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s6]), wv, a6);
                    a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s7]), wv, a7);
                }
            }

            TF b = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, b, y, filters, 0, n);
            Finish<TW, TU, TF>(a1, b, y, filters, 1, n);
            Finish<TW, TU, TF>(a2, b, y, filters, 2, n);
            Finish<TW, TU, TF>(a3, b, y, filters, 3, n);
            Finish<TW, TU, TF>(a4, b, y, filters, 4, n);
            Finish<TW, TU, TF>(a5, b, y, filters, 5, n);
            Finish<TW, TU, TF>(a6, b, y, filters, 6, n);
            Finish<TW, TU, TF>(a7, b, y, filters, 7, n);
        }

        /// <summary><see cref="Pixels8{TW, TU, TF}"/> on the same block of two output rows, <paramref name="rowStep"/> and <paramref name="yRowStep"/> apart.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels8TwoRows<TW, TU, TF>(float* origin, nint step, int n, nint rowStep, float* weight, float* bias, float* y, nint yRowStep)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step), s7 = Slot(7, n, step);
            nint filters = Filters;
            float* yb = y + yRowStep;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            TF a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n), a7 = Start<TW, TU, TF>(y, filters, 7, n);
            TF b0 = Start<TW, TU, TF>(yb, filters, 0, n), b1 = Start<TW, TU, TF>(yb, filters, 1, n), b2 = Start<TW, TU, TF>(yb, filters, 2, n), b3 = Start<TW, TU, TF>(yb, filters, 3, n);
            TF b4 = Start<TW, TU, TF>(yb, filters, 4, n), b5 = Start<TW, TU, TF>(yb, filters, 5, n), b6 = Start<TW, TU, TF>(yb, filters, 6, n), b7 = Start<TW, TU, TF>(yb, filters, 7, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    float* x2 = x + rowStep;
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    b0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x2), wv, b0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    b1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s1]), wv, b1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    b2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s2]), wv, b2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                    b3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s3]), wv, b3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s4]), wv, a4);
                    b4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s4]), wv, b4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s5]), wv, a5);
                    b5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s5]), wv, b5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s6]), wv, a6);
                    b6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s6]), wv, b6);
                    a7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s7]), wv, a7);
                    b7 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x2[s7]), wv, b7);
                }
            }

            TF bv = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, bv, y, filters, 0, n);
            Finish<TW, TU, TF>(b0, bv, yb, filters, 0, n);
            Finish<TW, TU, TF>(a1, bv, y, filters, 1, n);
            Finish<TW, TU, TF>(b1, bv, yb, filters, 1, n);
            Finish<TW, TU, TF>(a2, bv, y, filters, 2, n);
            Finish<TW, TU, TF>(b2, bv, yb, filters, 2, n);
            Finish<TW, TU, TF>(a3, bv, y, filters, 3, n);
            Finish<TW, TU, TF>(b3, bv, yb, filters, 3, n);
            Finish<TW, TU, TF>(a4, bv, y, filters, 4, n);
            Finish<TW, TU, TF>(b4, bv, yb, filters, 4, n);
            Finish<TW, TU, TF>(a5, bv, y, filters, 5, n);
            Finish<TW, TU, TF>(b5, bv, yb, filters, 5, n);
            Finish<TW, TU, TF>(a6, bv, y, filters, 6, n);
            Finish<TW, TU, TF>(b6, bv, yb, filters, 6, n);
            Finish<TW, TU, TF>(a7, bv, y, filters, 7, n);
            Finish<TW, TU, TF>(b7, bv, yb, filters, 7, n);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels4<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step);
            nint filters = Filters;
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                }
            }

            TF b = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, b, y, filters, 0, n);
            Finish<TW, TU, TF>(a1, b, y, filters, 1, n);
            Finish<TW, TU, TF>(a2, b, y, filters, 2, n);
            Finish<TW, TU, TF>(a3, b, y, filters, 3, n);
        }

        /// <summary>Offset of a block's slot: its pixel's window, or the last pixel's for a spare slot.</summary>
        private static nint Slot(int slot, int n, nint step) => Math.Min(slot, n - 1) * step;

        /// <summary>A slot's sum at the start of the pass: zero, or the partial sum stored by the pass before (a spare slot reads its pixel's).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly TF Start<TW, TU, TF>(float* y, nint filters, int slot, int n)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
            => Begins ? TW.BroadcastSingle(0f) : TW.LoadSingle(y + (Math.Min(slot, n - 1) * filters));

        /// <summary>Stores a slot's sum (plus the bias in the last pass); spare slots are dropped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Finish<TW, TU, TF>(TF sum, TF bias, float* y, nint filters, int slot, int n)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            if (slot < n)
            {
                TW.StoreSingle(Ends ? TW.AddSingle(sum, bias) : sum, y + (slot * filters));
            }
        }
    }
}
