using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// How a packed A micro-panel (MR rows × kc k steps) is laid out; the micro-kernels are generic over it, so
/// the element of row r at k step p is <c>a[Offset(r)]</c> after p steps of <c>Step(MR)</c>, with both
/// constants in the compiled loop.
/// </summary>
/// <remarks>
/// The layout follows how A is stored, so that packing is a copy, never a transposition: A stored m×k (NN,
/// NT) has its rows along k and packs as rows (<see cref="GemmRowsA"/>); A stored k×m (TN, TT) has the MR
/// values of a k step side by side and packs interleaved (<see cref="GemmInterleavedA"/>). The kernel
/// reads both equally fast: each k step is MR broadcasts from L1 either way.
/// </remarks>
internal unsafe interface IGemmAPanel
{
    /// <summary>Floats from the start of a micro-panel to row <paramref name="row"/> at k step 0.</summary>
    static abstract nint Offset(int row);

    /// <summary>Floats from one k step to the next in a micro-panel of <paramref name="rows"/> rows.</summary>
    static abstract nint Step(int rows);

    /// <summary>Floats from one micro-panel to the next.</summary>
    static abstract nint PanelStride(int rows, int kc);

    /// <summary>Packs rows [0, valid) of the slice (row i at <c>source + i·rowStride</c>, k step p at <c>+ p·kStride</c>) into ⌈valid / rows⌉ micro-panels.</summary>
    static abstract void Pack<TV, TVec>(float* destination, float* source, nint rowStride, nint kStride, int valid, int rows, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged;
}

/// <summary>k step by k step, the MR values of a step side by side: <c>a[p·MR + r]</c>.</summary>
internal readonly unsafe struct GemmInterleavedA : IGemmAPanel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Offset(int row) => row;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Step(int rows) => rows;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint PanelStride(int rows, int kc) => GemmPacking.PanelStride(rows, kc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pack<TV, TVec>(float* destination, float* source, nint rowStride, nint kStride, int valid, int rows, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged =>
        GemmPacking.Panels<TV, TVec>(destination, source, rowStride, kStride, valid, rows, kc);
}

/// <summary>
/// Row by row, <see cref="RowStride"/> floats apart: <c>a[r·RowStride + p]</c>. The stride is a constant (the
/// largest k block plus a cache line), so the kernel addresses all MR rows from one pointer.
/// </summary>
internal readonly unsafe struct GemmRowsA : IGemmAPanel
{
    /// <summary>Floats between rows: room for a k block of 384 plus a 64-byte gap, so rows fall in different L1 sets.</summary>
    public const int RowStride = 384 + 16;

    // Source rows prefetched ahead of the copy (see GemmPacking.PrefetchRun).
    private const int RowsAhead = 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Offset(int row) => row * RowStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Step(int rows) => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint PanelStride(int rows, int kc) => (nint)rows * RowStride;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<TV, TVec>(float* destination, float* source, nint rowStride, nint kStride, int valid, int rows, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        if (kStride != 1 || kc > RowStride)
        {
            throw new InvalidOperationException("Row-layout A panels need A's rows along k and k blocks of at most 384.");
        }

        int lanes = TV.Lanes;
        int panels = (valid + rows - 1) / rows;
        for (int i = 0; i < panels * rows; i++)
        {
            float* to = destination + (i / rows * PanelStride(rows, kc)) + (i % rows * RowStride);
            float* from = source + (i * rowStride);
            int p = 0;
            if (i + RowsAhead < valid)
            {
                // Rows of A are a row stride apart (a new page each for a 1024-wide A): read two rows ahead.
                GemmPacking.PrefetchRun(from + (RowsAhead * rowStride), kc);
            }

            if (i < valid)
            {
                for (; p + lanes <= kc; p += lanes)
                {
                    TV.Store(to + p, TV.Load(from + p));
                }

                TV.StoreFirst(to + p, TV.LoadFirst(from + p, kc - p), kc - p);
            }
            else
            {
                // Rows past the matrix edge are zeros, so the kernel can run a full tile.
                for (; p < kc; p++)
                {
                    to[p] = 0;
                }
            }
        }
    }
}

/// <summary>
/// The first rows of a 12-row micro-panel of layout <typeparamref name="TA"/>, read by a 6-row kernel: the rows sit where
/// <typeparamref name="TA"/> puts them and a k step is a 12-row step, so a tile of at most six rows on the 12-row path
/// (the last of an m that is not a multiple of 12) costs six rows of multiply-adds instead of twelve.
/// </summary>
internal readonly unsafe struct GemmTwelveRowPanel<TA> : IGemmAPanel
    where TA : IGemmAPanel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Offset(int row) => TA.Offset(row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Step(int rows) => TA.Step(12);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint PanelStride(int rows, int kc) => TA.PanelStride(12, kc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pack<TV, TVec>(float* destination, float* source, nint rowStride, nint kStride, int valid, int rows, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged =>
        TA.Pack<TV, TVec>(destination, source, rowStride, kStride, valid, 12, kc);
}
