#!/usr/bin/env bash
# Starts the published binary with vm.overcommit_memory=2 (strict accounting: every mapping that can
# be written counts against CommitLimit, as on boards configured not to overcommit) and asks it for
# /metrics once; prints the answer's status, the exporter's virtual size and CommitLimit. Needs root
# and a writable /proc/sys/vm/overcommit_memory; the setting is machine-wide, so it is restored at
# once (the window is about a second: do not run builds meanwhile).
# REGION_RANGE=4000000000 (hex: the GC's default 256 GiB reservation) shows what the shipped 256 MiB
# setting (System.GC.RegionRange in src/EdgeExporter/EdgeExporter.csproj) avoids.
# Usage: [REGION_RANGE=hex] packaging/scripts/overcommit-demo.sh [binary]
set -euo pipefail
binary=${1:-artifacts/publish/linux-x64/edge_exporter}
port=19891
previous=$(cat /proc/sys/vm/overcommit_memory)
restore() { echo "$previous" >/proc/sys/vm/overcommit_memory; }
trap restore EXIT
echo 2 >/proc/sys/vm/overcommit_memory
env ${REGION_RANGE:+DOTNET_GCRegionRange=$REGION_RANGE} "$binary" --simulate "--web.listen-address=127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
status=000
for _ in $(seq 1 100); do
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics" || true)
  [ "$status" = 200 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.02
done
vsz=$(awk '/^VmSize/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo gone)
restore; trap - EXIT
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo "overcommit_memory=2 status=$status vm_size_kib=$vsz commit_limit_kib=$(awk '/^CommitLimit/ {print $2}' /proc/meminfo)"
