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

echo "# $(date -u) $(uname -m) $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
for round in $(seq 1 "$rounds"); do
  for model in mlp cnn; do
    epochs=$([ "$model" = mlp ] && echo "${EPOCHS_MLP:-5}" || echo "${EPOCHS_CNN:-2}")
    echo "round=$round engine=RandAD $(dotnet "$bench/Microsoft.ML.RandAD.Benchmarks.dll" train --model "$model" --epochs "$epochs" --threads "$threads" 2>/dev/null | tail -n 1)" | tee -a "$out"
    echo "round=$round engine=TorchSharp $(eng/torchsharp-reference.sh --model "$model" --epochs "$epochs" --threads "$threads" 2>/dev/null | tail -n 1)" | tee -a "$out"
  done
done
