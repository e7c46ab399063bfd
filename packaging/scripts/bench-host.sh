#!/usr/bin/env bash
# Host-set benchmark, both servers in one run on 127.0.0.1: edge_exporter (the published static
# binary) and Debian's node_exporter restricted to the same collectors with the same filters.
# For each: wrk on keep-alive connections for N seconds (1, or each count in CONNS; scrapes/s, median and p99 latency),
# the server's CPU seconds over those scrapes from /proc/<pid>/stat (utime + stime), RSS after the
# load, and the body size; then the ratios node_exporter / edge_exporter.
# Needs: wrk, prometheus-node-exporter (Debian), a published binary (dotnet test builds it).
# PEAK=1 then drives each server through four loads in turn (text on 1 connection, OpenMetrics on
# 16, gzip on 64, text on 64), N seconds each, and reports each one's peak RSS (VmHWM) after them.
# Usage: [CONNS="1 16"] [PEAK=1] packaging/scripts/bench-host.sh [seconds]   (default 10; CONNS default 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
binary=artifacts/publish/linux-x64/edge_exporter
for tool in wrk prometheus-node-exporter curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk prometheus-node-exporter curl" >&2; exit 1; }
done
[ -x "$binary" ] || { echo "missing $binary: run dotnet test EdgeExporter.sln or dotnet publish first" >&2; exit 1; }

collectors=(cpu cpufreq diskstats filefd filesystem hwmon loadavg meminfo netclass netdev pressure stat thermal_zone time uname)
# Debian patches node_exporter's defaults (no /run, /mnt, /media, lo); both get upstream's, explicitly.
filters=(
  "--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
  "--collector.netdev.device-exclude=^$"
)
flags=(--collector.disable-defaults "${collectors[@]/#/--collector.}" "${filters[@]}")

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_for() { for _ in $(seq 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }

"$binary" --web.listen-address=127.0.0.1:19711 "${flags[@]}" 2>/dev/null & pids+=($!); edge=$!
prometheus-node-exporter --web.listen-address=127.0.0.1:19712 "${flags[@]}" 2>/dev/null & pids+=($!); node=$!
wait_for http://127.0.0.1:19711/metrics
wait_for http://127.0.0.1:19712/metrics
for _ in $(seq 20); do curl -s -o /dev/null http://127.0.0.1:19711/metrics; curl -s -o /dev/null http://127.0.0.1:19712/metrics; done # warm-up

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
declare -A rate p50 p99 cpu rss body samples
measure() { # name pid url connections
  local before after out threads=$(( $4 < 2 ? 1 : 2 ))
  body[$1]=$(curl -s "$3" | wc -c)
  samples[$1]=$(curl -s "$3" | grep -c '^node_' || true)
  before=$(cpu_ticks "$2")
  out=$(wrk -t"$threads" -c"$4" -d"${seconds}s" --latency "$3")
  after=$(cpu_ticks "$2")
  rate[$1,$4]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  local total; total=$(awk '/requests in/ {print $1}' <<<"$out")
  p50[$1,$4]=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99[$1,$4]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  cpu[$1,$4]=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$total" 'BEGIN { printf "%.3f", t / hz / n * 1000 }')
  rss[$1]=$(rss_kb "$2")
}
conns=${CONNS:-1}
for c in $conns; do
  measure edge "$edge" http://127.0.0.1:19711/metrics "$c"
  measure node "$node" http://127.0.0.1:19712/metrics "$c"
done

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); ${seconds}s per server; $(date -u +%F)"
echo "collectors: ${collectors[*]}"
printf '| server | conns | scrapes/s | median | p99 | CPU ms per scrape | RSS kB | body B | node_* samples |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for c in $conns; do
  for name in edge node; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$c" "${rate[$name,$c]}" "${p50[$name,$c]}" "${p99[$name,$c]}" "${cpu[$name,$c]}" "${rss[$name]}" "${body[$name]}" "${samples[$name]}"
  done
done
for c in $conns; do
  awk -v c="$c" -v re="${rate[edge,$c]}" -v rn="${rate[node,$c]}" -v ce="${cpu[edge,$c]}" -v cn="${cpu[node,$c]}" -v me="${rss[edge]}" -v mn="${rss[node]}" -v be="${body[edge]}" -v bn="${body[node]}" \
    'BEGIN { printf "ratios node_exporter / edge_exporter at %s connection(s): scrapes/s %.2f, CPU per scrape %.2f, RSS %.2f, body %.2f\n", c, re / rn, cn / ce, mn / me, bn / be }'
done

if [ -n "${PEAK:-}" ]; then
  peak() { # name url
    wrk -t1 -c1 -d"${seconds}s" "$2" >/dev/null
    wrk -t2 -c16 -d"${seconds}s" -H 'Accept: application/openmetrics-text; version=1.0.0' "$2" >/dev/null
    wrk -t2 -c64 -d"${seconds}s" -H 'Accept-Encoding: gzip' "$2" >/dev/null
    wrk -t2 -c64 -d"${seconds}s" "$2" >/dev/null
  }
  peak edge http://127.0.0.1:19711/metrics
  peak node http://127.0.0.1:19712/metrics
  he=$(awk '/VmHWM/ {print $2}' "/proc/$edge/status"); hn=$(awk '/VmHWM/ {print $2}' "/proc/$node/status")
  awk -v e="$he" -v n="$hn" 'BEGIN { printf "peak RSS after text/1, OpenMetrics/16, gzip/64, text/64: edge_exporter %d kB, node_exporter %d kB, edge / node %.2f\n", e, n, e / n }'
fi
