#!/usr/bin/env bash
# Builds and runs perf/TorchSharpReference, the TorchSharp-cpu peer of the training benchmarks, on this machine:
#   eng/torchsharp-reference.sh --model mlp --epochs 5 --threads 2
#   eng/torchsharp-reference.sh --model cnn --epochs 2 --threads 2
#   eng/torchsharp-reference.sh --build-only
# Compare with the same options of `train` (perf/Microsoft.ML.RandAD.Benchmarks), alternating the two in one session.
#
# TorchSharp-cpu 0.107.0's libLibTorchSharp.so is built with GCC 13 and asks for GLIBCXX_3.4.32, which Debian 12's
# libstdc++ (GCC 12) lacks. It needs one symbol of that version, std::ios_base_library_init(), which GCC 13's <iostream>
# only refers to (the library initialises the standard streams itself). Where the loader refuses the library, this script
# marks that version requirement weak in the built copy and preloads a two-line object that defines the symbol and holds
# the ios_base::Init that GCC 12 expects (eng/torchsharp/). Nothing of this touches the system or the NuGet cache.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${TORCHSHARP_REFERENCE_OUT:-$root/perf/TorchSharpReference/bin/run}"

dotnet build -c Release "$root/perf/TorchSharpReference" -o "$out" >&2
# With a runtime identifier (Directory.Build.props sets linux-<this machine's architecture>) the natives land next to the assembly.
native="$out/libLibTorchSharp.so"
[ -f "$native" ] || native="$out/runtimes/linux-x64/native/libLibTorchSharp.so"
shim="$out/libios_base_library_init.so"
# The build copies the package's library back whenever it differs, so this runs on every call (the patch is idempotent;
# ldd lists a weakened requirement as not found all the same).
if [ -f "$native" ] && (cd "$(dirname "$native")" && ldd "$native" 2>&1 | grep -q "GLIBCXX_3.4.32' not found"); then
  python3 "$root/eng/torchsharp/weaken_version_need.py" "$native" GLIBCXX_3.4.32 >&2
  [ -f "$shim" ] || g++ -O2 -shared -fPIC -o "$shim" "$root/eng/torchsharp/ios_base_library_init.cpp"
fi

if [ -f "$shim" ]; then
  export LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}"
fi

if [ "${1:-}" = "--build-only" ]; then
  exit 0
fi

exec dotnet "$out/TorchSharpReference.dll" "$@"
