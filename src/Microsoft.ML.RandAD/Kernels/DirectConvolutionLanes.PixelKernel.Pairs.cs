using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The forward kernels over one block of output pixels (PixelKernel) that hold the most sums: the pair kernels (two filter
// vectors, on one or two output rows) and the four-row kernel (one vector on four rows).
internal static unsafe partial class DirectConvolutionLanes
{
    private partial struct PixelKernel
    {
        /// <summary>
        /// Both filter vectors of a pair on a block of up to six pixels (12 sums): the 256-bit path's pair kernel, within its 16
        /// registers (12 sums, two weight vectors, a broadcast), so each broadcast input feeds two FMAs. The same sums, in the
        /// same order, as <see cref="Pixels8{TW, TU, TF}"/> on each vector. The pixels' windows start anywhere
        /// (<paramref name="slots"/>, relative to <paramref name="origin"/>), so a block may span two output rows; their
        /// outputs are consecutive.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels6Pair<TW, TU, TF>(float* origin, in PixelSlots slots, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = slots.S1, s2 = slots.S2, s3 = slots.S3, s4 = slots.S4, s5 = slots.S5;
            nint filters = Filters;
            float* yc = y + TW.Count;
            TF a0, a1, a2, a3, a4, a5;
            TF c0, c1, c2, c3, c4, c5;
            if (Begins)
            {
                a0 = a1 = a2 = a3 = a4 = a5 =
                    c0 = c1 = c2 = c3 = c4 = c5 = TW.BroadcastSingle(0f);
            }
            else
            {
                a0 = Start<TW, TU, TF>(y, filters, 0, n);
                a1 = Start<TW, TU, TF>(y, filters, 1, n);
                a2 = Start<TW, TU, TF>(y, filters, 2, n);
                a3 = Start<TW, TU, TF>(y, filters, 3, n);
                a4 = Start<TW, TU, TF>(y, filters, 4, n);
                a5 = Start<TW, TU, TF>(y, filters, 5, n);
                c0 = Start<TW, TU, TF>(yc, filters, 0, n);
                c1 = Start<TW, TU, TF>(yc, filters, 1, n);
                c2 = Start<TW, TU, TF>(yc, filters, 2, n);
                c3 = Start<TW, TU, TF>(yc, filters, 3, n);
                c4 = Start<TW, TU, TF>(yc, filters, 4, n);
                c5 = Start<TW, TU, TF>(yc, filters, 5, n);
            }

            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wa = TW.LoadSingle(w), wc = TW.LoadSingle(w + TW.Count);
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, wa, a0);
                    c0 = TW.FusedMultiplyAdd(v, wc, c0);
                    v = TW.BroadcastSingle(x[s1]);
                    a1 = TW.FusedMultiplyAdd(v, wa, a1);
                    c1 = TW.FusedMultiplyAdd(v, wc, c1);
                    v = TW.BroadcastSingle(x[s2]);
                    a2 = TW.FusedMultiplyAdd(v, wa, a2);
                    c2 = TW.FusedMultiplyAdd(v, wc, c2);
                    v = TW.BroadcastSingle(x[s3]);
                    a3 = TW.FusedMultiplyAdd(v, wa, a3);
                    c3 = TW.FusedMultiplyAdd(v, wc, c3);
                    v = TW.BroadcastSingle(x[s4]);
                    a4 = TW.FusedMultiplyAdd(v, wa, a4);
                    c4 = TW.FusedMultiplyAdd(v, wc, c4);
                    v = TW.BroadcastSingle(x[s5]);
                    a5 = TW.FusedMultiplyAdd(v, wa, a5);
                    c5 = TW.FusedMultiplyAdd(v, wc, c5);
                }
            }

            if (Ends)
            {
                TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
                a0 = TW.AddSingle(a0, ba);
                a1 = TW.AddSingle(a1, ba);
                a2 = TW.AddSingle(a2, ba);
                a3 = TW.AddSingle(a3, ba);
                a4 = TW.AddSingle(a4, ba);
                a5 = TW.AddSingle(a5, ba);
                c0 = TW.AddSingle(c0, bc);
                c1 = TW.AddSingle(c1, bc);
                c2 = TW.AddSingle(c2, bc);
                c3 = TW.AddSingle(c3, bc);
                c4 = TW.AddSingle(c4, bc);
                c5 = TW.AddSingle(c5, bc);
            }

            if (n == 6)
            {
                TW.StoreSingle(a0, y);
                TW.StoreSingle(c0, yc);
                TW.StoreSingle(a1, y + filters);
                TW.StoreSingle(c1, yc + filters);
                TW.StoreSingle(a2, y + (2 * filters));
                TW.StoreSingle(c2, yc + (2 * filters));
                TW.StoreSingle(a3, y + (3 * filters));
                TW.StoreSingle(c3, yc + (3 * filters));
                TW.StoreSingle(a4, y + (4 * filters));
                TW.StoreSingle(c4, yc + (4 * filters));
                TW.StoreSingle(a5, y + (5 * filters));
                TW.StoreSingle(c5, yc + (5 * filters));
                return;
            }

            Keep<TW, TU, TF>(a0, y, filters, 0, n);
            Keep<TW, TU, TF>(c0, yc, filters, 0, n);
            Keep<TW, TU, TF>(a1, y, filters, 1, n);
            Keep<TW, TU, TF>(c1, yc, filters, 1, n);
            Keep<TW, TU, TF>(a2, y, filters, 2, n);
            Keep<TW, TU, TF>(c2, yc, filters, 2, n);
            Keep<TW, TU, TF>(a3, y, filters, 3, n);
            Keep<TW, TU, TF>(c3, yc, filters, 3, n);
            Keep<TW, TU, TF>(a4, y, filters, 4, n);
            Keep<TW, TU, TF>(c4, yc, filters, 4, n);
            Keep<TW, TU, TF>(a5, y, filters, 5, n);
            Keep<TW, TU, TF>(c5, yc, filters, 5, n);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels8Pair<TW, TU, TF>(float* origin, nint step, int n, float* weight, float* bias, float* y)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step), s7 = Slot(7, n, step);
            nint filters = Filters;
            float* yc = y + TW.Count;
            TF a0, a1, a2, a3, a4, a5, a6, a7;
            TF c0, c1, c2, c3, c4, c5, c6, c7;
            if (Begins)
            {
                a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 =
                    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = TW.BroadcastSingle(0f);
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
                c0 = Start<TW, TU, TF>(yc, filters, 0, n);
                c1 = Start<TW, TU, TF>(yc, filters, 1, n);
                c2 = Start<TW, TU, TF>(yc, filters, 2, n);
                c3 = Start<TW, TU, TF>(yc, filters, 3, n);
                c4 = Start<TW, TU, TF>(yc, filters, 4, n);
                c5 = Start<TW, TU, TF>(yc, filters, 5, n);
                c6 = Start<TW, TU, TF>(yc, filters, 6, n);
                c7 = Start<TW, TU, TF>(yc, filters, 7, n);
            }

            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wa = TW.LoadSingle(w), wc = TW.LoadSingle(w + TW.Count);
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, wa, a0);
                    c0 = TW.FusedMultiplyAdd(v, wc, c0);
                    v = TW.BroadcastSingle(x[s1]);
                    a1 = TW.FusedMultiplyAdd(v, wa, a1);
                    c1 = TW.FusedMultiplyAdd(v, wc, c1);
                    v = TW.BroadcastSingle(x[s2]);
                    a2 = TW.FusedMultiplyAdd(v, wa, a2);
                    c2 = TW.FusedMultiplyAdd(v, wc, c2);
                    v = TW.BroadcastSingle(x[s3]);
                    a3 = TW.FusedMultiplyAdd(v, wa, a3);
                    c3 = TW.FusedMultiplyAdd(v, wc, c3);
                    v = TW.BroadcastSingle(x[s4]);
                    a4 = TW.FusedMultiplyAdd(v, wa, a4);
                    c4 = TW.FusedMultiplyAdd(v, wc, c4);
                    v = TW.BroadcastSingle(x[s5]);
                    a5 = TW.FusedMultiplyAdd(v, wa, a5);
                    c5 = TW.FusedMultiplyAdd(v, wc, c5);
                    v = TW.BroadcastSingle(x[s6]);
                    a6 = TW.FusedMultiplyAdd(v, wa, a6);
                    c6 = TW.FusedMultiplyAdd(v, wc, c6);
                    v = TW.BroadcastSingle(x[s7]);
                    a7 = TW.FusedMultiplyAdd(v, wa, a7);
                    c7 = TW.FusedMultiplyAdd(v, wc, c7);
                }
            }

            if (Ends)
            {
                TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
                a0 = TW.AddSingle(a0, ba);
                a1 = TW.AddSingle(a1, ba);
                a2 = TW.AddSingle(a2, ba);
                a3 = TW.AddSingle(a3, ba);
                a4 = TW.AddSingle(a4, ba);
                a5 = TW.AddSingle(a5, ba);
                a6 = TW.AddSingle(a6, ba);
                a7 = TW.AddSingle(a7, ba);
                c0 = TW.AddSingle(c0, bc);
                c1 = TW.AddSingle(c1, bc);
                c2 = TW.AddSingle(c2, bc);
                c3 = TW.AddSingle(c3, bc);
                c4 = TW.AddSingle(c4, bc);
                c5 = TW.AddSingle(c5, bc);
                c6 = TW.AddSingle(c6, bc);
                c7 = TW.AddSingle(c7, bc);
            }

            if (n == 8)
            {
                TW.StoreSingle(a0, y);
                TW.StoreSingle(c0, yc);
                TW.StoreSingle(a1, y + filters);
                TW.StoreSingle(c1, yc + filters);
                TW.StoreSingle(a2, y + (2 * filters));
                TW.StoreSingle(c2, yc + (2 * filters));
                TW.StoreSingle(a3, y + (3 * filters));
                TW.StoreSingle(c3, yc + (3 * filters));
                TW.StoreSingle(a4, y + (4 * filters));
                TW.StoreSingle(c4, yc + (4 * filters));
                TW.StoreSingle(a5, y + (5 * filters));
                TW.StoreSingle(c5, yc + (5 * filters));
                TW.StoreSingle(a6, y + (6 * filters));
                TW.StoreSingle(c6, yc + (6 * filters));
                TW.StoreSingle(a7, y + (7 * filters));
                TW.StoreSingle(c7, yc + (7 * filters));
                return;
            }

            Keep<TW, TU, TF>(a0, y, filters, 0, n);
            Keep<TW, TU, TF>(c0, yc, filters, 0, n);
            Keep<TW, TU, TF>(a1, y, filters, 1, n);
            Keep<TW, TU, TF>(c1, yc, filters, 1, n);
            Keep<TW, TU, TF>(a2, y, filters, 2, n);
            Keep<TW, TU, TF>(c2, yc, filters, 2, n);
            Keep<TW, TU, TF>(a3, y, filters, 3, n);
            Keep<TW, TU, TF>(c3, yc, filters, 3, n);
            Keep<TW, TU, TF>(a4, y, filters, 4, n);
            Keep<TW, TU, TF>(c4, yc, filters, 4, n);
            Keep<TW, TU, TF>(a5, y, filters, 5, n);
            Keep<TW, TU, TF>(c5, yc, filters, 5, n);
            Keep<TW, TU, TF>(a6, y, filters, 6, n);
            Keep<TW, TU, TF>(c6, yc, filters, 6, n);
            Keep<TW, TU, TF>(a7, y, filters, 7, n);
            Keep<TW, TU, TF>(c7, yc, filters, 7, n);
        }

        /// <summary>
        /// <see cref="Pixels8Pair{TW, TU, TF}"/> for a block of at most seven pixels on two output rows at once (28 sums, the
        /// most AVX-512's 32 registers hold with the two weight vectors and a broadcast): each pair of weight loads feeds 28
        /// FMAs instead of 16, and a 14-pixel row (two blocks of seven) has no spare slot.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels7PairTwoRows<TW, TU, TF>(float* origin, nint step, int n, nint rowStep, float* weight, float* bias, float* y, nint yRowStep)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step);
            nint filters = Filters;
            float* yc = y + TW.Count, yb = y + yRowStep, yd = yb + TW.Count;
            TF a0, a1, a2, a3, a4, a5, a6;
            TF c0, c1, c2, c3, c4, c5, c6;
            TF b0, b1, b2, b3, b4, b5, b6;
            TF d0, d1, d2, d3, d4, d5, d6;
            if (Begins)
            {
                a0 = a1 = a2 = a3 = a4 = a5 = a6 =
                    c0 = c1 = c2 = c3 = c4 = c5 = c6 =
                    b0 = b1 = b2 = b3 = b4 = b5 = b6 =
                    d0 = d1 = d2 = d3 = d4 = d5 = d6 = TW.BroadcastSingle(0f);
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
                c0 = Start<TW, TU, TF>(yc, filters, 0, n);
                c1 = Start<TW, TU, TF>(yc, filters, 1, n);
                c2 = Start<TW, TU, TF>(yc, filters, 2, n);
                c3 = Start<TW, TU, TF>(yc, filters, 3, n);
                c4 = Start<TW, TU, TF>(yc, filters, 4, n);
                c5 = Start<TW, TU, TF>(yc, filters, 5, n);
                c6 = Start<TW, TU, TF>(yc, filters, 6, n);
                b0 = Start<TW, TU, TF>(yb, filters, 0, n);
                b1 = Start<TW, TU, TF>(yb, filters, 1, n);
                b2 = Start<TW, TU, TF>(yb, filters, 2, n);
                b3 = Start<TW, TU, TF>(yb, filters, 3, n);
                b4 = Start<TW, TU, TF>(yb, filters, 4, n);
                b5 = Start<TW, TU, TF>(yb, filters, 5, n);
                b6 = Start<TW, TU, TF>(yb, filters, 6, n);
                d0 = Start<TW, TU, TF>(yd, filters, 0, n);
                d1 = Start<TW, TU, TF>(yd, filters, 1, n);
                d2 = Start<TW, TU, TF>(yd, filters, 2, n);
                d3 = Start<TW, TU, TF>(yd, filters, 3, n);
                d4 = Start<TW, TU, TF>(yd, filters, 4, n);
                d5 = Start<TW, TU, TF>(yd, filters, 5, n);
                d6 = Start<TW, TU, TF>(yd, filters, 6, n);
            }

            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wa = TW.LoadSingle(w), wc = TW.LoadSingle(w + TW.Count);
                    float* x2 = x + rowStep;
                    TF v = TW.BroadcastSingle(*x);
                    a0 = TW.FusedMultiplyAdd(v, wa, a0);
                    c0 = TW.FusedMultiplyAdd(v, wc, c0);
                    v = TW.BroadcastSingle(*x2);
                    b0 = TW.FusedMultiplyAdd(v, wa, b0);
                    d0 = TW.FusedMultiplyAdd(v, wc, d0);
                    v = TW.BroadcastSingle(x[s1]);
                    a1 = TW.FusedMultiplyAdd(v, wa, a1);
                    c1 = TW.FusedMultiplyAdd(v, wc, c1);
                    v = TW.BroadcastSingle(x2[s1]);
                    b1 = TW.FusedMultiplyAdd(v, wa, b1);
                    d1 = TW.FusedMultiplyAdd(v, wc, d1);
                    v = TW.BroadcastSingle(x[s2]);
                    a2 = TW.FusedMultiplyAdd(v, wa, a2);
                    c2 = TW.FusedMultiplyAdd(v, wc, c2);
                    v = TW.BroadcastSingle(x2[s2]);
                    b2 = TW.FusedMultiplyAdd(v, wa, b2);
                    d2 = TW.FusedMultiplyAdd(v, wc, d2);
                    v = TW.BroadcastSingle(x[s3]);
                    a3 = TW.FusedMultiplyAdd(v, wa, a3);
                    c3 = TW.FusedMultiplyAdd(v, wc, c3);
                    v = TW.BroadcastSingle(x2[s3]);
                    b3 = TW.FusedMultiplyAdd(v, wa, b3);
                    d3 = TW.FusedMultiplyAdd(v, wc, d3);
                    v = TW.BroadcastSingle(x[s4]);
                    a4 = TW.FusedMultiplyAdd(v, wa, a4);
                    c4 = TW.FusedMultiplyAdd(v, wc, c4);
                    v = TW.BroadcastSingle(x2[s4]);
                    b4 = TW.FusedMultiplyAdd(v, wa, b4);
                    d4 = TW.FusedMultiplyAdd(v, wc, d4);
                    v = TW.BroadcastSingle(x[s5]);
                    a5 = TW.FusedMultiplyAdd(v, wa, a5);
                    c5 = TW.FusedMultiplyAdd(v, wc, c5);
                    v = TW.BroadcastSingle(x2[s5]);
                    b5 = TW.FusedMultiplyAdd(v, wa, b5);
                    d5 = TW.FusedMultiplyAdd(v, wc, d5);
                    v = TW.BroadcastSingle(x[s6]);
                    a6 = TW.FusedMultiplyAdd(v, wa, a6);
                    c6 = TW.FusedMultiplyAdd(v, wc, c6);
                    v = TW.BroadcastSingle(x2[s6]);
                    b6 = TW.FusedMultiplyAdd(v, wa, b6);
                    d6 = TW.FusedMultiplyAdd(v, wc, d6);
                }
            }

            if (Ends)
            {
                TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
                a0 = TW.AddSingle(a0, ba);
                a1 = TW.AddSingle(a1, ba);
                a2 = TW.AddSingle(a2, ba);
                a3 = TW.AddSingle(a3, ba);
                a4 = TW.AddSingle(a4, ba);
                a5 = TW.AddSingle(a5, ba);
                a6 = TW.AddSingle(a6, ba);
                c0 = TW.AddSingle(c0, bc);
                c1 = TW.AddSingle(c1, bc);
                c2 = TW.AddSingle(c2, bc);
                c3 = TW.AddSingle(c3, bc);
                c4 = TW.AddSingle(c4, bc);
                c5 = TW.AddSingle(c5, bc);
                c6 = TW.AddSingle(c6, bc);
                b0 = TW.AddSingle(b0, ba);
                b1 = TW.AddSingle(b1, ba);
                b2 = TW.AddSingle(b2, ba);
                b3 = TW.AddSingle(b3, ba);
                b4 = TW.AddSingle(b4, ba);
                b5 = TW.AddSingle(b5, ba);
                b6 = TW.AddSingle(b6, ba);
                d0 = TW.AddSingle(d0, bc);
                d1 = TW.AddSingle(d1, bc);
                d2 = TW.AddSingle(d2, bc);
                d3 = TW.AddSingle(d3, bc);
                d4 = TW.AddSingle(d4, bc);
                d5 = TW.AddSingle(d5, bc);
                d6 = TW.AddSingle(d6, bc);
            }

            if (n == 7)
            {
                TW.StoreSingle(a0, y);
                TW.StoreSingle(c0, yc);
                TW.StoreSingle(b0, yb);
                TW.StoreSingle(d0, yd);
                TW.StoreSingle(a1, y + filters);
                TW.StoreSingle(c1, yc + filters);
                TW.StoreSingle(b1, yb + filters);
                TW.StoreSingle(d1, yd + filters);
                TW.StoreSingle(a2, y + (2 * filters));
                TW.StoreSingle(c2, yc + (2 * filters));
                TW.StoreSingle(b2, yb + (2 * filters));
                TW.StoreSingle(d2, yd + (2 * filters));
                TW.StoreSingle(a3, y + (3 * filters));
                TW.StoreSingle(c3, yc + (3 * filters));
                TW.StoreSingle(b3, yb + (3 * filters));
                TW.StoreSingle(d3, yd + (3 * filters));
                TW.StoreSingle(a4, y + (4 * filters));
                TW.StoreSingle(c4, yc + (4 * filters));
                TW.StoreSingle(b4, yb + (4 * filters));
                TW.StoreSingle(d4, yd + (4 * filters));
                TW.StoreSingle(a5, y + (5 * filters));
                TW.StoreSingle(c5, yc + (5 * filters));
                TW.StoreSingle(b5, yb + (5 * filters));
                TW.StoreSingle(d5, yd + (5 * filters));
                TW.StoreSingle(a6, y + (6 * filters));
                TW.StoreSingle(c6, yc + (6 * filters));
                TW.StoreSingle(b6, yb + (6 * filters));
                TW.StoreSingle(d6, yd + (6 * filters));
                return;
            }

            Keep<TW, TU, TF>(a0, y, filters, 0, n);
            Keep<TW, TU, TF>(c0, yc, filters, 0, n);
            Keep<TW, TU, TF>(b0, yb, filters, 0, n);
            Keep<TW, TU, TF>(d0, yd, filters, 0, n);
            Keep<TW, TU, TF>(a1, y, filters, 1, n);
            Keep<TW, TU, TF>(c1, yc, filters, 1, n);
            Keep<TW, TU, TF>(b1, yb, filters, 1, n);
            Keep<TW, TU, TF>(d1, yd, filters, 1, n);
            Keep<TW, TU, TF>(a2, y, filters, 2, n);
            Keep<TW, TU, TF>(c2, yc, filters, 2, n);
            Keep<TW, TU, TF>(b2, yb, filters, 2, n);
            Keep<TW, TU, TF>(d2, yd, filters, 2, n);
            Keep<TW, TU, TF>(a3, y, filters, 3, n);
            Keep<TW, TU, TF>(c3, yc, filters, 3, n);
            Keep<TW, TU, TF>(b3, yb, filters, 3, n);
            Keep<TW, TU, TF>(d3, yd, filters, 3, n);
            Keep<TW, TU, TF>(a4, y, filters, 4, n);
            Keep<TW, TU, TF>(c4, yc, filters, 4, n);
            Keep<TW, TU, TF>(b4, yb, filters, 4, n);
            Keep<TW, TU, TF>(d4, yd, filters, 4, n);
            Keep<TW, TU, TF>(a5, y, filters, 5, n);
            Keep<TW, TU, TF>(c5, yc, filters, 5, n);
            Keep<TW, TU, TF>(b5, yb, filters, 5, n);
            Keep<TW, TU, TF>(d5, yd, filters, 5, n);
            Keep<TW, TU, TF>(a6, y, filters, 6, n);
            Keep<TW, TU, TF>(c6, yc, filters, 6, n);
            Keep<TW, TU, TF>(b6, yb, filters, 6, n);
            Keep<TW, TU, TF>(d6, yd, filters, 6, n);
        }

        /// <summary>
        /// <see cref="Pixels8{TW, TU, TF}"/> for a block of at most seven pixels on four output rows at once (28 sums), for a
        /// layer with a single vector of filters: each weight load feeds 28 FMAs, and a row of 14 or 28 pixels (blocks of
        /// seven) has no spare slot. The loads are one per FMA plus one, against 17 per 14 FMAs on two rows of eight-pixel slots.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Pixels7FourRows<TW, TU, TF>(float* origin, nint step, int n, nint rowStep, float* weight, float* bias, float* y, nint yRowStep)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            nint s1 = Slot(1, n, step), s2 = Slot(2, n, step), s3 = Slot(3, n, step), s4 = Slot(4, n, step), s5 = Slot(5, n, step), s6 = Slot(6, n, step);
            nint filters = Filters;
            float* yb = y + yRowStep, yc = yb + yRowStep, yd = yc + yRowStep;
            TF a0, a1, a2, a3, a4, a5, a6;
            TF b0, b1, b2, b3, b4, b5, b6;
            TF c0, c1, c2, c3, c4, c5, c6;
            TF d0, d1, d2, d3, d4, d5, d6;
            if (Begins)
            {
                a0 = a1 = a2 = a3 = a4 = a5 = a6 =
                    b0 = b1 = b2 = b3 = b4 = b5 = b6 =
                    c0 = c1 = c2 = c3 = c4 = c5 = c6 =
                    d0 = d1 = d2 = d3 = d4 = d5 = d6 = TW.BroadcastSingle(0f);
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
                b0 = Start<TW, TU, TF>(yb, filters, 0, n);
                b1 = Start<TW, TU, TF>(yb, filters, 1, n);
                b2 = Start<TW, TU, TF>(yb, filters, 2, n);
                b3 = Start<TW, TU, TF>(yb, filters, 3, n);
                b4 = Start<TW, TU, TF>(yb, filters, 4, n);
                b5 = Start<TW, TU, TF>(yb, filters, 5, n);
                b6 = Start<TW, TU, TF>(yb, filters, 6, n);
                c0 = Start<TW, TU, TF>(yc, filters, 0, n);
                c1 = Start<TW, TU, TF>(yc, filters, 1, n);
                c2 = Start<TW, TU, TF>(yc, filters, 2, n);
                c3 = Start<TW, TU, TF>(yc, filters, 3, n);
                c4 = Start<TW, TU, TF>(yc, filters, 4, n);
                c5 = Start<TW, TU, TF>(yc, filters, 5, n);
                c6 = Start<TW, TU, TF>(yc, filters, 6, n);
                d0 = Start<TW, TU, TF>(yd, filters, 0, n);
                d1 = Start<TW, TU, TF>(yd, filters, 1, n);
                d2 = Start<TW, TU, TF>(yd, filters, 2, n);
                d3 = Start<TW, TU, TF>(yd, filters, 3, n);
                d4 = Start<TW, TU, TF>(yd, filters, 4, n);
                d5 = Start<TW, TU, TF>(yd, filters, 5, n);
                d6 = Start<TW, TU, TF>(yd, filters, 6, n);
            }

            for (int kh = FirstRow; kh < FirstRow + Rows; kh++)
            {
                float* x = origin + (kh * RowFloats);
                float* w = weight + (kh * Run * filters);
                for (float* end = x + Run; x < end; x++, w += filters)
                {
                    TF wv = TW.LoadSingle(w);
                    float* xb = x + rowStep, xc = xb + rowStep, xd = xc + rowStep;
                    a0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*x), wv, a0);
                    b0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*xb), wv, b0);
                    c0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*xc), wv, c0);
                    d0 = TW.FusedMultiplyAdd(TW.BroadcastSingle(*xd), wv, d0);
                    a1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s1]), wv, a1);
                    b1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s1]), wv, b1);
                    c1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s1]), wv, c1);
                    d1 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s1]), wv, d1);
                    a2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s2]), wv, a2);
                    b2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s2]), wv, b2);
                    c2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s2]), wv, c2);
                    d2 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s2]), wv, d2);
                    a3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s3]), wv, a3);
                    b3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s3]), wv, b3);
                    c3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s3]), wv, c3);
                    d3 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s3]), wv, d3);
                    a4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s4]), wv, a4);
                    b4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s4]), wv, b4);
                    c4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s4]), wv, c4);
                    d4 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s4]), wv, d4);
                    a5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s5]), wv, a5);
                    b5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s5]), wv, b5);
                    c5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s5]), wv, c5);
                    d5 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s5]), wv, d5);
                    a6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(x[s6]), wv, a6);
                    b6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xb[s6]), wv, b6);
                    c6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xc[s6]), wv, c6);
                    d6 = TW.FusedMultiplyAdd(TW.BroadcastSingle(xd[s6]), wv, d6);
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
                b0 = TW.AddSingle(b0, bv);
                b1 = TW.AddSingle(b1, bv);
                b2 = TW.AddSingle(b2, bv);
                b3 = TW.AddSingle(b3, bv);
                b4 = TW.AddSingle(b4, bv);
                b5 = TW.AddSingle(b5, bv);
                b6 = TW.AddSingle(b6, bv);
                c0 = TW.AddSingle(c0, bv);
                c1 = TW.AddSingle(c1, bv);
                c2 = TW.AddSingle(c2, bv);
                c3 = TW.AddSingle(c3, bv);
                c4 = TW.AddSingle(c4, bv);
                c5 = TW.AddSingle(c5, bv);
                c6 = TW.AddSingle(c6, bv);
                d0 = TW.AddSingle(d0, bv);
                d1 = TW.AddSingle(d1, bv);
                d2 = TW.AddSingle(d2, bv);
                d3 = TW.AddSingle(d3, bv);
                d4 = TW.AddSingle(d4, bv);
                d5 = TW.AddSingle(d5, bv);
                d6 = TW.AddSingle(d6, bv);
            }

            if (n == 7)
            {
                TW.StoreSingle(a0, y);
                TW.StoreSingle(b0, yb);
                TW.StoreSingle(c0, yc);
                TW.StoreSingle(d0, yd);
                TW.StoreSingle(a1, y + filters);
                TW.StoreSingle(b1, yb + filters);
                TW.StoreSingle(c1, yc + filters);
                TW.StoreSingle(d1, yd + filters);
                TW.StoreSingle(a2, y + (2 * filters));
                TW.StoreSingle(b2, yb + (2 * filters));
                TW.StoreSingle(c2, yc + (2 * filters));
                TW.StoreSingle(d2, yd + (2 * filters));
                TW.StoreSingle(a3, y + (3 * filters));
                TW.StoreSingle(b3, yb + (3 * filters));
                TW.StoreSingle(c3, yc + (3 * filters));
                TW.StoreSingle(d3, yd + (3 * filters));
                TW.StoreSingle(a4, y + (4 * filters));
                TW.StoreSingle(b4, yb + (4 * filters));
                TW.StoreSingle(c4, yc + (4 * filters));
                TW.StoreSingle(d4, yd + (4 * filters));
                TW.StoreSingle(a5, y + (5 * filters));
                TW.StoreSingle(b5, yb + (5 * filters));
                TW.StoreSingle(c5, yc + (5 * filters));
                TW.StoreSingle(d5, yd + (5 * filters));
                TW.StoreSingle(a6, y + (6 * filters));
                TW.StoreSingle(b6, yb + (6 * filters));
                TW.StoreSingle(c6, yc + (6 * filters));
                TW.StoreSingle(d6, yd + (6 * filters));
                return;
            }

            Keep<TW, TU, TF>(a0, y, filters, 0, n);
            Keep<TW, TU, TF>(b0, yb, filters, 0, n);
            Keep<TW, TU, TF>(c0, yc, filters, 0, n);
            Keep<TW, TU, TF>(d0, yd, filters, 0, n);
            Keep<TW, TU, TF>(a1, y, filters, 1, n);
            Keep<TW, TU, TF>(b1, yb, filters, 1, n);
            Keep<TW, TU, TF>(c1, yc, filters, 1, n);
            Keep<TW, TU, TF>(d1, yd, filters, 1, n);
            Keep<TW, TU, TF>(a2, y, filters, 2, n);
            Keep<TW, TU, TF>(b2, yb, filters, 2, n);
            Keep<TW, TU, TF>(c2, yc, filters, 2, n);
            Keep<TW, TU, TF>(d2, yd, filters, 2, n);
            Keep<TW, TU, TF>(a3, y, filters, 3, n);
            Keep<TW, TU, TF>(b3, yb, filters, 3, n);
            Keep<TW, TU, TF>(c3, yc, filters, 3, n);
            Keep<TW, TU, TF>(d3, yd, filters, 3, n);
            Keep<TW, TU, TF>(a4, y, filters, 4, n);
            Keep<TW, TU, TF>(b4, yb, filters, 4, n);
            Keep<TW, TU, TF>(c4, yc, filters, 4, n);
            Keep<TW, TU, TF>(d4, yd, filters, 4, n);
            Keep<TW, TU, TF>(a5, y, filters, 5, n);
            Keep<TW, TU, TF>(b5, yb, filters, 5, n);
            Keep<TW, TU, TF>(c5, yc, filters, 5, n);
            Keep<TW, TU, TF>(d5, yd, filters, 5, n);
            Keep<TW, TU, TF>(a6, y, filters, 6, n);
            Keep<TW, TU, TF>(b6, yb, filters, 6, n);
            Keep<TW, TU, TF>(c6, yc, filters, 6, n);
            Keep<TW, TU, TF>(d6, yd, filters, 6, n);
        }
    }
}
