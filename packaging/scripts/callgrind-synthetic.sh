#!/usr/bin/env bash
# Instructions per sample for writing the synthetic set (200 gauges, 200 counters with sensor and
# location labels, a 20-series histogram with 10 buckets: 660 samples) in text format, counted by
# valgrind's callgrind: the program runs twice, with few and with many writes, and the difference
# divided by the extra writes is the cost of one write, without start-up or JIT (tiered compilation
# off, so the code measured is the optimised code from the first call).
# Usage: packaging/scripts/callgrind-synthetic.sh [extra-writes]   (default 500)
set -euo pipefail
cd "$(dirname "$0")/../.."
extra=${1:-500}
dotnet build -c Release tests/EdgeExporter.Benchmarks -v:q -nologo >/dev/null
dll=tests/EdgeExporter.Benchmarks/bin/Release/net10.0/EdgeExporter.Benchmarks.dll
count() {
  local out; out=$(mktemp)
  DOTNET_TieredCompilation=0 valgrind --tool=callgrind --callgrind-out-file="$out" dotnet "$dll" write-synthetic "$1" >/dev/null 2>&1
  awk '/^totals:/ {print $2}' "$out"; rm -f "$out"
}
few=$(count 20)
many=$(count $((20 + extra)))
awk -v a="$few" -v b="$many" -v n="$extra" 'BEGIN { w = (b - a) / n; printf "instructions_per_write=%d instructions_per_sample=%.0f (660 samples)\n", w, w / 660 }'
