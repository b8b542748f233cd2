#!/usr/bin/env bash
# Soak: CALLS (default 1000) echo calls in a row against one mediapeer,
# each a fresh mediapeer-call of 1 s, all on 127.0.0.1. Prints mediapeer's
# RSS, open fds and threads before the first call and after every STEP
# (default 100) calls, once the calls of that step have ended at the bot.
# The figures should stay flat: nothing may be left behind per call.
# PRESSURE=N runs N busy loops beside it the whole time (CPU pressure: the
# rare no-answer showed only under load); PARALLEL=N makes N calls at a time
# (default 1); DURATION=S makes each call S seconds (default 1: a starved
# caller may send too few frames in one second to see one echoed). A failed call's output is kept in FAILED_DIR (default: a fresh
# folder, printed) with mediapeer's log. At the end: how many failed, and the
# time from offer to answer at the callers (median, p99, max).
#   [PRESSURE=N] [PARALLEL=N] bench/soak.sh [CALLS] [STEP]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
calls=${1:-1000}
step=${2:-100}

work=$(mktemp -d)
pressure=${PRESSURE:-0}
parallel=${PARALLEL:-1}
duration=${DURATION:-1}
failed_dir=${FAILED_DIR:-$(mktemp -d /tmp/soak-failed.XXXXXX)}
mkdir -p "$failed_dir"
bot_pid= signal_pid= burners=()
cleanup() {
  kill $bot_pid $signal_pid "${burners[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -c unlimited 2>/dev/null || true  # a crash of mediapeer leaves its core in $work
pushd "$work" > /dev/null  # where a core would go
start_peers "$work"
popd > /dev/null
for _ in $(seq "$pressure"); do (while :; do :; done) & burners+=($!); done

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
  if [ ! -d "/proc/$bot_pid" ] || grep -q '^State:.*zombie' "/proc/$bot_pid/status" 2>/dev/null; then
    local status=0
    wait "$bot_pid" || status=$?
    echo "mediapeer exited during the soak (status $status$( [ $status -gt 128 ] && echo ", signal $((status - 128))"));" \
      "its log (and core, if any) is in $failed_dir" >&2
    cp "$work/bot.err" "$work/bot.out" "$failed_dir/"
    cp "$work"/core* "$failed_dir/" 2>/dev/null || true
    exit 1
  fi
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$bot_pid/status")
  fds=$(ls "/proc/$bot_pid/fd" | wc -l)
  threads=$(awk '/^Threads/ {print $2}' "/proc/$bot_pid/status")
  printf "%6s %10.1f %6s %8s\n" "$1" "$(echo "$rss / 1024" | bc -l)" "$fds" "$threads"
}

# One call; its output kept when it failed, its answer time noted.
call() {
  local out="$work/call$1.out"
  if ! "$build/src/mediapeer-call" --signal "$ws" --name "soak$1" --call server \
      --ice-address 127.0.0.1 --duration "$duration" > "$out" 2>&1; then
    cp "$out" "$failed_dir/soak$1.out"
    grep -m1 '^call ended' "$out" | sed "s/^/soak$1: /" >&2 || true
  fi
  sed -n 's/^setup: answer \([-0-9.]*\) ms.*/\1/p' "$out" >> "$work/answers"
  rm -f "$out"
}

echo "$calls calls of $duration s, $parallel at a time, $pressure busy loops beside them; failed calls kept in $failed_dir"
printf "%6s %10s %6s %8s\n" calls "RSS MiB" fds threads
sample 0
: > "$work/answers"
for ((i = 1; i <= calls; i += parallel)); do
  callers=()
  for ((j = i; j < i + parallel && j <= calls; j++)); do call "$j" & callers+=($!); done
  wait "${callers[@]}"
  last=$((i + parallel - 1 < calls ? i + parallel - 1 : calls))
  if [ $((last / step)) -gt $(((i - 1) / step)) ] || [ "$last" -eq "$calls" ]; then
    wait_for_ended "$last"
    sleep 1  # "ended" is logged as the teardown starts; let it finish
    sample "$last"
  fi
done
failed=$(ls "$failed_dir" | grep -c '^soak' || true)
[ "$failed" -eq 0 ] || cp "$work/bot.err" "$work/bot.out" "$failed_dir/"
sort -n "$work/answers" | awk '$1 >= 0 { a[n++] = $1 } $1 < 0 { none++ }
  END { if (n) printf "answer after the offer: median %.1f ms, p99 %.1f ms, max %.1f ms (%d calls); no answer: %d\n",
                      a[int(n / 2)], a[int(n * 0.99)], a[n - 1], n, none }'
echo "$failed of $calls calls failed"
