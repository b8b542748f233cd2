#!/usr/bin/env bash
# Call set-up time, measured by the caller: N calls in a row (default 100),
# each a fresh mediapeer-call against one mediapeer (echo) through
# mediapeer-signal, all on 127.0.0.1. Reports p50/p99/max of offer->answer,
# offer->ICE connected and offer->first echoed video frame.
#   bench/call-setup.sh [CALLS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
calls=${1:-100}

work=$(mktemp -d)
bot_pid= signal_pid=
cleanup() { kill $bot_pid $signal_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start_peers "$work"

for i in $(seq "$calls"); do
  "$build/src/mediapeer-call" --signal "$ws" --name "bench$i" --call server \
      --ice-address 127.0.0.1 --duration 1 2>/dev/null | grep '^setup:' >> "$work/setup.txt" || true
done

python3 - "$work/setup.txt" "$calls" <<'PY'
import re, sys
rows = [list(map(float, re.findall(r"(-?[\d.]+) ms", line))) for line in open(sys.argv[1])]
rows = [r for r in rows if len(r) == 3 and min(r) >= 0]
print(f"{len(rows)} of {sys.argv[2]} calls completed with media")
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
for name, col in (("offer -> answer", 0), ("offer -> ICE connected", 1), ("offer -> first echoed frame", 2)):
    v = [r[col] for r in rows]
    if v:
        print(f"{name:30s} p50 {pct(v, 50):6.1f} ms   p99 {pct(v, 99):6.1f} ms   max {max(v):6.1f} ms")
PY
