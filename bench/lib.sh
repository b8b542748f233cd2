# Shared by the bench scripts: the programs built, and mediapeer-signal plus
# mediapeer (echo, as "server") started on 127.0.0.1.
# shellcheck shell=bash

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${MP_BUILD_DIR:-$bench_root/build}"
ninja -C "$build" src/mediapeer-signal src/mediapeer src/mediapeer-call >&2

# start_peers WORK [MEDIAPEER-ARGS...]: sets ws (the WebSocket URL),
# signal_pid and bot_pid; mediapeer's output goes to WORK/bot.out, bot.err.
start_peers() {
  local work=$1 line url
  shift
  mkfifo "$work/signal.out"
  "$build/src/mediapeer-signal" --listen 127.0.0.1:0 > "$work/signal.out" 2>/dev/null &
  signal_pid=$!
  read -r line < "$work/signal.out"
  url=${line##*listening on }
  ws="ws://${url#http://}"
  "$build/src/mediapeer" --signal "$ws" --ice-address 127.0.0.1 "$@" > "$work/bot.out" 2> "$work/bot.err" &
  bot_pid=$!
  for _ in $(seq 100); do grep -q "logged in" "$work/bot.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "mediapeer did not log in: $(cat "$work/bot.err")" >&2
  return 1
}
