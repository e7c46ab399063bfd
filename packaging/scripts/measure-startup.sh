#!/usr/bin/env bash
# Start-up time of a binary: from exec until its first /metrics answer, over N runs; prints the median.
# The probe is a socket loop in one Python process (connect, GET, read the status line), not a curl
# per attempt, whose own start (a few ms) would be most of what is measured.
# Usage: packaging/scripts/measure-startup.sh [binary] [runs] [exporter flags...]
set -euo pipefail
binary=${1:-artifacts/publish/linux-x64/edge_exporter}
runs=${2:-21}
shift $(( $# < 2 ? $# : 2 ))
exec python3 - "$binary" "$runs" "$@" <<'PY'
import os, socket, statistics, subprocess, sys, time
binary, runs, flags = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
port = 19899
times = []
for _ in range(runs):
    start = time.perf_counter_ns()
    process = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", *flags], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            time.sleep(0.0002)
    times.append((time.perf_counter_ns() - start) // 1000)
    process.terminate()
    process.wait()
times.sort()
print(f"runs={runs} median_us={int(statistics.median(times))} min_us={times[0]} max_us={times[-1]}")
PY
