#!/usr/bin/env bash
# Instructions per sample for writing the synthetic set (200 gauges, 200 counters with sensor and
# location labels, a 20-series histogram with 10 buckets: 660 samples) in text format, counted by
# valgrind's callgrind: the program runs twice, with few and with many writes, and the difference
# divided by the extra writes is the cost of one write, without start-up.
# The program is Native AOT (tests/EdgeExporter.Native.Benchmarks, Size, like the shipped binary),
# so what is counted is the code the exporter runs. Counting under the JIT (JIT=1, the benchmark
# project with tiering off) overstates it: under valgrind 3.19 the JIT keeps MinOpts code (no
# inlining, locals on the stack) for every writer method left with a call to another managed method
# (cause not found; natively DOTNET_JitDisasmSummary=1 lists none).
# Usage: [JIT=1] packaging/scripts/callgrind-synthetic.sh [extra-writes]   (default 500)
set -euo pipefail
cd "$(dirname "$0")/../.."
extra=${1:-500}
if [ -n "${JIT:-}" ]; then
  dotnet build -c Release tests/EdgeExporter.Benchmarks -v:q -nologo >/dev/null
  run=(env DOTNET_TieredCompilation=0 dotnet tests/EdgeExporter.Benchmarks/bin/Release/net10.0/EdgeExporter.Benchmarks.dll)
else
  out=artifacts/bench-native
  dotnet publish -c Release -r linux-x64 tests/EdgeExporter.Native.Benchmarks -o "$out" -v:q -nologo >/dev/null
  # valgrind 3.19 gives up on the .dbg beside the binary ("possibly corrupted debuginfo"): run a copy alone.
  alone=$(mktemp -d); trap 'rm -rf "$alone"' EXIT
  cp "$out/EdgeExporter.Native.Benchmarks" "$alone/"
  run=("$alone/EdgeExporter.Native.Benchmarks")
fi
count() {
  local out; out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "${run[@]}" write-synthetic "$1" >/dev/null 2>&1
  awk '/^totals:/ {print $2}' "$out"; rm -f "$out"
}
few=$(count 20)
many=$(count $((20 + extra)))
awk -v a="$few" -v b="$many" -v n="$extra" -v mode="${JIT:+jit}" 'BEGIN { w = (b - a) / n; printf "instructions_per_write=%d instructions_per_sample=%.0f (660 samples, %s)\n", w, w / 660, mode == "" ? "native AOT" : "JIT" }'
