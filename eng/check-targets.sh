#!/usr/bin/env bash
# Issues 2 and 3's speed, memory and accuracy targets in one run, each side by side with its reference in the same session,
# ending with a verdict per target. Run it on the machine kind the issues name (Zen 5, 2 cores, AVX-512) to settle them.
#   - GEMM (issue 2): RandAD / OpenBLAS on the four shapes, one and two threads (`gemm-paired`; OpenBLAS's SkylakeX kernels
#     where AVX-512 exists). Target: at least OpenBLAS's figure on every shape and thread count.
#   - Training (issue 3): the step's FLOP rate over the GEMM kernel's on its own products (`step-flops`, target >= 60 %), and
#     RandAD beside TorchSharp-cpu (`eng/peer-training.sh`): samples/s >= 2x on the MLP and >= 1.5x on the CNN, test accuracy
#     equal or better, process peak under half of TorchSharp's.
#   - Not a target, a check of a default: the CNN step with its convolutions' sparse gradients over the dense one, on a
#     Fashion-MNIST minibatch (`step-compare --real-data`, 3 runs each). Above 1 means the sparse kernels lose on this
#     machine's vector width: make DirectConvolutionLanes.SparseRun (weight gradient) or SparseBlock (input gradient)
#     return 0 for that width. Likewise the Flatten passed over against run (`--passed-views`; above 1: turn
#     Network.PassesViews off by default), the CNN's automatic chunk (one of 128) against two of 64 (`--chunks`; above 1:
#     revisit Network.ChunkBufferBytes) and every convolution under max pooling reading its gradient through the winners
#     against only the first (`--pooled-gradients`; above 1: see Network.ReadsEveryPooledGradient). And RAD's magnitude sampling writing whole vectors of draws against the walk before
#     (`magnitude-timing --whole-vectors`, four shapes; above 1: see MagnitudeSampling.WalksWholeVectors), RAD's MLP with its
#     ReLU masks packed and applied by the Dense products against the ReLUs' own passes (`step-compare --model mlp
#     --fused-activations --keep 0.1`; above 1: see Network.PacksReluMaskInProduct), and the training loop reading each next
#     minibatch through the trainers' ML.NET source during the optimizer's update against after it (`mlnet-feed
#     --read-ahead-epochs 6`; above 1: see TrainingLoop.ReadsAhead).
#   - Leads, measured and printed without a verdict: the Adam update over 64-byte-aligned arrays against arrays placed as
#     .NET places a large array's data (`adam-alignment --flush`; well above 1 on AVX-512 argues for aligned parameter
#     storage, docs/benchmarks.md, twenty-second session), and the first convolution's direct kernels against im2col + GEMM
#     (`conv-paired --layers 28x28x1k5f16`, the layer whose kernel calls are shortest).
# Usage: eng/check-targets.sh [rounds] [output-dir]   (rounds of the TorchSharp comparison, default 3; about 2.5 min a round)
#        eng/check-targets.sh --summary output-dir     (the verdicts again, from a finished run's files)
set -euo pipefail
cd "$(dirname "$0")/.."

# A default checked against the way before it: the candidate / baseline ratios ("faster" when every one is below 1, else how
# many are not, and what to look at), or "not measured" when the run left none.
default_check() {
  local label=$1 file=$2 ratios=$3 units=$4 advice=$5 verdict
  if [ -z "$ratios" ]; then
    echo "- (default) $label: not measured (see $file)"
    return
  fi
  verdict=$(echo "${ratios%%;*}" | awk -v units="$units" -v advice="$advice" '{ for (i = 1; i <= NF; i++) if ($i >= 1) slow++; print slow ? "SLOWER in " slow " of " NF " " units ": " advice : "faster" }')
  echo "- (default) $label: $verdict ($ratios)"
}

summary() {
  local dir=$1
  echo "## Targets ($dir)"
  # GEMM: the last column of gemm-paired's table rows is RandAD / OpenBLAS, the median of paired rounds.
  touch "$dir/gemm-paired.txt" "$dir/peer-training.txt" # a missing part reads as not measured
  awk -F'|' '$2 ~ /^ *[0-9]+ *$/ {
      threads = $2 + 0; shape = $3; gsub(/^ +| +$/, "", shape); ratio = $6; gsub(/[ ×]/, "", ratio); n++
      if (ratio + 0 < 1) { below = below sprintf("%s on %d thread(s) %.2f×; ", shape, threads, ratio); bad++ }
    }
    END {
      if (n == 0) { print "- GEMM >= OpenBLAS on every shape and thread count: not measured (see gemm-paired.txt)"; exit }
      printf "- GEMM >= OpenBLAS on every shape and thread count: %s (%d of %d at or above)\n", bad ? "NOT MET" : "met", n - bad, n
      if (bad) printf "  below: %s\n", below
    }' "$dir/gemm-paired.txt"

  local model ratio verdict
  for model in mlp cnn; do
    ratio=$(grep -o 'ratio (median of rounds) [0-9.]* %' "$dir/step-flops-$model.txt" 2>/dev/null | grep -o '[0-9.]*' | head -1 || true)
    if [ -z "$ratio" ]; then
      echo "- $model step at >= 60 % of the GEMM rate: not measured (see step-flops-$model.txt)"
    else
      verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 60 ? "met" : "NOT MET") }')
      echo "- $model step at >= 60 % of the GEMM rate: $verdict ($ratio %, paired)"
    fi
  done

  # TorchSharp side by side: each round's RandAD line against the TorchSharp line of the same round and model.
  awk '
    function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
    /^round=/ {
      if (field("model") == "") next # a run that failed twice: its round has no pair for that model
      key = field("round") SUBSEP field("model")
      if (field("round") + 0 > rounds) rounds = field("round") + 0
      if (field("engine") == "RandAD") { rs[key] = field("samples_per_s"); ra[key] = field("test_accuracy"); rp[key] = field("peak_rss_bytes") }
      else { ts[key] = field("samples_per_s"); ta[key] = field("test_accuracy"); tp[key] = field("peak_rss_bytes") }
      models[field("model")] = 1
    }
    END {
      target["mlp"] = 2; target["cnn"] = 1.5
      for (m in models) {
        n = 0; met = 0; list = ""; accuracy = 1; memory = 0
        for (round = 1; round <= rounds; round++) {
          key = round SUBSEP m
          if (!(key in rs) || !(key in ts) || ts[key] == 0 || tp[key] == 0) continue
          r = rs[key] / ts[key]; n++; if (r >= target[m]) met++
          list = list sprintf("%.2f ", r)
          if (ra[key] + 0 < ta[key] + 0) accuracy = 0
          if (rp[key] / tp[key] > memory) memory = rp[key] / tp[key]
        }
        if (n == 0) { printf "- %s against TorchSharp: not measured (see peer-training.txt)\n", m; continue }
        printf "- %s samples/s >= %.1fx TorchSharp'"'"'s: %s (%d of %d rounds: %s)\n", m, target[m], met == n ? "met" : "NOT MET", met, n, list
        printf "- %s test accuracy >= TorchSharp'"'"'s: %s\n", m, accuracy ? "met" : "NOT MET"
        printf "- %s process peak < 0.5x TorchSharp'"'"'s: %s (at most %.2fx)\n", m, memory < 0.5 ? "met" : "NOT MET", memory
      }
    }' "$dir/peer-training.txt" 2>/dev/null || echo "- against TorchSharp: not measured (see peer-training.txt)"

  local variant ratios advice
  for variant in sparse-gradients sparse-input-gradients passed-views chunks pooled-gradients; do
    advice="turn it off for this vector width"
    case $variant in
      passed-views) advice="see Network.PassesViews" ;;
      chunks) advice="see Network.ChunkBufferBytes" ;;
      pooled-gradients) advice="see Network.ReadsEveryPooledGradient" ;;
    esac
    ratios=$(grep -o 'ratio=[0-9.]*' "$dir/step-compare-$variant.txt" 2>/dev/null | cut -d= -f2 | xargs || true)
    default_check "cnn step with --$variant over without" "step-compare-$variant.txt" "$ratios" runs "$advice"
  done

  ratios=$(grep -o ' ratio=[0-9.]*' "$dir/magnitude-whole-vectors.txt" 2>/dev/null | cut -d= -f2 | xargs || true)
  if [ -n "$ratios" ] && grep -q DIFFERENT "$dir/magnitude-whole-vectors.txt"; then ratios="$ratios; DIFFERENT CODES (a bug)"; fi
  default_check "RAD's magnitude sampling writing whole vectors of draws over the last walk" magnitude-whole-vectors.txt \
    "$ratios" shapes "see MagnitudeSampling.WalksWholeVectors"
  ratios=$(grep -o 'ratio=[0-9.]*' "$dir/step-compare-rad-masks.txt" 2>/dev/null | cut -d= -f2 | xargs || true)
  default_check "RAD mlp step with its ReLU masks in the Dense products over apart" step-compare-rad-masks.txt \
    "$ratios" runs "see Network.PacksReluMaskInProduct"
  ratios=$(grep -o 'median [0-9.]*' "$dir/read-ahead.txt" 2>/dev/null | cut -d' ' -f2 | xargs || true)
  default_check "mlp step through the trainers' source reading ahead over after the update (median of epochs 2-6)" read-ahead.txt \
    "$ratios" runs "see TrainingLoop.ReadsAhead"

  ratios=$(grep -o 'median [0-9.]*' "$dir/adam-alignment.txt" 2>/dev/null | cut -d' ' -f2 | xargs || true)
  echo "- (lead) Adam over arrays 8/24/40 bytes past a 64-byte boundary / on it, state from memory: ${ratios:-not measured (see adam-alignment.txt)}"
  ratios=$(grep '28x28x1k5f16 | forward' "$dir/conv-first-layer.txt" 2>/dev/null | awk -F'|' '{ print $6 }' | xargs || true)
  echo "- (lead) the first convolution's forward pass, direct / im2col + GEMM time: ${ratios:-not measured (see conv-first-layer.txt)}"
}

if [ "${1:-}" = "--summary" ]; then
  summary "$2"
  exit 0
fi

rounds=${1:-3}
dir=${2:-artifacts/perf/targets-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$dir"
bench=perf/Microsoft.ML.RandAD.Benchmarks/bin/targets
dotnet build perf/Microsoft.ML.RandAD.Benchmarks -c Release -o "$bench" -v quiet -nologo >/dev/null
run() { dotnet "$bench/Microsoft.ML.RandAD.Benchmarks.dll" "$@"; }

echo "# $(date -u) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$dir/machine.txt"

# The GEMM baseline is Debian's OpenBLAS (issue 2); a fresh machine lacks it, so it is installed here when this runs as root
# with apt-get (otherwise gemm-paired says it is missing and the GEMM target reads "not measured").
if ! ldconfig -p | grep -q 'libopenblas\.so\.0'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "# installing libopenblas0-pthread (the GEMM baseline)"
    apt-get install -y -q libopenblas0-pthread >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q libopenblas0-pthread >/dev/null 2>&1; } ||
      echo "# could not install libopenblas0-pthread; the GEMM comparison will be skipped"
  else
    echo "# libopenblas.so.0 not found: install Debian's libopenblas0-pthread for the GEMM comparison"
  fi
fi

# OpenBLAS 0.3.21 does not recognise Zen 5 and falls back to its AVX2 kernels; its AVX-512 ones kill the process where
# AVX-512 is absent, so they are asked for only where it exists.
if grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
run gemm-paired --threads 1,2 --rounds 21 | tee "$dir/gemm-paired.txt"
unset OPENBLAS_CORETYPE
for model in mlp cnn; do
  run step-flops --model "$model" --threads 2 | tee "$dir/step-flops-$model.txt"
done
for variant in sparse-gradients sparse-input-gradients passed-views chunks pooled-gradients; do
  : >"$dir/step-compare-$variant.txt"
  for _ in 1 2 3; do
    run step-compare --model cnn --"$variant" --real-data | tee -a "$dir/step-compare-$variant.txt"
  done
done
run magnitude-timing --threads 1 --whole-vectors | tee "$dir/magnitude-whole-vectors.txt"
: >"$dir/step-compare-rad-masks.txt"
for _ in 1 2 3; do
  run step-compare --model mlp --fused-activations --keep 0.1 --real-data | tee -a "$dir/step-compare-rad-masks.txt"
done
run mlnet-feed --passes 0 --read-ahead-epochs 6 | tee "$dir/read-ahead.txt"
run adam-alignment --flush | tee "$dir/adam-alignment.txt"
run conv-paired --layers 28x28x1k5f16 | tee "$dir/conv-first-layer.txt"
eng/peer-training.sh "$rounds" "$dir/peer-training.txt"

echo
summary "$dir"
