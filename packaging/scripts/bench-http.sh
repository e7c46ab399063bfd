#!/usr/bin/env bash
# HTTP serving benchmark, all on 127.0.0.1, measured in one run:
#   edge_exporter (the published static binary) with the host collectors cpu, loadavg, meminfo,
#   Debian's node_exporter restricted to the same collectors (the peer to beat),
#   nginx serving a static file of the same body size (the practical ceiling of this machine);
#   and with SCENARIO=devices: edge_exporter with only the simulated demo devices (no collector
#   reads a file at scrape time: the server alone), against nginx serving that same body.
# wrk drives each at 1 and 16 connections; reports requests/s, p99 latency, RSS after the load,
# and ratios. Needs: wrk, prometheus-node-exporter, nginx-light (Debian), a published binary.
# Usage: [SCENARIO=devices] [CONNS="1 16"] packaging/scripts/bench-http.sh [seconds-per-run]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
binary=artifacts/publish/linux-x64/edge_exporter
for tool in wrk prometheus-node-exporter nginx; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk prometheus-node-exporter nginx-light" >&2; exit 1; }
done
[ -x "$binary" ] || { echo "missing $binary: run dotnet test EdgeExporter.sln or dotnet publish first" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_for() { for _ in $(seq 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }

scenario=${SCENARIO:-host}
conns=${CONNS:-1 16} # e.g. CONNS="16 200" for the p99 under many connections
if [ "$scenario" = devices ]; then
  "$binary" --web.listen-address=127.0.0.1:19701 --collector.disable-defaults --simulate 2>/dev/null & pids+=($!); edge=$!
else
  "$binary" --web.listen-address=127.0.0.1:19701 --collector.disable-defaults \
    --collector.cpu --collector.loadavg --collector.meminfo 2>/dev/null & pids+=($!); edge=$!
fi
prometheus-node-exporter --web.listen-address=127.0.0.1:19702 --collector.disable-defaults \
  --collector.cpu --collector.loadavg --collector.meminfo 2>/dev/null & pids+=($!); node=$!
wait_for http://127.0.0.1:19701/metrics
wait_for http://127.0.0.1:19702/metrics

mkdir -p "$work/html" "$work/logs"
# The simulated devices' first polls land within their intervals (up to 2 s): until then some of
# their series are hidden and the body is smaller. nginx must serve the full body.
sleep 3
curl -s http://127.0.0.1:19701/metrics > "$work/html/metrics"
chmod 755 "$work" "$work/html"; chmod 644 "$work/html/metrics" # nginx workers run as www-data
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/plain;
  sendfile on;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:19703; root $work/html; }
}
CONF
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' 2>/dev/null & pids+=($!); ngx=$!
wait_for http://127.0.0.1:19703/metrics

size() { curl -s "$1" | wc -c; }
rss_kb() { local total=0; for p in $(pgrep -P "$1") "$1"; do total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo "$total"; }

declare -A rps p99
run() { # name url connections
  local out threads=$(( $3 < 2 ? 1 : 2 ))
  out=$(wrk -t"$threads" -c"$3" -d"${seconds}s" --latency "$2")
  rps[$1,$3]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99[$1,$3]=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' <<<"$out")
}

for c in $conns; do
  for target in edge:http://127.0.0.1:19701/metrics node:http://127.0.0.1:19702/metrics nginx:http://127.0.0.1:19703/metrics; do
    run "${target%%:*}" "${target#*:}" "$c"
  done
done

echo "scenario: $scenario"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); ${seconds}s per run; $(date -u +%F)"
echo "body: edge_exporter $(size http://127.0.0.1:19701/metrics) B, node_exporter $(size http://127.0.0.1:19702/metrics) B, nginx file $(wc -c < "$work/html/metrics") B"
printf '| server | conns | requests/s | p99 ms | RSS after load |\n| --- | --- | --- | --- | --- |\n'
for c in $conns; do
  for name in edge node nginx; do
    pid_var=$([ "$name" = edge ] && echo "$edge" || ([ "$name" = node ] && echo "$node" || echo "$ngx"))
    printf '| %s | %s | %s | %s | %s kB |\n' "$name" "$c" "${rps[$name,$c]}" "${p99[$name,$c]}" "$(rss_kb "$pid_var")"
  done
done
printf '\n| conns | edge / node_exporter (req/s) | edge / nginx (req/s) | node_exporter p99 / edge p99 |\n| --- | --- | --- | --- |\n'
for c in $conns; do
  awk -v e="${rps[edge,$c]}" -v n="${rps[node,$c]}" -v x="${rps[nginx,$c]}" -v pe="${p99[edge,$c]}" -v pn="${p99[node,$c]}" -v c="$c" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", c, e / n, e / x, pn / pe }'
done
