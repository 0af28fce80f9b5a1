#!/usr/bin/env bash
# Issue 3's targets side by side: RandAD's `train` verb and the TorchSharp-cpu reference (perf/TorchSharpReference) on the
# same models, data and settings, alternated run by run in one session so both see the machine at the same speed.
# Usage: eng/peer-training.sh [rounds] [output.txt]   (RANDAD_THREADS, EPOCHS_MLP, EPOCHS_CNN override the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${2:-artifacts/perf/peer-training-$(date +%Y%m%d-%H%M%S).txt}
mkdir -p "$(dirname "$out")"
threads=${RANDAD_THREADS:-2}
bench=perf/Microsoft.ML.RandAD.Benchmarks/bin/peer
dotnet build perf/Microsoft.ML.RandAD.Benchmarks -c Release -o "$bench" -v quiet -nologo >/dev/null
eng/torchsharp-reference.sh --build-only >/dev/null # builds it (and, on Debian 12, patches its copy) once

log="${out%.txt}.stderr.txt"
: > "$log"
# One result line per run. TorchSharp-cpu 0.107.0 sometimes dies in Adam's step ("Expected false to be true ... toFloat at
# c10/core/Scalar.h:140": a Scalar it created implicitly was finalized while libtorch read it), so a run that ends without
# a line is run once more, and the line says so; its stderr is in $log.
run() {
  local engine=$1
  shift
  local line status=0 note=""
  line=$("$@" 2>>"$log" | tail -n 1) || status=$?
  if [ -z "$line" ]; then
    note=" retried=\"exit status $status\""
    status=0
    line=$("$@" 2>>"$log" | tail -n 1) || status=$?
  fi
  echo "round=$round engine=$engine ${line:-failed: exit status $status, see $log}$note" | tee -a "$out"
}

# The data set is fetched and converted on first use; that is done here, so no round's memory or time includes it (on a
# fresh Zen 5 machine the first round that converted it peaked at 320 MB against 165 MB in every later round).
dotnet "$bench/Microsoft.ML.RandAD.Benchmarks.dll" data >/dev/null

echo "# $(date -u) $(uname -m) $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
for round in $(seq 1 "$rounds"); do
  for model in mlp cnn; do
    epochs=$([ "$model" = mlp ] && echo "${EPOCHS_MLP:-5}" || echo "${EPOCHS_CNN:-2}")
    run RandAD dotnet "$bench/Microsoft.ML.RandAD.Benchmarks.dll" train --model "$model" --epochs "$epochs" --threads "$threads"
    run TorchSharp eng/torchsharp-reference.sh --model "$model" --epochs "$epochs" --threads "$threads"
  done
done
