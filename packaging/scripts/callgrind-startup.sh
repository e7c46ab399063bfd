#!/usr/bin/env bash
# Instructions from exec to the first /metrics answer, counted by valgrind's callgrind on the
# published binary (a noisy machine does not move them, unlike the milliseconds of measure-startup.sh).
# The exporter is stopped with SIGTERM after its first answer, so the count includes a clean shutdown
# (a few hundred thousand instructions). Prints the total and the 25 costliest functions, inclusive,
# named from the .dbg beside the binary (valgrind itself cannot read that file, so it runs a copy).
# Usage: [TOP=25] packaging/scripts/callgrind-startup.sh [binary] [exporter flags...]
set -euo pipefail
binary=${1:-artifacts/publish/linux-x64/edge_exporter}
shift $(( $# < 1 ? $# : 1 ))
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$binary" "$work/edge_exporter"
port=19897
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/edge_exporter" "--web.listen-address=127.0.0.1:$port" "$@" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics" || true)" = 200 ] && break
  sleep 0.1
done
kill -TERM "$pid"; wait "$pid" || true
nm -n "$binary.dbg" | awk 'NF == 3 && $2 ~ /[tTwW]/ { print $1, $3 }' >"$work/symbols"
callgrind_annotate --inclusive=yes "$work/cg.out" | python3 -c '
import bisect, re, sys
symbols = [(int(a, 16), n) for a, n in (l.split() for l in open(sys.argv[1]))]
starts = [a for a, _ in symbols]
shown = 0
for line in sys.stdin:
    m = re.match(r"\s*([0-9,]+) \(\s*[0-9.]+%\)\s+(PROGRAM TOTALS|\?\?\?:0x([0-9a-f]+)\S* \[(.*?)\])", line)
    if not m:
        continue
    if m.group(2) == "PROGRAM TOTALS":
        print("instructions_total=" + m.group(1).replace(",", ""))
        continue
    address = int(m.group(3), 16) - (0x108000 if m.group(4) == "???" else 0)  # valgrind maps a PIE at 0x108000
    i = bisect.bisect_right(starts, address) - 1
    print(f"{m.group(1):>14}  {symbols[i][1][:140] if i >= 0 else m.group(3)}")
    shown += 1
    if shown == int(sys.argv[2]):
        break
' "$work/symbols" "${TOP:-25}"
