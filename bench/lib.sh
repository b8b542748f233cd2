# Shared by the bench scripts: the programs built, the load file, and
# mediapeer-signal plus mediapeer (echo, as "server") started on 127.0.0.1.
# How the echo benches measure is bench/measure.py.
# shellcheck shell=bash

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${MP_BUILD_DIR:-$bench_root/build}"
ninja -C "$build" src/mediapeer-signal src/mediapeer src/mediapeer-call bench/janus-call >&2

# start_peers WORK [MEDIAPEER-ARGS...]: sets ws (the WebSocket URL), http
# (the server's http:// URL, ending in /), signal_pid and bot_pid; mediapeer's output goes to WORK/bot.out, bot.err,
# mediapeer-signal's errors to WORK/signal.err.
start_peers() {
  local work=$1 line url
  shift
  mkfifo "$work/signal.out"
  "$build/src/mediapeer-signal" --listen 127.0.0.1:0 > "$work/signal.out" 2> "$work/signal.err" &
  signal_pid=$!
  read -r line < "$work/signal.out"
  url=${line##*listening on }
  ws="ws://${url#http://}"
  http="${url%/}/"
  "$build/src/mediapeer" --signal "$ws" --ice-address 127.0.0.1 "$@" > "$work/bot.out" 2> "$work/bot.err" &
  bot_pid=$!
  for _ in $(seq 100); do grep -q "logged in" "$work/bot.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "mediapeer did not log in: $(cat "$work/bot.err")" >&2
  return 1
}

# make_load_media FILE: the echo benches' load, encoded once: 10 s of VP8
# 640x480@30 (moving SMPTE bars, CBR 1 Mbit/s) + Opus, sent looped and never
# re-encoded, so the load generator does no encoding. Prints its bit rate.
make_load_media() {
  local media=$1
  gst-launch-1.0 -q \
    videotestsrc pattern=smpte horizontal-speed=5 is-live=false num-buffers=300 \
    ! video/x-raw,width=640,height=480,framerate=30/1 \
    ! vp8enc deadline=1 end-usage=cbr target-bitrate=1000000 keyframe-max-dist=60 \
    ! queue ! webmmux name=mux ! filesink location="$media" \
    audiotestsrc num-buffers=500 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 \
    ! opusenc ! queue ! mux. >&2
  echo "media: $(stat -c %s "$media") bytes in 10 s = $(( $(stat -c %s "$media") * 8 / 10 / 1000 )) kbit/s (VP8 640x480@30 + Opus)"
}
