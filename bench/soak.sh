#!/usr/bin/env bash
# Soak: CALLS (default 1000) echo calls in a row against one mediapeer,
# each a fresh mediapeer-call of 1 s, all on 127.0.0.1. Prints mediapeer's
# RSS, open fds and threads before the first call and after every STEP
# (default 100) calls, once the calls of that step have ended at the bot.
# The figures should stay flat: nothing may be left behind per call.
#   bench/soak.sh [CALLS] [STEP]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
calls=${1:-1000}
step=${2:-100}

work=$(mktemp -d)
bot_pid= signal_pid=
cleanup() { kill $bot_pid $signal_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start_peers "$work"

# Waits until the bot has ended as many calls as were made (the caller's
# leave reaches it a moment after the caller exits).
wait_for_ended() {
  for _ in $(seq 100); do
    [ "$(grep -c '\] ended: ' "$work/bot.err" || true)" -ge "$1" ] && return 0
    sleep 0.1
  done
}
sample() {
  local rss fds threads
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$bot_pid/status")
  fds=$(ls "/proc/$bot_pid/fd" | wc -l)
  threads=$(awk '/^Threads/ {print $2}' "/proc/$bot_pid/status")
  printf "%6s %10.1f %6s %8s\n" "$1" "$(echo "$rss / 1024" | bc -l)" "$fds" "$threads"
}

printf "%6s %10s %6s %8s\n" calls "RSS MiB" fds threads
sample 0
failed=0
for i in $(seq "$calls"); do
  "$build/src/mediapeer-call" --signal "$ws" --name "soak$i" --call server \
      --ice-address 127.0.0.1 --duration 1 > /dev/null 2>&1 || failed=$((failed + 1))
  if [ $((i % step)) -eq 0 ]; then
    wait_for_ended "$i"
    sleep 1  # "ended" is logged as the teardown starts; let it finish
    sample "$i"
  fi
done
echo "$failed of $calls calls failed"
