#!/usr/bin/env python3
"""Writes src/Microsoft.ML.RandAD/Kernels/DirectConvolutionLanes.Sparse.g.cs, the register-blocked kernels of the direct
convolution's sparse gradients, which C# generics cannot write once because they unroll on a number:
- the weight gradient's runs (six to three vectors of a window row, one or two runs at a time: one sum register per vector),
  over the listed nonzero output-gradient elements;
- the input gradient's walks of a block's receptive field, unrolled by column, because the column fixes which output pixels
  (accumulator registers) an input feeds and with which tap.
Run it after changing this script (`--check` only compares, exit code 1 when the file is stale):
    python3 eng/generate-sparse-kernels.py
"""
import sys
from pathlib import Path

from generated_file import write_or_check

WIDTHS = (3, 5, 7)
RUNS = (6, 5, 4, 3)  # vectors of a window row the weight gradient takes at once
SHAPES = ((4, True), (8, False))  # (pixels, two vectors of channels)


def section(column, pixels, width, two):
    feeds = [j for j in range(pixels) if 0 <= column - j < width]
    body = [
        f"bits = m[{column}];",
        f"xs = x + ({column} * channels);",
        "while (bits != 0)",
        "{",
        "    nint c = BitOperations.TrailingZeroCount(bits);",
        "    bits &= bits - 1;",
        f"    nint wc = c * {'(2 * n)' if two else 'n'};",
        "    TF d = TW.BroadcastSingle(xs[c]);",
    ]
    for j in feeds:
        tap = column - j
        body.append(f"    a{j} = TW.FusedMultiplyAdd(d, TW.LoadSingle(w{tap} + wc), a{j});")
        if two:
            body.append(f"    b{j} = TW.FusedMultiplyAdd(d, TW.LoadSingle(w{tap} + wc + n), b{j});")
    body.append("}")
    indent = " " * 12
    if column >= width:
        # Columns past the first pixel's window exist only for blocks with a pixel whose window reaches them.
        lines = [f"if (pixels > {column - width + 1})", "{"] + ["    " + b for b in body] + ["}"]
    else:
        lines = body
    return "\n".join(indent + line for line in lines)


def kernel(pixels, two, width):
    name = f"WalkReceptiveField{pixels}{'x2' if two else ''}Width{width}"
    columns = pixels + width - 1
    sums = ", ".join(
        ([f"a{j} = a0" for j in range(1, pixels)] + [f"b{j} = a0" for j in range(pixels)]) if two else [f"a{j} = a0" for j in range(1, pixels)])
    taps = ", ".join(["w0 = weight + (kh * " + str(width) + " * tapStride)"] + [f"w{t} = w{t - 1} + tapStride" for t in range(1, width)])
    stores = []
    for j in range(pixels):
        if two:
            stores.append(f"        StorePixelPair<TW, TU, TF>(a{j}, b{j}, y + ({j} * filters), {j}, pixels);")
        else:
            stores.append(f"        StorePixel<TW, TU, TF>(a{j}, y + ({j} * filters), {j}, pixels);")
    sections = "\n\n".join(section(col, pixels, width, two) for col in range(columns))
    return f'''    /// <summary>Up to {pixels} pixels of {'two vectors' if two else 'one vector'} of output channels, a kernel {width} wide: {columns} columns a kernel row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void {name}<TW, TU, TF>(in ConvGeometry g, float* x, ulong* masks, int paddedWidth, int pixels, float* weight, float* y)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {{
        int n = TW.Count, filters = {'2 * n' if two else 'n'}, channels = g.Channels;
        nint tapStride = (nint)channels * filters;
        TF a0 = TW.BroadcastSingle(0f){', ' + sums if sums else ''};
        for (int kh = 0; kh < g.KernelHeight; kh++, x += paddedWidth * channels, masks += paddedWidth)
        {{
            float* {taps};
            ulong* m = masks;
            ulong bits;
            float* xs;
{sections}
        }}

{chr(10).join(stores)}
    }}
''', name


def run_kernel(length, pair):
    name = f"Sparse{length}{'x2' if pair else ''}"
    halves = ("a", "b") if pair else ("a",)
    params = "float* xA, float* xB, int* windows, float* values, int count, float* sA, float* sB" if pair else "float* x, int* windows, float* values, int count, float* s"
    def sums(h):
        return f"s{h.upper()}" if pair else "s"
    def xs(h):
        return f"p{h}" if pair else "p"
    def offset(v):
        return "" if v == 0 else (" + n" if v == 1 else f" + ({v} * n)")
    loads = "\n".join(
        "        TF " + ", ".join(f"{h}{v} = TW.LoadSingle({sums(h)}{offset(v)})" for v in range(length)) + ";" for h in halves)
    pointers = ", ".join(f"{xs(h)} = {'x' + h.upper() if pair else 'x'} + windows[e]" for h in halves)
    fmas = "\n".join(f"            {h}{v} = TW.FusedMultiplyAdd(d, TW.LoadSingle({xs(h)}{offset(v)}), {h}{v});" for h in halves for v in range(length))
    stores = "\n".join(f"        TW.StoreSingle({h}{v}, {sums(h)}{offset(v)});" for h in halves for v in range(length))
    what = f"{'Two runs' if pair else 'One run'} of {length} vectors ({length * len(halves)} sums in registers)"
    return f'''    /// <summary>{what} over the listed windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void {name}<TW, TU, TF>({params})
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {{
        int n = TW.Count;
{loads}
        for (int e = 0; e < count; e++)
        {{
            TF d = TW.BroadcastSingle(values[e]);
            float* {pointers};
{fmas}
        }}

{stores}
    }}
'''


def main():
    runs = [run_kernel(length, pair) for length in RUNS for pair in (True, False)]
    run_cases = "\n".join(
        f"            case ({length}, true):\n                Sparse{length}x2<TW, TU, TF>(xA, xB, windows, values, count, sA, sB);\n                break;\n"
        f"            case ({length}, false):\n                Sparse{length}<TW, TU, TF>(xA, windows, values, count, sA);\n                break;"
        for length in RUNS)
    kernels = []
    cases = []
    for pixels, two in SHAPES:
        for width in WIDTHS:
            text, name = kernel(pixels, two, width)
            kernels.append(text)
            cases.append((pixels, width, name))
    dispatch = "\n".join(
        f"            case ({pixels}, {width}):\n                {name}<TW, TU, TF>(g, x, masks, paddedWidth, pixels, weight, y);\n                return true;"
        for pixels, width, name in cases)
    source = f'''// <auto-generated>Written by eng/generate-sparse-kernels.py; change the script, not this file.</auto-generated>
#nullable enable
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

// The sparse gradients' register-blocked kernels: the weight gradient's runs, the input gradient's walks.
internal static unsafe partial class DirectConvolutionLanes
{{
    /// <summary>Vectors of a window row <see cref="SumRuns{{TW, TU, TF}}"/> takes at once, the longest first.</summary>
    public static ReadOnlySpan<int> RunLengths => [{", ".join(str(r) for r in RUNS)}];

    /// <summary>
    /// Adds the listed windows' <paramref name="run"/> vectors at <paramref name="xA"/> (and at <paramref name="xB"/>, when not
    /// null: two runs at a time), each scaled by its value, into the sums at <paramref name="sA"/> (and <paramref name="sB"/>):
    /// one sum register per vector, the entries in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumRuns<TW, TU, TF>(int run, float* xA, float* xB, int* windows, float* values, int count, float* sA, float* sB)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {{
        switch ((run, xB != null))
        {{
{run_cases}
            default:
                throw new ArgumentOutOfRangeException(nameof(run), run, "No kernel for runs of this length.");
        }}
    }}

    /// <summary>Kernel widths <see cref="WalkReceptiveField{{TW, TU, TF}}"/> takes.</summary>
    public static bool WalksReceptiveField(int kernelWidth) => kernelWidth is {" or ".join(str(w) for w in WIDTHS)};

    /// <summary>
    /// A block of up to <paramref name="block"/> pixels along a row (four of two vectors of output channels, or eight of one) of
    /// the input gradient as a forward convolution, walking the block's receptive field instead of its taps: each input pixel
    /// of a kernel row (block + width − 1 columns), each of its own nonzero channels (<paramref name="masks"/>), is added into
    /// every output pixel whose window holds it, with that pixel's tap of the weights. Only nonzero terms are computed, and
    /// each output element still takes its terms in the dense kernels' order (kernel row, then column, then channel): the same
    /// bits. <paramref name="x"/> and <paramref name="masks"/> are the first pixel's window corner; columns past the last
    /// pixel's window are not read; pixels past <paramref name="pixels"/> are not stored. False for other kernel widths.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool WalkReceptiveField<TW, TU, TF>(in ConvGeometry g, int block, float* x, ulong* masks, int paddedWidth, int pixels, float* weight, float* y)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {{
        switch ((block, g.KernelWidth))
        {{
{dispatch}
            default:
                return false;
        }}
    }}

{chr(10).join(runs)}
{chr(10).join(kernels)}
    /// <summary>Stores pixel <paramref name="index"/>'s two vectors when it is one of the block's <paramref name="pixels"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePixelPair<TW, TU, TF>(TF a, TF b, float* y, int index, int pixels)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {{
        if (index < pixels)
        {{
            TW.StoreSingle(a, y);
            TW.StoreSingle(b, y + TW.Count);
        }}
    }}

    /// <summary>Stores pixel <paramref name="index"/>'s vector when it is one of the block's <paramref name="pixels"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePixel<TW, TU, TF>(TF a, float* y, int index, int pixels)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {{
        if (index < pixels)
        {{
            TW.StoreSingle(a, y);
        }}
    }}
}}
'''
    out = Path(__file__).resolve().parent.parent / "src/Microsoft.ML.RandAD/Kernels/DirectConvolutionLanes.Sparse.g.cs"
    return write_or_check(out, source, "generate-sparse-kernels.py")


if __name__ == "__main__":
    sys.exit(main())
