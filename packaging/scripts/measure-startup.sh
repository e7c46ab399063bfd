#!/usr/bin/env bash
# Start-up time of a binary: from exec until its first /metrics answer, over N runs; prints the median.
# The probe does not poll: it blocks on the exporter's log (stderr) until the "Listening on" line,
# then connects once and reads the status line. A connect loop (the first version: a socket attempt
# every 0.2 ms) took 27% of the CPU samples of a start-up run on two cores (perf record), CPU the
# exporter's own threads then did not have; curl per attempt would be worse (its own start is ms).
# A binary that logs nothing (node_exporter logs "Listening on" too) falls back to the connect loop.
# Usage: packaging/scripts/measure-startup.sh [binary] [runs] [exporter flags...]
set -euo pipefail
binary=${1:-artifacts/publish/linux-x64/edge_exporter}
runs=${2:-21}
shift $(( $# < 2 ? $# : 2 ))
exec python3 - "$binary" "$runs" "$@" <<'PY'
import os, socket, statistics, subprocess, sys, time
binary, runs, flags = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
port = 19899

def answered():
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        return s.recv(12).startswith(b"HTTP/1.1 200")

times = []
for _ in range(runs):
    start = time.perf_counter_ns()
    process = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", *flags], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    for line in process.stderr:
        if b"Listening on" in line:
            break
    while True:
        try:
            if answered():
                break
        except OSError:
            time.sleep(0.0002)
    times.append((time.perf_counter_ns() - start) // 1000)
    process.terminate()
    process.stderr.close()
    process.wait()
times.sort()
print(f"runs={runs} median_us={int(statistics.median(times))} min_us={times[0]} max_us={times[-1]}")
PY
