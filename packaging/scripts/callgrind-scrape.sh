#!/usr/bin/env bash
# Instructions per scrape and per sample of the published binary, counted by valgrind's callgrind
# (repeatable: instructions, not seconds, so a noisy machine does not move it). Only the work of a
# request is counted: the event loop's handling of socket events (parse, route, send) and the
# renderer's writing of bodies (collectors, store, formatter, gzip); start-up and idle are not.
# Usage: packaging/scripts/callgrind-scrape.sh [scrapes] [exporter flags...]
#   default flags: --collector.disable-defaults --simulate (the server and the store alone)
# Needs: valgrind, curl, binutils (objcopy). Prints the top functions too.
set -euo pipefail
cd "$(dirname "$0")/../.."
scrapes=${1:-200}
shift || true
flags=("$@")
[ ${#flags[@]} -eq 0 ] && flags=(--collector.disable-defaults --simulate)
binary=${BINARY:-artifacts/publish/linux-x64/edge_exporter}
[ -x "$binary" ] || { echo "missing $binary: run dotnet test EdgeExporter.sln or dotnet publish first" >&2; exit 1; }
work=$(mktemp -d)
trap 'pkill -f "callgrind-out-file=$work/out" 2>/dev/null || true; rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF 5 in edge_exporter.dbg: give it the symbol table alone.
cp "$binary" "$work/edge_exporter"
objcopy --strip-debug "$binary.dbg" "$work/edge_exporter.dbg"
objcopy --remove-section=.gnu_debuglink --add-gnu-debuglink="$work/edge_exporter.dbg" "$work/edge_exporter"
port=19811
(cd "$work" && valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$work/out" \
  --toggle-collect='*MetricsServer__OnEvent*' --toggle-collect='*MetricsServer__OnWake*' \
  --toggle-collect='*MetricsServer__AcceptFrom*' --toggle-collect='*ScrapeRenderer__RenderInto*' \
  ./edge_exporter --web.listen-address=127.0.0.1:$port "${flags[@]}" 2>"$work/log") &
for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.1; done
samples=$(curl -s "http://127.0.0.1:$port/metrics" | grep -vc '^#')
urls=(); for _ in $(seq $((scrapes - 2))); do urls+=("http://127.0.0.1:$port/metrics"); done
curl -s "${urls[@]}" >/dev/null # with the probe and the sample count: $scrapes scrapes in all
pkill -TERM -f "callgrind-out-file=$work/out"
for _ in $(seq 100); do pgrep -f "callgrind-out-file=$work/out" >/dev/null || break; sleep 0.1; done
total=$(cat "$work"/out* | awk '/^totals:/ {s += $2} END {print s}')
echo "scrapes=$scrapes samples_per_scrape=$samples instructions_total=$total"
awk -v t="$total" -v n="$scrapes" -v s="$samples" 'BEGIN { printf "instructions_per_scrape=%d instructions_per_sample=%.0f\n", t / n, t / n / s }'
callgrind_annotate $(ls "$work"/out* | tail -n1) 2>/dev/null | sed -n '/file:function/,$p' | sed -n 2,16p | cut -c1-150
