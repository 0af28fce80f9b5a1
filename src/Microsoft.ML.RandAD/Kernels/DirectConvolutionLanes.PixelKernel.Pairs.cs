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
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n), a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n), c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n);
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

            TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
            Finish<TW, TU, TF>(a0, ba, y, filters, 0, n);
            Finish<TW, TU, TF>(c0, bc, yc, filters, 0, n);
            Finish<TW, TU, TF>(a1, ba, y, filters, 1, n);
            Finish<TW, TU, TF>(c1, bc, yc, filters, 1, n);
            Finish<TW, TU, TF>(a2, ba, y, filters, 2, n);
            Finish<TW, TU, TF>(c2, bc, yc, filters, 2, n);
            Finish<TW, TU, TF>(a3, ba, y, filters, 3, n);
            Finish<TW, TU, TF>(c3, bc, yc, filters, 3, n);
            Finish<TW, TU, TF>(a4, ba, y, filters, 4, n);
            Finish<TW, TU, TF>(c4, bc, yc, filters, 4, n);
            Finish<TW, TU, TF>(a5, ba, y, filters, 5, n);
            Finish<TW, TU, TF>(c5, bc, yc, filters, 5, n);
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
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n);
            TF a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n), a7 = Start<TW, TU, TF>(y, filters, 7, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n);
            TF c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n), c6 = Start<TW, TU, TF>(yc, filters, 6, n), c7 = Start<TW, TU, TF>(yc, filters, 7, n);
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

            TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
            Finish<TW, TU, TF>(a0, ba, y, filters, 0, n);
            Finish<TW, TU, TF>(c0, bc, yc, filters, 0, n);
            Finish<TW, TU, TF>(a1, ba, y, filters, 1, n);
            Finish<TW, TU, TF>(c1, bc, yc, filters, 1, n);
            Finish<TW, TU, TF>(a2, ba, y, filters, 2, n);
            Finish<TW, TU, TF>(c2, bc, yc, filters, 2, n);
            Finish<TW, TU, TF>(a3, ba, y, filters, 3, n);
            Finish<TW, TU, TF>(c3, bc, yc, filters, 3, n);
            Finish<TW, TU, TF>(a4, ba, y, filters, 4, n);
            Finish<TW, TU, TF>(c4, bc, yc, filters, 4, n);
            Finish<TW, TU, TF>(a5, ba, y, filters, 5, n);
            Finish<TW, TU, TF>(c5, bc, yc, filters, 5, n);
            Finish<TW, TU, TF>(a6, ba, y, filters, 6, n);
            Finish<TW, TU, TF>(c6, bc, yc, filters, 6, n);
            Finish<TW, TU, TF>(a7, ba, y, filters, 7, n);
            Finish<TW, TU, TF>(c7, bc, yc, filters, 7, n);
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
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n), a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n), c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n), c6 = Start<TW, TU, TF>(yc, filters, 6, n);
            TF b0 = Start<TW, TU, TF>(yb, filters, 0, n), b1 = Start<TW, TU, TF>(yb, filters, 1, n), b2 = Start<TW, TU, TF>(yb, filters, 2, n), b3 = Start<TW, TU, TF>(yb, filters, 3, n), b4 = Start<TW, TU, TF>(yb, filters, 4, n), b5 = Start<TW, TU, TF>(yb, filters, 5, n), b6 = Start<TW, TU, TF>(yb, filters, 6, n);
            TF d0 = Start<TW, TU, TF>(yd, filters, 0, n), d1 = Start<TW, TU, TF>(yd, filters, 1, n), d2 = Start<TW, TU, TF>(yd, filters, 2, n), d3 = Start<TW, TU, TF>(yd, filters, 3, n), d4 = Start<TW, TU, TF>(yd, filters, 4, n), d5 = Start<TW, TU, TF>(yd, filters, 5, n), d6 = Start<TW, TU, TF>(yd, filters, 6, n);
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

            TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);
            Finish<TW, TU, TF>(a0, ba, y, filters, 0, n);
            Finish<TW, TU, TF>(c0, bc, yc, filters, 0, n);
            Finish<TW, TU, TF>(b0, ba, yb, filters, 0, n);
            Finish<TW, TU, TF>(d0, bc, yd, filters, 0, n);
            Finish<TW, TU, TF>(a1, ba, y, filters, 1, n);
            Finish<TW, TU, TF>(c1, bc, yc, filters, 1, n);
            Finish<TW, TU, TF>(b1, ba, yb, filters, 1, n);
            Finish<TW, TU, TF>(d1, bc, yd, filters, 1, n);
            Finish<TW, TU, TF>(a2, ba, y, filters, 2, n);
            Finish<TW, TU, TF>(c2, bc, yc, filters, 2, n);
            Finish<TW, TU, TF>(b2, ba, yb, filters, 2, n);
            Finish<TW, TU, TF>(d2, bc, yd, filters, 2, n);
            Finish<TW, TU, TF>(a3, ba, y, filters, 3, n);
            Finish<TW, TU, TF>(c3, bc, yc, filters, 3, n);
            Finish<TW, TU, TF>(b3, ba, yb, filters, 3, n);
            Finish<TW, TU, TF>(d3, bc, yd, filters, 3, n);
            Finish<TW, TU, TF>(a4, ba, y, filters, 4, n);
            Finish<TW, TU, TF>(c4, bc, yc, filters, 4, n);
            Finish<TW, TU, TF>(b4, ba, yb, filters, 4, n);
            Finish<TW, TU, TF>(d4, bc, yd, filters, 4, n);
            Finish<TW, TU, TF>(a5, ba, y, filters, 5, n);
            Finish<TW, TU, TF>(c5, bc, yc, filters, 5, n);
            Finish<TW, TU, TF>(b5, ba, yb, filters, 5, n);
            Finish<TW, TU, TF>(d5, bc, yd, filters, 5, n);
            Finish<TW, TU, TF>(a6, ba, y, filters, 6, n);
            Finish<TW, TU, TF>(c6, bc, yc, filters, 6, n);
            Finish<TW, TU, TF>(b6, ba, yb, filters, 6, n);
            Finish<TW, TU, TF>(d6, bc, yd, filters, 6, n);
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
            TF a0 = Start<TW, TU, TF>(y, filters, 0, n), a1 = Start<TW, TU, TF>(y, filters, 1, n), a2 = Start<TW, TU, TF>(y, filters, 2, n), a3 = Start<TW, TU, TF>(y, filters, 3, n), a4 = Start<TW, TU, TF>(y, filters, 4, n), a5 = Start<TW, TU, TF>(y, filters, 5, n), a6 = Start<TW, TU, TF>(y, filters, 6, n);
            TF b0 = Start<TW, TU, TF>(yb, filters, 0, n), b1 = Start<TW, TU, TF>(yb, filters, 1, n), b2 = Start<TW, TU, TF>(yb, filters, 2, n), b3 = Start<TW, TU, TF>(yb, filters, 3, n), b4 = Start<TW, TU, TF>(yb, filters, 4, n), b5 = Start<TW, TU, TF>(yb, filters, 5, n), b6 = Start<TW, TU, TF>(yb, filters, 6, n);
            TF c0 = Start<TW, TU, TF>(yc, filters, 0, n), c1 = Start<TW, TU, TF>(yc, filters, 1, n), c2 = Start<TW, TU, TF>(yc, filters, 2, n), c3 = Start<TW, TU, TF>(yc, filters, 3, n), c4 = Start<TW, TU, TF>(yc, filters, 4, n), c5 = Start<TW, TU, TF>(yc, filters, 5, n), c6 = Start<TW, TU, TF>(yc, filters, 6, n);
            TF d0 = Start<TW, TU, TF>(yd, filters, 0, n), d1 = Start<TW, TU, TF>(yd, filters, 1, n), d2 = Start<TW, TU, TF>(yd, filters, 2, n), d3 = Start<TW, TU, TF>(yd, filters, 3, n), d4 = Start<TW, TU, TF>(yd, filters, 4, n), d5 = Start<TW, TU, TF>(yd, filters, 5, n), d6 = Start<TW, TU, TF>(yd, filters, 6, n);
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

            TF bv = TW.LoadSingle(bias);
            Finish<TW, TU, TF>(a0, bv, y, filters, 0, n);
            Finish<TW, TU, TF>(b0, bv, yb, filters, 0, n);
            Finish<TW, TU, TF>(c0, bv, yc, filters, 0, n);
            Finish<TW, TU, TF>(d0, bv, yd, filters, 0, n);
            Finish<TW, TU, TF>(a1, bv, y, filters, 1, n);
            Finish<TW, TU, TF>(b1, bv, yb, filters, 1, n);
            Finish<TW, TU, TF>(c1, bv, yc, filters, 1, n);
            Finish<TW, TU, TF>(d1, bv, yd, filters, 1, n);
            Finish<TW, TU, TF>(a2, bv, y, filters, 2, n);
            Finish<TW, TU, TF>(b2, bv, yb, filters, 2, n);
            Finish<TW, TU, TF>(c2, bv, yc, filters, 2, n);
            Finish<TW, TU, TF>(d2, bv, yd, filters, 2, n);
            Finish<TW, TU, TF>(a3, bv, y, filters, 3, n);
            Finish<TW, TU, TF>(b3, bv, yb, filters, 3, n);
            Finish<TW, TU, TF>(c3, bv, yc, filters, 3, n);
            Finish<TW, TU, TF>(d3, bv, yd, filters, 3, n);
            Finish<TW, TU, TF>(a4, bv, y, filters, 4, n);
            Finish<TW, TU, TF>(b4, bv, yb, filters, 4, n);
            Finish<TW, TU, TF>(c4, bv, yc, filters, 4, n);
            Finish<TW, TU, TF>(d4, bv, yd, filters, 4, n);
            Finish<TW, TU, TF>(a5, bv, y, filters, 5, n);
            Finish<TW, TU, TF>(b5, bv, yb, filters, 5, n);
            Finish<TW, TU, TF>(c5, bv, yc, filters, 5, n);
            Finish<TW, TU, TF>(d5, bv, yd, filters, 5, n);
            Finish<TW, TU, TF>(a6, bv, y, filters, 6, n);
            Finish<TW, TU, TF>(b6, bv, yb, filters, 6, n);
            Finish<TW, TU, TF>(c6, bv, yc, filters, 6, n);
            Finish<TW, TU, TF>(d6, bv, yd, filters, 6, n);
        }
    }
}
