#!/bin/sh
# Builds signal-load and the server, installs the Node baseline's dependency
# (npm ws) when it is missing, and runs the benchmark; arguments go to
# signal-load (see build/bench/signal-load --help). Run from anywhere.
#   bench/signal-load.sh                  # 5,000 clients, both servers
#   bench/signal-load.sh --server ours --clients 1000
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build="${MP_BUILD_DIR:-$root/build}"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root"
fi
ninja -C "$build" src/mediapeer-signal bench/signal-load >&2
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "the Node baseline needs node and npm: apt-get install -y nodejs npm" >&2
    exit 1
fi
if [ ! -d "$root/bench/baseline/node_modules/ws" ]; then
    npm ci --prefix "$root/bench/baseline" --no-audit --no-fund >&2
fi
exec "$build/bench/signal-load" \
    --server-bin "$build/src/mediapeer-signal" \
    --relay-js "$root/bench/baseline/relay.js" "$@"
