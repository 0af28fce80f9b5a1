using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Packs a slice of A or B into the layout the micro-kernels stream: for each k step, <c>width</c>
/// consecutive floats (one per row of A, or one per column of B), zero-padded past the matrix edge.
/// </summary>
/// <remarks>
/// Element (w, p) of the slice is at <c>source[w·wStride + p·kStride]</c>: w runs across the panel
/// (rows of A, columns of B), p along k. When w is contiguous (A transposed, B not) packing is a strided
/// copy; when p is contiguous (A not transposed, B transposed) it is a transposition. The zero padding is
/// what lets the kernels run full tiles at the edges without reading outside the caller's matrices.
/// </remarks>
internal static unsafe class GemmPacking
{
    // Gap between consecutive panels, in floats (one cache line). Without it, panels kc·width floats apart
    // (12 KB, 32 KB, ...) start in the same L1 set, and packing k step by k step, which writes one line
    // to each panel in turn, evicts its own writes.
    private const int PanelGap = 16;

    // Source rows (k steps of B, rows of A) read ahead of the copy. The rows a pack reads are a row stride apart
    // (4 KB for a 1024-wide matrix, a new page each), so the hardware prefetchers, which stay within a page,
    // restart on every row; asking for the row two ahead overlaps its misses with the copy of this one.
    private const int PrefetchRows = 2;

    /// <summary>Distance from one packed panel to the next.</summary>
    public static nint PanelStride(int width, int kc) => ((nint)width * kc) + PanelGap;

    /// <summary>
    /// Packs a <paramref name="valid"/>×<paramref name="kc"/> slice into ⌈valid / width⌉ panels, each <paramref name="kc"/>
    /// groups of <paramref name="width"/> floats, <see cref="PanelStride"/> apart.
    /// </summary>
    /// <typeparam name="TV">The vector width to copy with.</typeparam>
    /// <typeparam name="TVec">Its vector type.</typeparam>
    /// <param name="destination">Packed panels, ⌈valid / width⌉·<see cref="PanelStride"/> floats.</param>
    /// <param name="source">Element (0, 0) of the slice.</param>
    /// <param name="wStride">Distance between consecutive w (rows of A, columns of B).</param>
    /// <param name="kStride">Distance between consecutive k.</param>
    /// <param name="valid">Rows (or columns) present in the matrix; the last panel is zero-padded past them.</param>
    /// <param name="width">Panel width.</param>
    /// <param name="kc">Number of k steps.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Panels<TV, TVec>(float* destination, float* source, nint wStride, nint kStride, int valid, int width, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        if (wStride == 1 || valid == 1)
        {
            CopyRuns<TV, TVec>(destination, source, kStride, valid, width, kc);
            return;
        }

        for (int w = 0; w < valid; w += width)
        {
            float* panel = destination + (w / width * PanelStride(width, kc));
            int count = Math.Min(width, valid - w);
            if (kStride == 1 && typeof(TV) == typeof(GemmVector512))
            {
                Transpose512(panel, source + (w * wStride), wStride, count, width, kc);
            }
            else if (kStride == 1 && typeof(TV) == typeof(GemmVector256))
            {
                Transpose256(panel, source + (w * wStride), wStride, count, width, kc);
            }
            else
            {
                TransposeScalar(panel, source + (w * wStride), wStride, kStride, count, width, kc);
            }
        }
    }

    /// <summary>
    /// w is contiguous: k step by k step, one run of the source row is split over the panels. Reading whole
    /// rows in order keeps the hardware prefetcher streaming; a panel at a time would jump a row stride per
    /// read (a new page each time for a 1024-wide matrix).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRuns<TV, TVec>(float* destination, float* source, nint kStride, int valid, int width, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        if (width <= TV.Lanes && typeof(TV) != typeof(GemmScalar))
        {
            CopyNarrowRuns<TV, TVec>(destination, source, kStride, valid, width, kc);
            return;
        }

        int lanes = TV.Lanes;
        nint panelStride = PanelStride(width, kc);
        int full = valid / width;
        for (int p = 0; p < kc; p++)
        {
            float* from = source + (p * kStride);
            float* to = destination + (p * width);
            if (p + PrefetchRows < kc)
            {
                PrefetchRun(from + (PrefetchRows * kStride), valid);
            }

            int q = 0;
            if (width == 2 * lanes)
            {
                // B panels are two vectors wide: whole panels are two plain copies, no per-vector edge test.
                for (; q < full; q++, from += width, to += panelStride)
                {
                    TV.Store(to, TV.Load(from));
                    TV.Store(to + lanes, TV.Load(from + lanes));
                }
            }

            for (int w = q * width; w < valid; w += width, from += width, to += panelStride)
            {
                for (int v = 0; v < width; v += lanes)
                {
                    int count = Math.Clamp(valid - w - v, 0, lanes);
                    int room = Math.Min(lanes, width - v);
                    if (count == lanes && room == lanes)
                    {
                        TV.Store(to + v, TV.Load(from + v));
                    }
                    else
                    {
                        TV.StoreFirst(to + v, TV.LoadFirst(from + v, count), room);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Panels at most one vector wide (A of a TN product: 12 rows of 16 lanes on AVX-512, 6 of 8 on AVX2): one plain load and
    /// store per panel and k step. The store's spare lanes land on the panel's next k step, which is written after it; only
    /// the last k step stores masked, and a load is masked only where a whole vector would read past the slice. AVX2's masked
    /// store, which the general loop used for every panel and k step, is slow on AMD cores (a one-thread TN 256×128×256 ran
    /// at 0.89× of OpenBLAS on Zen 3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyNarrowRuns<TV, TVec>(float* destination, float* source, nint kStride, int valid, int width, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int lanes = TV.Lanes;
        nint panelStride = PanelStride(width, kc);
        for (int p = 0; p < kc; p++)
        {
            float* from = source + (p * kStride);
            float* to = destination + (p * width);
            if (p + PrefetchRows < kc)
            {
                PrefetchRun(from + (PrefetchRows * kStride), valid);
            }

            bool last = p == kc - 1;
            for (int w = 0; w < valid; w += width, from += width, to += panelStride)
            {
                // A partial last panel has fewer than a vector left, so it always takes the masked load, which zero-pads it.
                TVec run = w + lanes <= valid ? TV.Load(from) : TV.LoadFirst(from, Math.Min(width, valid - w));
                if (last)
                {
                    TV.StoreFirst(to, run, width);
                }
                else
                {
                    TV.Store(to, run);
                }
            }
        }
    }

    /// <summary>Asks for the cache lines of <paramref name="count"/> consecutive floats from <paramref name="source"/> into L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchRun(float* source, int count)
    {
        if (Sse.IsSupported && count > 0)
        {
            for (int i = 0; i < count; i += 16)
            {
                Sse.Prefetch0(source + i);
            }

            // The run need not start on a line, so its last float can sit one line past the others.
            Sse.Prefetch0(source + count - 1);
        }
    }

    /// <summary>p is contiguous: 16×16 blocks go through registers (<see cref="GemmTranspose512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose512(float* destination, float* source, nint wStride, int valid, int width, int kc)
    {
        for (int w = 0; w < width; w += 16)
        {
            int rows = Math.Clamp(valid - w, 0, 16);
            int lanes = Math.Min(16, width - w);
            for (int p = 0; p < kc; p += 16)
            {
                GemmTranspose512.Block16(
                    source + (w * wStride) + p, wStride, rows, Math.Min(16, kc - p),
                    destination + (p * width) + w, width, lanes);
            }
        }
    }

    /// <summary>p is contiguous: 8×8 blocks go through registers (<see cref="GemmTranspose256"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose256(float* destination, float* source, nint wStride, int valid, int width, int kc)
    {
        for (int w = 0; w < width; w += 8)
        {
            int rows = Math.Clamp(valid - w, 0, 8);
            int lanes = Math.Min(8, width - w);
            for (int p = 0; p < kc; p += 8)
            {
                GemmTranspose256.Block8(
                    source + (w * wStride) + p, wStride, rows, Math.Min(8, kc - p),
                    destination + (p * width) + w, width, lanes);
            }
        }
    }

    /// <summary>Any strides, one element at a time: the scalar path's packing and the fallback.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeScalar(float* destination, float* source, nint wStride, nint kStride, int valid, int width, int kc)
    {
        for (int p = 0; p < kc; p++)
        {
            float* from = source + (p * kStride);
            float* to = destination + (p * width);
            int w = 0;
            for (; w < valid; w++)
            {
                to[w] = from[w * wStride];
            }

            for (; w < width; w++)
            {
                to[w] = 0;
            }
        }
    }
}
