#!/usr/bin/env bash
# Issue 3/4 training benchmarks: each configuration in a fresh process, so its peak memory is its own.
# Usage: eng/perf-training.sh [output.txt]   (RANDAD_THREADS, EPOCHS_MLP, EPOCHS_CNN override the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/perf/training-$(date +%Y%m%d-%H%M%S).txt}
mkdir -p "$(dirname "$out")"
dotnet build perf/Microsoft.ML.RandAD.Benchmarks -c Release -v quiet -nologo >/dev/null
run() { dotnet run -c Release --project perf/Microsoft.ML.RandAD.Benchmarks --no-build -- "$@" 2>/dev/null | tee -a "$out"; }

echo "# $(date -u) $(uname -m) $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
threads=${RANDAD_THREADS:-2}
# Throughput and accuracy (TorchSharp reference: MLP 5 epochs, CNN 2 epochs; DATA.md).
run train --model mlp --epochs "${EPOCHS_MLP:-5}" --threads "$threads"
run train --model cnn --epochs "${EPOCHS_CNN:-2}" --threads "$threads"
run train --model mlp --epochs "${EPOCHS_MLP:-5}" --threads "$threads" --keep 0.1 --estimator SampledPerRow
run train --model mlp --epochs "${EPOCHS_MLP:-5}" --threads "$threads" --keep 0.1 --estimator SampledShared
run train --model cnn --epochs "${EPOCHS_CNN:-2}" --threads "$threads" --keep 0.1 --estimator SampledShared
# RAD step time against exact, alternated round by round in one process (paired: immune to the machine's speed drift).
for model in mlp cnn; do
  for estimator in SampledShared SampledPerRow; do
    run step-compare --model "$model" --threads "$threads" --keep 0.1 --estimator "$estimator"
  done
done
# Step FLOP rate against the GEMM kernel on the step's own products.
for model in mlp cnn; do
  run step-flops --model "$model" --threads "$threads"
  run step-flops --model "$model" --threads "$threads" --keep 0.1 --estimator SampledShared
  run step-flops --model "$model" --threads "$threads" --keep 0.1 --estimator SampledPerRow
done
# Process peak memory at a batch where activations dominate (synthetic data: no data set in the process).
for batch in 4096 65536 131072; do
  for keep in 1 0.1; do
    run train --model mlp --synthetic --rows $((batch * 4)) --batch "$batch" --epochs 1 --threads "$threads" --keep "$keep"
  done
done
echo "results in $out"
