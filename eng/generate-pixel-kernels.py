#!/usr/bin/env python3
"""Writes src/Microsoft.ML.RandAD/Kernels/DirectConvolutionLanes.PixelKernel.g.cs, the direct convolution's forward
kernels over one block of output pixels (PixelKernel), which C# generics cannot write once because they unroll on numbers:
a block of P pixels (slots) on R output rows, with V filter vectors, holds P x R x V sums in registers. Every kernel has
the same five parts, written here once:
- its sums started: zero when the pass begins the sums (Begins), else the partial sums the pass before stored;
- the tap loop over the pass's kernel rows: a weight load (a pair of them for two vectors) feeds a broadcast input a sum;
- the bias added when the pass ends the sums (Ends);
- the stores, unguarded when the block is whole, else each slot's kept only when it is one of the block's n pixels.
The fields (FirstRow, Rows, Run, RowFloats, Filters, Begins, Ends) and the helpers Slot, Start and Keep are in
DirectConvolutionLanes.PixelKernel.cs.
Run it after changing this script (`--check` only compares, exit code 1 when the file is stale):
    python3 eng/generate-pixel-kernels.py
"""
import sys
from dataclasses import dataclass
from pathlib import Path

from generated_file import summary, write_or_check

OUT = Path(__file__).resolve().parent.parent / "src/Microsoft.ML.RandAD/Kernels/DirectConvolutionLanes.PixelKernel.g.cs"


@dataclass
class Kernel:
    name: str
    pixels: int  # P: slots of the block
    rows: int  # R: output rows at once (1, 2 or 4), rowStep apart in the input and yRowStep in the output
    vectors: int  # V: filter vectors (1 or 2), TW.Count apart
    doc: str = ""  # the summary, or none
    free_slots: bool = False  # the slots' windows given one by one (PixelSlots), not step apart


KERNELS = [
    Kernel("Pixels8", 8, 1, 1),
    Kernel("Pixels8TwoRows", 8, 2, 1, doc="""<see cref="Pixels8{TW, TU, TF}"/> on the same block of two output rows, <paramref name="rowStep"/> and <paramref name="yRowStep"/> apart."""),
    Kernel("Pixels4", 4, 1, 1),
    Kernel("Pixels6Pair", 6, 1, 2, free_slots=True, doc="""
Both filter vectors of a pair on a block of up to six pixels (12 sums): the 256-bit path's pair kernel, within its 16
registers (12 sums, two weight vectors, a broadcast), so each broadcast input feeds two FMAs. The same sums, in the
same order, as <see cref="Pixels8{TW, TU, TF}"/> on each vector. The pixels' windows start anywhere
(<paramref name="slots"/>, relative to <paramref name="origin"/>), so a block may span two output rows; their
outputs are consecutive."""),
    Kernel("Pixels8Pair", 8, 1, 2, doc="""<see cref="Pixels8{TW, TU, TF}"/> on both filter vectors of a pair (16 sums): each broadcast input feeds two FMAs."""),
    Kernel("Pixels7PairTwoRows", 7, 2, 2, doc="""
<see cref="Pixels8Pair{TW, TU, TF}"/> for a block of at most seven pixels on two output rows at once (28 sums, the
most AVX-512's 32 registers hold with the two weight vectors and a broadcast): each pair of weight loads feeds 28
FMAs instead of 16, and a 14-pixel row (two blocks of seven) has no spare slot."""),
    Kernel("Pixels7FourRows", 7, 4, 1, doc="""
<see cref="Pixels8{TW, TU, TF}"/> for a block of at most seven pixels on four output rows at once (28 sums), for a
layer with a single vector of filters: each weight load feeds 28 FMAs, and a row of 14 or 28 pixels (blocks of
seven) has no spare slot. The loads are one per FMA plus one, against 17 per 14 FMAs on two rows of eight-pixel slots."""),
]


@dataclass
class Sums:
    """One register of sums a slot: its letter, output pointer, input row pointer and weight vector."""
    letter: str
    y: str
    x: str
    w: str


def groups(k):
    """The kernel's sums, rows outer and vectors inner: the order of every part but the tap loop's slots."""
    letters = {(1, 1): ["a"], (2, 1): ["a", "b"], (4, 1): ["a", "b", "c", "d"], (1, 2): ["a", "c"], (2, 2): ["a", "c", "b", "d"]}[(k.rows, k.vectors)]
    outputs = {(1, 1): ["y"], (2, 1): ["y", "yb"], (4, 1): ["y", "yb", "yc", "yd"], (1, 2): ["y", "yc"], (2, 2): ["y", "yc", "yb", "yd"]}[(k.rows, k.vectors)]
    inputs = {1: ["x"], 2: ["x", "x2"], 4: ["x", "xb", "xc", "xd"]}[k.rows]
    weights = ["wv"] if k.vectors == 1 else ["wa", "wc"]
    return [Sums(letters[i], outputs[i], inputs[i // k.vectors], weights[i % k.vectors]) for i in range(k.rows * k.vectors)]


def offset(y, slot):
    return y if slot == 0 else (f"{y} + filters" if slot == 1 else f"{y} + ({slot} * filters)")


def element(x, slot):
    return f"*{x}" if slot == 0 else f"{x}[s{slot}]"


def kernel(k):
    sums = groups(k)
    p = k.pixels
    lines = []

    def emit(indent=0, text=""):
        lines.append((" " * indent + text) if text else "")

    if k.free_slots:
        slots = ", ".join(f"s{s} = slots.S{s}" for s in range(1, p))
        params = "float* origin, in PixelSlots slots, int n, float* weight, float* bias, float* y"
    else:
        slots = ", ".join(f"s{s} = Slot({s}, n, step)" for s in range(1, p))
        params = "float* origin, nint step, int n, float* weight, float* bias, float* y"
        if k.rows > 1:
            params = "float* origin, nint step, int n, nint rowStep, float* weight, float* bias, float* y, nint yRowStep"

    if k.doc:
        lines.extend(summary(k.doc, 8))
    emit(8, "[MethodImpl(MethodImplOptions.AggressiveOptimization)]")
    emit(8, f"public readonly void {k.name}<TW, TU, TF>({params})")
    emit(12, "where TW : IVectorWidth<TU, TF>")
    emit(12, "where TU : unmanaged")
    emit(12, "where TF : unmanaged")
    emit(8, "{")
    emit(12, f"nint {slots};")
    emit(12, "nint filters = Filters;")
    pointers = {
        (1, 1): None,
        (2, 1): "yb = y + yRowStep",
        (4, 1): "yb = y + yRowStep, yc = yb + yRowStep, yd = yc + yRowStep",
        (1, 2): "yc = y + TW.Count",
        (2, 2): "yc = y + TW.Count, yb = y + yRowStep, yd = yb + TW.Count",
    }[(k.rows, k.vectors)]
    if pointers:
        emit(12, f"float* {pointers};")
    for g in sums:
        emit(12, "TF " + ", ".join(f"{g.letter}{s}" for s in range(p)) + ";")

    # The sums' start: zero, or the pass before's partial sums.
    emit(12, "if (Begins)")
    emit(12, "{")
    for i, g in enumerate(sums):
        chain = " = ".join(f"{g.letter}{s}" for s in range(p)) + " ="
        last = i == len(sums) - 1
        emit(16 if i == 0 else 20, chain + (" TW.BroadcastSingle(0f);" if last else ""))
    emit(12, "}")
    emit(12, "else")
    emit(12, "{")
    for g in sums:
        for s in range(p):
            emit(16, f"{g.letter}{s} = Start<TW, TU, TF>({g.y}, filters, {s}, n);")
    emit(12, "}")
    emit()

    # The tap loop: pointers and native-sized offsets, so each tap is loads and FMAs with no index arithmetic.
    emit(12, "for (int kh = FirstRow; kh < FirstRow + Rows; kh++)")
    emit(12, "{")
    emit(16, "float* x = origin + (kh * RowFloats);")
    emit(16, "float* w = weight + (kh * Run * filters);")
    emit(16, "for (float* end = x + Run; x < end; x++, w += filters)")
    emit(16, "{")
    emit(20, "TF wv = TW.LoadSingle(w);" if k.vectors == 1 else "TF wa = TW.LoadSingle(w), wc = TW.LoadSingle(w + TW.Count);")
    if k.rows == 2:
        emit(20, "float* x2 = x + rowStep;")
    elif k.rows == 4:
        emit(20, "float* xb = x + rowStep, xc = xb + rowStep, xd = xc + rowStep;")
    declared = False
    for s in range(p):
        for r in range(k.rows):
            row = sums[r * k.vectors:(r + 1) * k.vectors]
            if k.vectors == 1:
                g = row[0]
                emit(20, f"{g.letter}{s} = TW.FusedMultiplyAdd(TW.BroadcastSingle({element(g.x, s)}), wv, {g.letter}{s});")
            else:
                # Two vectors: one broadcast feeds both.
                emit(20, f"{'v' if declared else 'TF v'} = TW.BroadcastSingle({element(row[0].x, s)});")
                declared = True
                for g in row:
                    emit(20, f"{g.letter}{s} = TW.FusedMultiplyAdd(v, {g.w}, {g.letter}{s});")
    emit(16, "}")
    emit(12, "}")
    emit()

    # The bias, once the pass ends the sums.
    emit(12, "if (Ends)")
    emit(12, "{")
    emit(16, "TF bv = TW.LoadSingle(bias);" if k.vectors == 1 else "TF ba = TW.LoadSingle(bias), bc = TW.LoadSingle(bias + TW.Count);")
    bias = {"wv": "bv", "wa": "ba", "wc": "bc"}
    for g in sums:
        for s in range(p):
            emit(16, f"{g.letter}{s} = TW.AddSingle({g.letter}{s}, {bias[g.w]});")
    emit(12, "}")
    emit()

    # The stores: unguarded for a whole block, else only the block's pixels.
    emit(12, f"if (n == {p})")
    emit(12, "{")
    for s in range(p):
        for g in sums:
            emit(16, f"TW.StoreSingle({g.letter}{s}, {offset(g.y, s)});")
    emit(16, "return;")
    emit(12, "}")
    emit()
    for s in range(p):
        for g in sums:
            emit(12, f"Keep<TW, TU, TF>({g.letter}{s}, {g.y}, filters, {s}, n);")
    emit(8, "}")
    return "\n".join(lines) + "\n"


def source():
    kernels = "\n".join(kernel(k) for k in KERNELS)
    return f'''// <auto-generated>Written by eng/generate-pixel-kernels.py; change the script, not this file.</auto-generated>
#nullable enable
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The forward kernels over one block of output pixels (PixelKernel): a block of pixels along a row, on one, two or four
// output rows, with one or two filter vectors. The fields and helpers are in DirectConvolutionLanes.PixelKernel.cs.
internal static unsafe partial class DirectConvolutionLanes
{{
    private partial struct PixelKernel
    {{
{kernels}    }}
}}
'''


def main():
    return write_or_check(OUT, source(), "generate-pixel-kernels.py")


if __name__ == "__main__":
    sys.exit(main())
