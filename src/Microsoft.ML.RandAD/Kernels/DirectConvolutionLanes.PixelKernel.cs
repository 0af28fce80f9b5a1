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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels8<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step), s7 = Slot(7, n, step);
            nint filters = Filters;
            TF a0, a1, a2, a3, a4, a5, a6, a7;
            if (Begins)
            {
                a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = TW.BroadcastSingle(0f);
            }
            else
            {
                a0 = Start<TW, TU, TF>(y, filters, 0, n);
                a1 = Start<TW, TU, TF>(y, filters, 1, n);
                a2 = Start<TW, TU, TF>(y, filters, 2, n);
                a3 = Start<TW, TU, TF>(y, filters, 3, n);
                a4 = Start<TW, TU, TF>(y, filters, 4, n);
                a5 = Start<TW, TU, TF>(y, filters, 5, n);
                a6 = Start<TW, TU, TF>(y, filters, 6, n);
                a7 = Start<TW, TU, TF>(y, filters, 7, n);
            }

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

            if (Ends)
            {
                TF b = TW.LoadSingle(bias);
                a0 = TW.AddSingle(a0, b);
                a1 = TW.AddSingle(a1, b);
                a2 = TW.AddSingle(a2, b);
                a3 = TW.AddSingle(a3, b);
                a4 = TW.AddSingle(a4, b);
                a5 = TW.AddSingle(a5, b);
                a6 = TW.AddSingle(a6, b);
                a7 = TW.AddSingle(a7, b);
            }

            if (n == 8)
            {
                TW.StoreSingle(a0, y);
                TW.StoreSingle(a1, y + filters);
                TW.StoreSingle(a2, y + (2 * filters));
                TW.StoreSingle(a3, y + (3 * filters));
                TW.StoreSingle(a4, y + (4 * filters));
                TW.StoreSingle(a5, y + (5 * filters));
                TW.StoreSingle(a6, y + (6 * filters));
                TW.StoreSingle(a7, y + (7 * filters));
                return;
            }

            Keep<TW, TU, TF>(a0, y, filters, 0, n);
            Keep<TW, TU, TF>(a1, y, filters, 1, n);
            Keep<TW, TU, TF>(a2, y, filters, 2, n);
            Keep<TW, TU, TF>(a3, y, filters, 3, n);
            Keep<TW, TU, TF>(a4, y, filters, 4, n);
            Keep<TW, TU, TF>(a5, y, filters, 5, n);
            Keep<TW, TU, TF>(a6, y, filters, 6, n);
            Keep<TW, TU, TF>(a7, y, filters, 7, n);
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
            TF a0, a1, a2, a3, a4, a5, a6, a7;
            TF b0, b1, b2, b3, b4, b5, b6, b7;
            if (Begins)
            {
                a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 =
                    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = TW.BroadcastSingle(0f);
            }
            else
            {
                a0 = Start<TW, TU, TF>(y, filters, 0, n);
                a1 = Start<TW, TU, TF>(y, filters, 1, n);
                a2 = Start<TW, TU, TF>(y, filters, 2, n);
                a3 = Start<TW, TU, TF>(y, filters, 3, n);
                a4 = Start<TW, TU, TF>(y, filters, 4, n);
                a5 = Start<TW, TU, TF>(y, filters, 5, n);
                a6 = Start<TW, TU, TF>(y, filters, 6, n);
                a7 = Start<TW, TU, TF>(y, filters, 7, n);
                b0 = Start<TW, TU, TF>(yb, filters, 0, n);
                b1 = Start<TW, TU, TF>(yb, filters, 1, n);
                b2 = Start<TW, TU, TF>(yb, filters, 2, n);
                b3 = Start<TW, TU, TF>(yb, filters, 3, n);
                b4 = Start<TW, TU, TF>(yb, filters, 4, n);
                b5 = Start<TW, TU, TF>(yb, filters, 5, n);
                b6 = Start<TW, TU, TF>(yb, filters, 6, n);
                b7 = Start<TW, TU, TF>(yb, filters, 7, n);
            }

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

            if (Ends)
            {
                TF bv = TW.LoadSingle(bias);
                a0 = TW.AddSingle(a0, bv);
                a1 = TW.AddSingle(a1, bv);
                a2 = TW.AddSingle(a2, bv);
                a3 = TW.AddSingle(a3, bv);
                a4 = TW.AddSingle(a4, bv);
                a5 = TW.AddSingle(a5, bv);
                a6 = TW.AddSingle(a6, bv);
                a7 = TW.AddSingle(a7, bv);
                b0 = TW.AddSingle(b0, bv);
                b1 = TW.AddSingle(b1, bv);
                b2 = TW.AddSingle(b2, bv);
                b3 = TW.AddSingle(b3, bv);
                b4 = TW.AddSingle(b4, bv);
                b5 = TW.AddSingle(b5, bv);
                b6 = TW.AddSingle(b6, bv);
                b7 = TW.AddSingle(b7, bv);
            }

            if (n == 8)
            {
                TW.StoreSingle(a0, y);
                TW.StoreSingle(b0, yb);
                TW.StoreSingle(a1, y + filters);
                TW.StoreSingle(b1, yb + filters);
                TW.StoreSingle(a2, y + (2 * filters));
                TW.StoreSingle(b2, yb + (2 * filters));
                TW.StoreSingle(a3, y + (3 * filters));
                TW.StoreSingle(b3, yb + (3 * filters));
                TW.StoreSingle(a4, y + (4 * filters));
                TW.StoreSingle(b4, yb + (4 * filters));
                TW.StoreSingle(a5, y + (5 * filters));
                TW.StoreSingle(b5, yb + (5 * filters));
                TW.StoreSingle(a6, y + (6 * filters));
                TW.StoreSingle(b6, yb + (6 * filters));
                TW.StoreSingle(a7, y + (7 * filters));
                TW.StoreSingle(b7, yb + (7 * filters));
                return;
            }

            Keep<TW, TU, TF>(a0, y, filters, 0, n);
            Keep<TW, TU, TF>(b0, yb, filters, 0, n);
            Keep<TW, TU, TF>(a1, y, filters, 1, n);
            Keep<TW, TU, TF>(b1, yb, filters, 1, n);
            Keep<TW, TU, TF>(a2, y, filters, 2, n);
            Keep<TW, TU, TF>(b2, yb, filters, 2, n);
            Keep<TW, TU, TF>(a3, y, filters, 3, n);
            Keep<TW, TU, TF>(b3, yb, filters, 3, n);
            Keep<TW, TU, TF>(a4, y, filters, 4, n);
            Keep<TW, TU, TF>(b4, yb, filters, 4, n);
            Keep<TW, TU, TF>(a5, y, filters, 5, n);
            Keep<TW, TU, TF>(b5, yb, filters, 5, n);
            Keep<TW, TU, TF>(a6, y, filters, 6, n);
            Keep<TW, TU, TF>(b6, yb, filters, 6, n);
            Keep<TW, TU, TF>(a7, y, filters, 7, n);
            Keep<TW, TU, TF>(b7, yb, filters, 7, n);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels4<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step);
            nint filters = Filters;
            TF a0, a1, a2, a3;
            if (Begins)
            {
                a0 = a1 = a2 = a3 = TW.BroadcastSingle(0f);
            }
            else
            {
                a0 = Start<TW, TU, TF>(y, filters, 0, n);
                a1 = Start<TW, TU, TF>(y, filters, 1, n);
                a2 = Start<TW, TU, TF>(y, filters, 2, n);
                a3 = Start<TW, TU, TF>(y, filters, 3, n);
            }

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

            if (Ends)
            {
                TF b = TW.LoadSingle(bias);
                a0 = TW.AddSingle(a0, b);
                a1 = TW.AddSingle(a1, b);
                a2 = TW.AddSingle(a2, b);
                a3 = TW.AddSingle(a3, b);
            }

            if (n == 4)
            {
                TW.StoreSingle(a0, y);
                TW.StoreSingle(a1, y + filters);
                TW.StoreSingle(a2, y + (2 * filters));
                TW.StoreSingle(a3, y + (3 * filters));
                return;
            }

            Keep<TW, TU, TF>(a0, y, filters, 0, n);
            Keep<TW, TU, TF>(a1, y, filters, 1, n);
            Keep<TW, TU, TF>(a2, y, filters, 2, n);
            Keep<TW, TU, TF>(a3, y, filters, 3, n);
        }

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
