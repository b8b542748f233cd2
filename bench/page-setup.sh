#!/usr/bin/env bash
# Page call set-up time: N calls (default 20) from the page in headless
# Chromium to mediapeer (echo), through mediapeer-signal, all on 127.0.0.1.
# Reports p50/p99/max from the click on "Call" to the first remote frame
# (requestVideoFrameCallback), with connected and getStats framesDecoded beside.
#   bench/page-setup.sh [CALLS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${MP_BUILD_DIR:-$root/build}"
calls=${1:-20}
ninja -C "$build" src/mediapeer-signal src/mediapeer >&2
if [ ! -d "$root/tests/e2e/node_modules/playwright-core" ]; then
  (cd "$root/tests/e2e" && npm ci --no-audit --no-fund) >&2
fi
MEDIAPEER_BUILD="$build" exec node "$root/bench/page-setup.mjs" "$calls"
