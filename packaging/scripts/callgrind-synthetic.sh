#!/usr/bin/env bash
# Instructions per sample for writing the synthetic set (200 gauges, 200 counters with sensor and
# location labels, a 20-series histogram with 10 buckets: 660 samples) in text format, counted by
# valgrind's callgrind: the program runs twice, with few and with many writes, and the difference
# divided by the extra writes is the cost of one write, without start-up or JIT (tiered compilation
# off, so the code measured is the optimised code from the first call).
# Under valgrind 3.19 that is not so for every method: there the JIT compiles many methods twice,
# and keeps MinOpts code (no inlining, locals on the stack); seen on this machine for every method
# left with a call to another managed method (a throw helper counts), cause not found. Natively none
# is (DOTNET_JitDisasmSummary=1 without valgrind lists no MinOpts method). So the figure overstates
# what the optimised code costs; the script names the number formatter's and writer's methods that
# ran as MinOpts code (from DOTNET_JitDisasmSummary, the same in both runs).
# Usage: packaging/scripts/callgrind-synthetic.sh [extra-writes]   (default 500)
set -euo pipefail
cd "$(dirname "$0")/../.."
extra=${1:-500}
dotnet build -c Release tests/EdgeExporter.Benchmarks -v:q -nologo >/dev/null
dll=tests/EdgeExporter.Benchmarks/bin/Release/net10.0/EdgeExporter.Benchmarks.dll
tiers=$(mktemp)
count() {
  local out; out=$(mktemp); rm -f "$tiers"
  DOTNET_TieredCompilation=0 DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile="$tiers" valgrind --tool=callgrind --callgrind-out-file="$out" dotnet "$dll" write-synthetic "$1" >/dev/null 2>&1
  awk '/^totals:/ {print $2}' "$out"; rm -f "$out"
}
few=$(count 20)
many=$(count $((20 + extra)))
awk -v a="$few" -v b="$many" -v n="$extra" 'BEGIN { w = (b - a) / n; printf "instructions_per_write=%d instructions_per_sample=%.0f (660 samples)\n", w, w / 660 }'
minopts=$(grep -E 'EdgeExporter\.Metrics\.(ExpositionWriter|SampleValue|ShortestDecimal|SampleText):' "$tiers" | grep MinOpts | sed -E 's/.*Metrics\.([A-Za-z]+:[A-Za-z]+).*/\1/' | sort -u | tr '\n' ' ')
echo "minopts_under_valgrind=${minopts:-none}"; rm -f "$tiers"
