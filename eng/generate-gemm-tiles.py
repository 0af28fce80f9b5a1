#!/usr/bin/env python3
"""Writes src/Microsoft.ML.RandAD/Kernels/Gemm/GemmMicroKernels.Tiles.g.cs, the GEMM's register-blocked tiles, which C#
generics cannot write once because they unroll on the number of rows R (12 on AVX-512: 24 accumulators of its 32
registers; 6 on AVX2, 128-bit and scalar: 12 of 16). For each R:
- TileRx2: R rows x 2 vectors of packed A and B, two k steps an iteration;
- TileRx1: its first vector alone, for a panel that ends within it;
- TileRx2Packing: TileRx2 on a B panel read where it lies, packing it as it goes (x86: the prefetch is SSE).
and the 6-row tile's stores (StoreRows6, inlined into the tiles and the direct kernels, and StorePartialRows6). Each element
of C is summed over k in order in one accumulator; StoreRow, StoreFullRow, StorePartialTile and PrefetchTile are in
GemmMicroKernels.cs.
Run it after changing this script (`--check` only compares, exit code 1 when the file is stale):
    python3 eng/generate-gemm-tiles.py
"""
import sys
from pathlib import Path

from generated_file import write_or_check

OUT = Path(__file__).resolve().parent.parent / "src/Microsoft.ML.RandAD/Kernels/Gemm/GemmMicroKernels.Tiles.g.cs"
ROWS = (12, 6)
CONSTRAINTS = """        where TV : IGemmVector<TVec>
        where TVec : unmanaged
        where TA : IGemmAPanel"""


def accumulators(r):
    """The 2·R accumulators declared zero, a row's pair a line."""
    return "\n".join(f"        TVec c{i}a = TV.Zero; TVec c{i}b = TV.Zero;" for i in range(r))


def k_step(r, a_offset, b0, b1, names):
    """One k step of R broadcasts of A, each feeding both B vectors."""
    return "\n".join(
        f"            TVec {names(i)} = TV.Broadcast(a[{a_offset}TA.Offset({i})]); "
        f"c{i}a = TV.MultiplyAdd({names(i)}, {b0}, c{i}a); c{i}b = TV.MultiplyAdd({names(i)}, {b1}, c{i}b);"
        for i in range(r))


def store_two_vectors(r):
    """The tile's stores: the 12-row tile's written out (partial tiles out of line), the 6-row tile's through StoreRows6."""
    if r == 6:
        return "        StoreRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, " + ", ".join(f"c{i}a, c{i}b" for i in range(r)) + ");"
    spill = "\n".join(f"            spill[{2 * i}] = c{i}a; spill[{2 * i + 1}] = c{i}b;" for i in range(r))
    return f"""        if (cols < 2 * lanes)
        {{
            // Partial tiles store out of line: twelve inlined copies of the masked stores made this method the first
            // step's longest compilation. The accumulators go to the stack first, so none is live across the call.
            TVec* spill = stackalloc TVec[{2 * r}];
{spill}
            StorePartialTile<TV, TVec>(spill, c, ldc, alpha, beta, rows, cols);
            return;
        }}

        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta);
{row_chain(r, lambda i: f"StoreFullRow<TV, TVec>({row(i)}, c{i}a, c{i}b, va, vb, beta);")}"""


def store_one_vector(r):
    if r == 6:
        return "        TVec zero = TV.Zero;\n        StoreRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, " + ", ".join(f"c{i}a, zero" for i in range(r)) + ");"
    return f"""        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta), zero = TV.Zero;
{row_chain(r, lambda i: f"StoreRow<TV, TVec>({row(i)}, c{i}a, zero, va, vb, beta, cols);")}"""


def row(i):
    return "c" if i == 0 else f"c + ({i} * ldc)"


def row_chain(r, store):
    """Row after row, stopping after the tile's last row of C."""
    parts = []
    for i in range(r):
        parts.append(f"        {store(i)}")
        if i < r - 1:
            parts.append(f"        if (rows <= {i + 1})\n        {{\n            return;\n        }}\n")
    return "\n".join(parts)


def store_rows6():
    """The 6-row tile's stores, inlined into its callers (the direct kernels' too); partial tiles spill out of line."""
    params = ", ".join(f"TVec c{i}a, TVec c{i}b" for i in range(6))
    args = ", ".join(f"c{i}a, c{i}b" for i in range(6))
    spill = "\n".join(f"        spill[{2 * i}] = c{i}a; spill[{2 * i + 1}] = c{i}b;" for i in range(6))
    return f"""    /// <summary>Writes the first <paramref name="rows"/> rows of a 6-row tile (see <see cref="StoreRow{{TV, TVec}}"/>); inlined, so the accumulators stay in registers.</summary>
    /// <remarks>No <c>stackalloc</c> here: the JIT does not inline a method that has one, and this one, called with its twelve
    /// accumulators on the stack, cost every AVX2 tile a call (partial tiles spill in <see cref="StorePartialRows6{{TV, TVec}}"/>).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreRows6<TV, TVec>(
        float* c, nint ldc, float alpha, float beta, int rows, int cols,
        {params})
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {{
        if (cols < 2 * TV.Lanes)
        {{
            StorePartialRows6<TV, TVec>(c, ldc, alpha, beta, rows, cols, {args});
            return;
        }}

        TVec va = TV.Broadcast(alpha), vb = TV.Broadcast(beta);
{row_chain(6, lambda i: f"StoreFullRow<TV, TVec>({row(i)}, c{i}a, c{i}b, va, vb, beta);")}
    }}

    /// <summary>A 6-row tile narrower than 2·lanes columns, out of line, as in the 12-row tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void StorePartialRows6<TV, TVec>(
        float* c, nint ldc, float alpha, float beta, int rows, int cols,
        {params})
        where TV : IGemmVector<TVec>
        where TVec : unmanaged
    {{
        TVec* spill = stackalloc TVec[12];
{spill}
        StorePartialTile<TV, TVec>(spill, c, ldc, alpha, beta, rows, cols);
    }}
"""


def tile_two_vectors(r):
    why = ("// Two k steps per iteration (the same operations in the same order): half the loop overhead, which matters\n"
           "        // because the body is 3.5 instructions a cycle at the FMA bound, close to the 4-wide front end of Intel cores.") if r == 12 else \
        "// Two k steps per iteration (the same operations in the same order), as in the 12-row tile: half the loop control."
    return f"""    /// <summary>C[0..rows, 0..cols) = alpha·(A panel × B panel) + beta·C for a {r}×(2·lanes) tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile{r}x2<TV, TVec, TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
{CONSTRAINTS}
    {{
        int lanes = TV.Lanes;
        if (cols <= lanes)
        {{
            // A panel that ends within its first vector (n ≤ 16 on AVX-512): skip the all-zero second half.
            Tile{r}x1<TV, TVec, TA>(kc, a, b, c, ldc, alpha, beta, rows, cols);
            return;
        }}

        PrefetchTile(c, ldc, rows, 2 * lanes);

{accumulators(r)}
        {why}
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {{
            TVec b0 = TV.Load(b), b1 = TV.Load(b + lanes);
{k_step(r, "", "b0", "b1", lambda i: f"a{i}b0")}
            TVec b2 = TV.Load(b + (2 * lanes)), b3 = TV.Load(b + (2 * lanes) + lanes);
{k_step(r, f"TA.Step({r}) + ", "b2", "b3", lambda i: f"a{i}b2")}
            a += 2 * TA.Step({r});
            b += 4 * lanes;
        }}

        if (p < kc)
        {{
            TVec b0 = TV.Load(b), b1 = TV.Load(b + lanes);
{k_step(r, "", "b0", "b1", lambda i: f"a{i}b0")}
        }}

{store_two_vectors(r)}
    }}
"""


def tile_one_vector(r):
    zeros = [f"TVec c{i}a = TV.Zero;" for i in range(r)]
    lines = "\n".join("        " + " ".join(zeros[i:i + 4]) for i in range(0, r, 4))
    fmas = "\n".join(f"            c{i}a = TV.MultiplyAdd(TV.Broadcast(a[TA.Offset({i})]), b0, c{i}a);" for i in range(r))
    return f"""    /// <summary>The first vector of a {r}×(2·lanes) tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile{r}x1<TV, TVec, TA>(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
{CONSTRAINTS}
    {{
{lines}
        int lanes = TV.Lanes;
        for (int p = 0; p < kc; p++)
        {{
            TVec b0 = TV.Load(b);
{fmas}
            a += TA.Step({r});
            b += 2 * lanes;
        }}

{store_one_vector(r)}
    }}
"""


PACKING_DOCS = {
    12: """    /// <summary>
    /// <see cref="Tile12x2{TV, TVec, TA}"/> on a full-width B panel read straight from B (its 2·lanes columns
    /// contiguous, k steps <paramref name="kStride"/> apart), packing the panel into <paramref name="b"/> as it goes.
    /// </summary>
    /// <remarks>
    /// Run on the first row micro-panel of a block, it replaces the separate packing pass over the panel: the copy's
    /// loads and stores ride along with the FMAs (two of each per 24 FMAs), and the source rows are prefetched
    /// <see cref="FusedPrefetchSteps"/> k steps ahead. The sums are the same as the packed kernel's, in the same order.
    /// x86 only (the prefetch is SSE): the driver calls it on the AVX-512 path.
    /// </remarks>""",
    6: """    /// <summary>
    /// <see cref="Tile6x2{TV, TVec, TA}"/> on a full-width B panel read straight from B (its 2·lanes columns contiguous,
    /// k steps <paramref name="kStride"/> apart), packing the panel into <paramref name="b"/> as it goes: AVX2's twin of
    /// <see cref="Tile12x2Packing{TV, TVec, TA}"/>, in the same 15 of 16 registers as the packed tile. The sums are the same
    /// as the packed kernel's, in the same order. x86 only (the prefetch is SSE): the driver calls it on the AVX2 path.
    /// </summary>""",
}


def tile_packing(r):
    return f"""{PACKING_DOCS[r]}
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile{r}x2Packing<TV, TVec, TA>(int kc, float* a, float* source, nint kStride, float* b, float* c, nint ldc, float alpha, float beta, int rows, int cols)
{CONSTRAINTS}
    {{
        int lanes = TV.Lanes;
        PrefetchTile(c, ldc, rows, 2 * lanes);

{accumulators(r)}
        for (int p = 0; p < kc; p++)
        {{
            if (p + FusedPrefetchSteps < kc)
            {{
                float* ahead = source + (FusedPrefetchSteps * kStride);
                Sse.Prefetch0(ahead);
                Sse.Prefetch0(ahead + (2 * lanes) - 1);
            }}

            TVec b0 = TV.Load(source), b1 = TV.Load(source + lanes);
            TV.Store(b, b0);
            TV.Store(b + lanes, b1);
            source += kStride;
{k_step(r, "", "b0", "b1", lambda i: f"a{i}")}
            a += TA.Step({r});
            b += 2 * lanes;
        }}

{store_two_vectors(r)}
    }}
"""


def source():
    tiles = "\n".join([f(r) for r in ROWS for f in (tile_two_vectors, tile_one_vector, tile_packing)] + [store_rows6()])
    return f"""// <auto-generated>Written by eng/generate-gemm-tiles.py; change the script, not this file.</auto-generated>
#nullable enable
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.RandAD.Kernels;

// The register-blocked tiles: 12 rows on AVX-512 (24 of its 32 zmm registers accumulate), 6 rows on AVX2, 128-bit vectors
// and scalars (12 of 16 registers); each with its one-vector twin and the twin that packs B as it multiplies.
internal static unsafe partial class GemmMicroKernels
{{
{tiles}}}
"""


def main():
    return write_or_check(OUT, source(), "generate-gemm-tiles.py")


if __name__ == "__main__":
    sys.exit(main())
