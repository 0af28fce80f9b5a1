using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// A micro-kernel together with the cache blocking that feeds it: the packed driver is generic over this,
/// so each path's tile shape and block sizes are constants in its specialized code.
/// </summary>
internal unsafe interface IGemmTile
{
    /// <summary>Rows of C per tile (MR): floats of packed A per k step.</summary>
    static abstract int Rows { get; }

    /// <summary>Columns of C per tile (NR): floats of packed B per k step.</summary>
    static abstract int Cols { get; }

    /// <summary>Largest k block (KC): a packed A micro-panel, Rows·KC floats, stays in L1 while B streams past it.</summary>
    static abstract int KcMax { get; }

    /// <summary>Largest row block (MC): the packed A block, MC·KC floats, is reused for every column block.</summary>
    static abstract int McMax { get; }

    /// <summary>Largest column block (NC): the packed B block, KC·NC floats, stays in L2.</summary>
    static abstract int NcMax { get; }

    /// <summary>Runs the micro-kernel on one tile whose A micro-panel has layout <typeparamref name="TA"/>; see <see cref="GemmMicroKernels"/>.</summary>
    /// <remarks>Implementations are optimized from their first call, like the driver loop that is their only caller, so
    /// the tile is never compiled into tiered, profile-guided code (where AVX2's 16 registers spilled its accumulators).</remarks>
    static abstract void Multiply<TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel;

    /// <summary>Whether <see cref="MultiplyPacking{TA}"/> exists: the tile can read a full-width B panel in place and pack it as it goes.</summary>
    static abstract bool PacksWhileMultiplying { get; }

    /// <summary>
    /// <see cref="Multiply{TA}"/> on a full-width B panel read from <paramref name="source"/> (its columns contiguous, k steps
    /// <paramref name="kStride"/> apart), writing the packed panel to <paramref name="b"/> on the way; the same sums.
    /// </summary>
    static abstract void MultiplyPacking<TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel;
}

/// <summary>AVX-512: 12×32 tiles (24 zmm accumulators); 12·384·4 = 18 KB of A in L1, 384·480·4 = 720 KB of B in L2; up to 1536 rows of A packed per k block, so B is packed once for m ≤ 1536.</summary>
internal readonly unsafe struct GemmTile512 : IGemmTile
{
    public static int Rows => 12;

    public static int Cols => 32;

    public static int KcMax => 384;

    public static int McMax => 1536;

    public static int NcMax => 480;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel
    {
        if (rows <= 6)
        {
            // The last tile of an m that is not a multiple of 12: half the multiply-adds, the same sums (each element's k order is unchanged).
            GemmMicroKernels.Tile6x2<GemmVector512, Vector512<float>, GemmTwelveRowPanel<TA>>(kc, a, b, c, ldc, alpha, beta, rows, cols);
            return;
        }

        GemmMicroKernels.Tile12x2<GemmVector512, Vector512<float>, TA>(kc, a, b, c, ldc, alpha, beta, rows, cols);
    }

    public static bool PacksWhileMultiplying => Sse.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyPacking<TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel =>
        GemmMicroKernels.Tile12x2Packing<GemmVector512, Vector512<float>, TA>(kc, a, source, kStride, b, c, ldc, alpha, beta, rows, cols);
}

/// <summary>AVX2: 6×16 tiles (12 ymm accumulators of 16 registers).</summary>
internal readonly unsafe struct GemmTile256 : IGemmTile
{
    public static int Rows => 6;

    public static int Cols => 16;

    public static int KcMax => 384;

    public static int McMax => 1536;

    public static int NcMax => 480;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel =>
        GemmMicroKernels.Tile6x2<GemmVector256, Vector256<float>, TA>(kc, a, b, c, ldc, alpha, beta, rows, cols);

    public static bool PacksWhileMultiplying => Sse.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyPacking<TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel =>
        GemmMicroKernels.Tile6x2Packing<GemmVector256, Vector256<float>, TA>(kc, a, source, kStride, b, c, ldc, alpha, beta, rows, cols);
}

/// <summary>128-bit: 6×8 tiles (12 xmm accumulators).</summary>
internal readonly unsafe struct GemmTile128 : IGemmTile
{
    public static int Rows => 6;

    public static int Cols => 8;

    public static int KcMax => 384;

    public static int McMax => 1536;

    public static int NcMax => 480;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel =>
        GemmMicroKernels.Tile6x2<GemmVector128, Vector128<float>, TA>(kc, a, b, c, ldc, alpha, beta, rows, cols);

    public static bool PacksWhileMultiplying => false;

    public static void MultiplyPacking<TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel =>
        throw new UnreachableException("This tile has no packing form; the driver checks PacksWhileMultiplying.");
}

/// <summary>Scalar: 6×2 tiles (12 float accumulators), the reference the vector paths are tested against.</summary>
internal readonly unsafe struct GemmTileScalar : IGemmTile
{
    public static int Rows => 6;

    public static int Cols => 2;

    public static int KcMax => 384;

    public static int McMax => 1536;

    public static int NcMax => 480;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel =>
        GemmMicroKernels.Tile6x2<GemmScalar, float, TA>(kc, a, b, c, ldc, alpha, beta, rows, cols);

    public static bool PacksWhileMultiplying => false;

    public static void MultiplyPacking<TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
        where TA : IGemmAPanel =>
        throw new UnreachableException("This tile has no packing form; the driver checks PacksWhileMultiplying.");
}
