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
    /// <summary>Packs a <paramref name="valid"/>×<paramref name="kc"/> slice into <paramref name="kc"/> groups of <paramref name="width"/> floats.</summary>
    /// <typeparam name="TV">The vector width to copy with.</typeparam>
    /// <typeparam name="TVec">Its vector type.</typeparam>
    /// <param name="destination">Packed panel, <paramref name="kc"/>·<paramref name="width"/> floats.</param>
    /// <param name="source">Element (0, 0) of the slice.</param>
    /// <param name="wStride">Distance between consecutive w (rows of A, columns of B).</param>
    /// <param name="kStride">Distance between consecutive k.</param>
    /// <param name="valid">Rows (or columns) present in the matrix, 1..width; the rest are zero.</param>
    /// <param name="width">Panel width.</param>
    /// <param name="kc">Number of k steps.</param>
    public static void Panel<TV, TVec>(float* destination, float* source, nint wStride, nint kStride, int valid, int width, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        if (wStride == 1 || valid == 1)
        {
            CopyRuns<TV, TVec>(destination, source, kStride, valid, width, kc);
        }
        else if (kStride == 1 && typeof(TV) == typeof(GemmVector512))
        {
            Transpose512(destination, source, wStride, valid, width, kc);
        }
        else
        {
            TransposeScalar(destination, source, wStride, kStride, valid, width, kc);
        }
    }

    /// <summary>w is contiguous: each k step copies one run of <paramref name="valid"/> floats and pads it.</summary>
    private static void CopyRuns<TV, TVec>(float* destination, float* source, nint kStride, int valid, int width, int kc)
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {
        int lanes = TV.Lanes;
        for (int p = 0; p < kc; p++)
        {
            float* from = source + (p * kStride);
            float* to = destination + (p * width);
            for (int w = 0; w < width; w += lanes)
            {
                int count = Math.Clamp(valid - w, 0, lanes);
                int room = Math.Min(lanes, width - w);
                if (count == lanes && room == lanes)
                {
                    TV.Store(to + w, TV.Load(from + w));
                }
                else
                {
                    TV.StoreFirst(to + w, TV.LoadFirst(from + w, count), room);
                }
            }
        }
    }

    /// <summary>p is contiguous: 16×16 blocks go through registers (<see cref="GemmTranspose512"/>).</summary>
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

    /// <summary>Any strides, one element at a time: the scalar path's packing and the fallback.</summary>
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
