#!/usr/bin/env python3
"""Writes src/Microsoft.ML.RandAD/Kernels/DirectConvolutionLanes.WeightGradientTaps.g.cs, the direct convolution's
register-blocked weight-gradient kernels over one padded image, which C# generics cannot write once because they unroll
on numbers: a block of T taps with V filter vectors (one, or a pair TW.Count apart) holds T x V sums in registers for the
whole image, and each pixel's output gradient, loaded once, feeds all of them. Every kernel has the same three parts,
written here once:
- its sums loaded (a tap past the block's `taps`, a padded one of a last block, starts at zero: LoadTap);
- the pixel loop over the output rows: each tap's input broadcast feeds one FMA a vector (a pair: two);
- the stores (a padded tap's are dropped: StoreTap).
How a kernel finds tap i's input for a pixel is its addressing:
- "listed": offsets[i] from the padded image's corner (o0 .. o{T-1}, native-sized, held in registers);
- "relative": the same list relative to the first tap, or the constants 1 .. T-1 when TLayout says the taps lie side by
  side (AVX2's 16 general registers cannot hold six offsets and the loop's pointers);
- "window": the T taps side by side from the caller's window (constants), every tap a real one.
The helpers (LoadTap, StoreTap, ITapLayout) are in DirectConvolutionLanes.WeightGradientTaps.cs; the dispatch that picks a
kernel a block is WeightGradient in DirectConvolutionLanes.WeightGradient.cs.
Run it after changing this script (`--check` only compares, exit code 1 when the file is stale):
    python3 eng/generate-weight-gradient-taps.py
"""
import sys
from dataclasses import dataclass
from pathlib import Path

from generated_file import summary, write_or_check

OUT = Path(__file__).resolve().parent.parent / "src/Microsoft.ML.RandAD/Kernels/DirectConvolutionLanes.WeightGradientTaps.g.cs"


WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


@dataclass
class Kernel:
    name: str
    taps: int  # T: taps a block
    vectors: int  # V: filter vectors (1, or a pair)
    addressing: str  # "listed", "relative" or "window" (see above)
    first_filter: bool = False  # filters from a firstFilter argument (the vectors a pair kernel left), not from 0
    doc: str = ""


KERNELS = [
    Kernel("WeightGradientTaps12Pair", 12, 2, "window", doc="""
Twelve taps' sums for filters [0, <paramref name="pairFilters"/>), two vectors at a time (24 sums in registers), for taps
whose inputs lie side by side: tap i of a pixel reads <c>window[pixel + i]</c>."""),
    Kernel("WeightGradientTaps8Pair", 8, 2, "listed", doc="""
Eight taps' sums for filters [0, <paramref name="pairFilters"/>), two vectors at a time (sixteen sums in registers)."""),
    Kernel("WeightGradientTaps6Pair", 6, 2, "relative", doc="""
<see cref="WeightGradientTaps8Pair{TW, TU, TF}"/> on six taps: the 256-bit path's pair kernel, 12 sums in AVX2's 16
registers, so each broadcast input feeds two FMAs; the same sums in the same order."""),
    Kernel("WeightGradientTaps8", 8, 1, "listed", first_filter=True, doc="""
Eight taps' sums for filters [<paramref name="firstFilter"/>, <paramref name="vectorFilters"/>), a vector at a time: the
filters a pair kernel left (all of them when there is none)."""),
    Kernel("WeightGradientTaps4", 4, 1, "listed", doc="""
Four taps' sums for filters [0, <paramref name="vectorFilters"/>), a vector at a time: a last block of one to four taps."""),
]


def kernel(k):
    lines = []

    def emit(indent=0, text=""):
        lines.append((" " * indent + text) if text else "")

    t = k.taps
    lines.extend(summary(k.doc, 4))
    emit(4, "[MethodImpl(MethodImplOptions.AggressiveOptimization)]")
    generics = "<TW, TU, TF, TLayout>" if k.addressing == "relative" else "<TW, TU, TF>"
    filters = "int firstFilter, int vectorFilters" if k.first_filter else ("int pairFilters" if k.vectors == 2 else "int vectorFilters")
    image = "float* window, float* outputGradient" if k.addressing == "window" else "float* padded, float* outputGradient, ReadOnlySpan<int> offsets, int taps"
    emit(4, f"private static void {k.name}{generics}(in ConvGeometry g, int filters, {filters}, {image}, float* sums)")
    emit(8, "where TW : IVectorWidth<TU, TF>")
    emit(8, "where TU : unmanaged")
    emit(8, "where TF : unmanaged")
    if k.addressing == "relative":
        emit(8, "where TLayout : struct, ITapLayout")
    emit(4, "{")
    emit(8, "int rowFloats = (g.Width + (2 * g.Padding)) * g.Channels, outWidth = g.OutWidth;")
    emit(8, "nint step = g.Stride * g.Channels, dyStep = filters;")
    if k.addressing == "listed":
        emit(8, "nint " + ", ".join(f"o{i} = offsets[{i}]" for i in range(t)) + ";")
        origin = "padded"
    elif k.addressing == "relative":
        emit()
        emit(8, f"// Windows relative to the first tap's, so the pixel loop holds {WORDS[t - 1]} offsets, not {WORDS[t]} (AVX2 has 16 general registers);")
        emit(8, f"// none when the {WORDS[t]} taps lie side by side in one kernel row's run (constants, folded into the loads' addresses).")
        emit(8, "bool side = TLayout.SideBySide;")
        relative = ["o0 = offsets[0]"] + [f"o{i} = side ? {i} : offsets[{i}] - o0" for i in range(1, t)]
        for first in range(0, t, 4):
            emit(8, "nint " + ", ".join(relative[first:first + 4]) + ";")
        origin = "padded + o0"
    else:
        origin = "window"

    def element(i):
        if k.addressing == "listed":
            return f"x[o{i}]"
        if i == 0:
            return "*x"
        return f"x[{i}]" if k.addressing == "window" else f"x[o{i}]"

    # Sum registers: a (the first vector) and c (the second), one a tap; t points at the second vector's sums.
    assert k.addressing != "window" or k.vectors == 2, "a window kernel runs on pairs of filter vectors only"
    letters = ["a", "c"][:k.vectors]
    bases = {"a": "s", "c": "t"}
    first = "firstFilter" if k.first_filter else "0"
    last = "pairFilters" if k.vectors == 2 else "vectorFilters"
    emit(8, f"for (int fv = {first}; fv < {last}; fv += {'2 * TW.Count' if k.vectors == 2 else 'TW.Count'})")
    emit(8, "{")
    emit(12, "float* s = sums + fv;")
    if k.addressing == "window":
        # Every tap a real one: plain loads, a tap's two vectors together (the order its stores keep too: the hand-written
        # kernel's, so the machine code stayed the same when it became generated).
        for i in range(t):
            emit(12, f"TF a{i} = TW.LoadSingle(s + ({i} * filters)), c{i} = TW.LoadSingle(s + ({i} * filters) + TW.Count);")
    else:
        if k.vectors == 2:
            emit(12, "float* t = s + TW.Count;")
        for letter in letters:
            for i in range(t):
                emit(12, f"TF {letter}{i} = LoadTap<TW, TU, TF>({bases[letter]}, {i}, taps, filters);")

    # The pixel loop: each pixel's output gradient loaded once for every tap of the block, each sum taking the pixels in order.
    emit(12, "for (int oh = 0; oh < g.OutHeight; oh++)")
    emit(12, "{")
    emit(16, f"float* x = {origin} + (oh * g.Stride * rowFloats);")
    emit(16, "float* dy = outputGradient + (oh * outWidth * filters) + fv;")
    emit(16, "for (float* dyEnd = dy + (outWidth * dyStep); dy < dyEnd; x += step, dy += dyStep)")
    emit(16, "{")
    if k.vectors == 1:
        emit(20, "TF d = TW.LoadSingle(dy);")
        for i in range(t):
            emit(20, f"a{i} = TW.FusedMultiplyAdd(TW.BroadcastSingle({element(i)}), d, a{i});")
    else:
        # A pair: one broadcast feeds both vectors.
        emit(20, "TF da = TW.LoadSingle(dy), dc = TW.LoadSingle(dy + TW.Count);")
        for i in range(t):
            emit(20, f"{'TF v' if i == 0 else 'v'} = TW.BroadcastSingle({element(i)});")
            emit(20, f"a{i} = TW.FusedMultiplyAdd(v, da, a{i});")
            emit(20, f"c{i} = TW.FusedMultiplyAdd(v, dc, c{i});")
    emit(16, "}")
    emit(12, "}")
    emit()
    if k.addressing == "window":
        for i in range(t):
            emit(12, f"TW.StoreSingle(a{i}, s + ({i} * filters));")
            emit(12, f"TW.StoreSingle(c{i}, s + ({i} * filters) + TW.Count);")
    else:
        for letter in letters:
            for i in range(t):
                emit(12, f"StoreTap<TW, TU, TF>({letter}{i}, {bases[letter]}, {i}, taps, filters);")
    emit(8, "}")
    emit(4, "}")
    return "\n".join(lines) + "\n"


def source():
    kernels = "\n".join(kernel(k) for k in KERNELS)
    return f'''// <auto-generated>Written by eng/generate-weight-gradient-taps.py; change the script, not this file.</auto-generated>
#nullable enable
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The weight gradient's register-blocked kernels over one padded image: twelve, eight, six and four taps at a time, with
// one or two filter vectors. The helpers are in DirectConvolutionLanes.WeightGradientTaps.cs.
internal static unsafe partial class DirectConvolutionLanes
{{
{kernels}}}
'''


def main():
    return write_or_check(OUT, source(), "generate-weight-gradient-taps.py")


if __name__ == "__main__":
    sys.exit(main())
