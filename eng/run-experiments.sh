#!/usr/bin/env bash
# The paper-reproduction runs behind docs/results.md (perf/RandAD.Experiments).
#   eng/run-experiments.sh quick      ~10 min on 2 cores: every model and estimator, short runs -> artifacts/experiments/quick
#   eng/run-experiments.sh full       the committed figures: the ConvNet in one process and FC/IRNN/sweep/memory in another
#                                     (one kernel thread each, so the two cores are used without GEMM barrier waits),
#                                     then the merged figures and tables -> artifacts/experiments/full
#   eng/run-experiments.sh pixel      the pixel-by-pixel IRNN (784 steps, MNIST subset), its six arms in two processes of one
#                                     kernel thread each (24 min on the Zen 3 VM) -> artifacts/experiments/pixel
#   eng/run-experiments.sh publish DIR   copy DIR's figures, tables and merged CSV into docs/figures (what docs/results.md shows)
#   eng/run-experiments.sh publish-pixel DIR   the same for a pixel run (its files named apart: pixel-summary.md, results-pixel.csv)
set -euo pipefail
cd "$(dirname "$0")/.."

project=perf/RandAD.Experiments
out=artifacts/experiments

build() { dotnet publish "$project" -c Release -o "$out/bin" >/dev/null; }

case "${1:-}" in
  quick)
    build
    "$out/bin/RandAD.Experiments" paper --quick --out "$out/quick" | tee "$out/quick.log"
    ;;
  full)
    build
    mkdir -p "$out/full"
    "$out/bin/RandAD.Experiments" paper --full --models conv --out "$out/full/conv" > "$out/full/conv.log" 2>&1 &
    conv=$!
    "$out/bin/RandAD.Experiments" paper --full --models fc,irnn,memory --out "$out/full/fc-irnn" > "$out/full/fc-irnn.log" 2>&1
    wait "$conv"
    # One CSV of every row (the header once), from which `plot` draws every figure and table.
    { cat "$out/full/fc-irnn/results.csv"; tail -n +2 "$out/full/conv/results.csv"; } > "$out/full/results.csv"
    "$out/bin/RandAD.Experiments" plot "$out/full/results.csv" --out "$out/full"
    cp "$out/full/fc-irnn/memory.md" "$out/full/fc-irnn/memory.csv" "$out/full/"
    ;;
  pixel)
    build
    mkdir -p "$out/pixel"
    # The arms split so the two processes take about as long (exact B=150 and magnitude sampling are the slowest steps).
    "$out/bin/RandAD.Experiments" paper --plan pixel --arms exact-full,rad-projection,exact-reduced --out "$out/pixel/a" > "$out/pixel/a.log" 2>&1 &
    first=$!
    "$out/bin/RandAD.Experiments" paper --plan pixel --arms rad-per-row,rad-shared,rad-magnitude --out "$out/pixel/b" > "$out/pixel/b.log" 2>&1
    wait "$first"
    { cat "$out/pixel/a/results.csv"; tail -n +2 "$out/pixel/b/results.csv"; } > "$out/pixel/results.csv"
    "$out/bin/RandAD.Experiments" plot "$out/pixel/results.csv" --out "$out/pixel"
    ;;
  publish)
    from=${2:?usage: eng/run-experiments.sh publish DIR}
    mkdir -p docs/figures
    cp "$from"/*.png "$from"/summary.md "$from"/summary.csv docs/figures/
    if [ -f "$from/results.csv" ]; then cp "$from/results.csv" docs/figures/results-full.csv; fi
    if [ -f "$from/memory.md" ]; then cp "$from"/memory.md "$from"/memory.csv docs/figures/; fi
    ;;
  publish-pixel)
    from=${2:?usage: eng/run-experiments.sh publish-pixel DIR}
    mkdir -p docs/figures
    cp "$from"/mnist-irnn-pixel-*.png docs/figures/
    cp "$from/summary.md" docs/figures/pixel-summary.md
    cp "$from/results.csv" docs/figures/results-pixel.csv
    ;;
  *)
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
