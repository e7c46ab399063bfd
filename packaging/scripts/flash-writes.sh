#!/usr/bin/env bash
# Bytes the published binary writes to storage while pushing (issue 17, item 3): the demo config
# (every simulated device) plus a disk queue at the default push and flush intervals, run for
# MINUTES against a receiver that is reachable (Debian's Prometheus with its remote-write receiver)
# and, side by side, against one that is down (a closed port). Reads write_bytes from
# /proc/<pid>/io (bytes the process caused to be sent to the storage layer, page cache included)
# after start-up and at the end, and scales the difference to a day.
# Usage: packaging/scripts/flash-writes.sh [binary] [minutes]
set -euo pipefail
binary=$(realpath "${1:-artifacts/publish/linux-x64/edge_exporter}")
minutes=${2:-10}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /var/tmp/edge-flash.XXXXXX) # on disk, not tmpfs: tmpfs counts no write_bytes
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
prom_port=$(free_port)
dead_port=$(free_port) # nothing listens there

mkdir -p "$work/prom"
printf 'global: {}\n' >"$work/prom/prometheus.yml"
prometheus --config.file="$work/prom/prometheus.yml" --storage.tsdb.path="$work/prom/data" \
  --web.listen-address="127.0.0.1:$prom_port" --web.enable-remote-write-receiver >"$work/prom/log" 2>&1 &
pids+=($!)

start_exporter() { # name receiver-port
  mkdir -p "$work/$1/queue"
  { cat "$repo/src/EdgeExporter/Config/demo.yml"
    printf '\nqueue_dir: %s\nremote_write:\n  - url: http://127.0.0.1:%s/api/v1/write\n    name: %s\n' "$work/$1/queue" "$2" "$1"
  } >"$work/$1/edge.yml"
  "$binary" --simulate --config.file="$work/$1/edge.yml" --web.listen-address=127.0.0.1:0 >"$work/$1/log" 2>&1 &
  echo $!
}
write_bytes() { awk '/^write_bytes/ { print $2 }' "/proc/$1/io"; }

reachable=$(start_exporter reachable "$prom_port")
down=$(start_exporter down "$dead_port")
pids+=("$reachable" "$down") # started in a command substitution: not this shell's jobs
sleep 20 # start-up, the first rounds and the first flush are not the steady state
r0=$(write_bytes "$reachable"); d0=$(write_bytes "$down")
sleep $((minutes * 60))
r1=$(write_bytes "$reachable"); d1=$(write_bytes "$down")
grep -h 'edge_remote_storage_samples_total\|edge_remote_storage_queue_bytes' <(curl -s "http://$(grep -o '127.0.0.1:[0-9]*' "$work/reachable/log" | head -1)/metrics") || true
for name in reachable down; do
  if [ "$name" = reachable ]; then b=$((r1 - r0)); else b=$((d1 - d0)); fi
  echo "$name: $b bytes in $minutes min; $((b * 1440 / minutes)) bytes a day; queue dir $(du -sb "$work/$name/queue" | cut -f1) bytes"
done
