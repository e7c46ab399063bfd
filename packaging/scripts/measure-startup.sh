#!/usr/bin/env bash
# Start-up time of a binary: from exec until its first /metrics answer, over N runs; prints the median.
# Usage: packaging/scripts/measure-startup.sh [binary] [runs]
set -euo pipefail
binary=${1:-artifacts/publish/linux-x64/edge_exporter}
runs=${2:-21}
port=19899
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$binary" --web.listen-address=127.0.0.1:$port 2>/dev/null &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; do sleep 0.001; done
  end=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid" || true
  times+=($(( (end - start) / 1000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "runs=$runs median_us=${sorted[$((runs / 2))]} min_us=${sorted[0]} max_us=${sorted[$((runs - 1))]}"
