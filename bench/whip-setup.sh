#!/usr/bin/env bash
# WHIP and WHEP set-up time, measured by the client: N sessions of each in a
# row (default 100), each a fresh mediapeer-call on 127.0.0.1 against
# mediapeer-signal's HTTP endpoints. WHIP: `--whip URL` publishes to an echo
# bot ("server"). WHEP: `--whep URL` plays from a test-source bot ("tester",
# --pipeline test). Reports p50/p99/max of POST -> 201 (the answer, every
# candidate in it) and POST -> first video frame (echoed for WHIP, the test
# pattern's for WHEP), each session 1 s long, with its DELETE.
#   bench/whip-setup.sh [SESSIONS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
sessions=${1:-100}

work=$(mktemp -d)
bot_pid= signal_pid= tester_pid=
cleanup() { kill $bot_pid $tester_pid $signal_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start_peers "$work"
"$build/src/mediapeer" --signal "$ws" --ice-address 127.0.0.1 --name tester --pipeline test \
    > "$work/tester.out" 2> "$work/tester.err" &
tester_pid=$!
for _ in $(seq 100); do grep -q "logged in" "$work/tester.out" 2>/dev/null && break; sleep 0.1; done

for kind in whip whep; do
  callee=server
  [ $kind = whep ] && callee=tester
  for _ in $(seq "$sessions"); do
    "$build/src/mediapeer-call" --$kind "${http}$kind/$callee" --ice-address 127.0.0.1 --duration 1 2>/dev/null \
        | grep '^setup:' >> "$work/$kind.txt" || true
  done
done

python3 - "$work" "$sessions" <<'PY'
import re, sys
work, sessions = sys.argv[1], sys.argv[2]
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
for kind, frame in (("whip", "first echoed frame"), ("whep", "first frame")):
    rows = [list(map(float, re.findall(r"(-?[\d.]+) ms", line))) for line in open(f"{work}/{kind}.txt")]
    rows = [r for r in rows if len(r) == 3 and min(r) >= 0]
    print(f"{kind.upper()}: {len(rows)} of {sessions} sessions completed with media")
    for name, col in (("POST -> 201", 0), (f"POST -> {frame}", 2)):
        v = [r[col] for r in rows]
        if v:
            print(f"  {name:28s} p50 {pct(v, 50):6.1f} ms   p99 {pct(v, 99):6.1f} ms   max {max(v):6.1f} ms")
PY
