#!/bin/sh
# Builds signal-load and the server and runs the cluster benchmark: one
# mediapeer-signal, then two nodes sharing one redis-server with every pair
# of clients split across them (every relayed frame crosses nodes), three
# rounds interleaved; the same phases and figures as bench/signal-load.sh
# (BENCHMARKS.md, signal-cluster). Arguments go to signal-load after these
# (a later flag wins: --rounds 1, --clients 1000). Run from anywhere.
#   bench/signal-cluster.sh                  # 5,000 clients: 2,500 a node
#   bench/signal-cluster.sh --rounds 1 --cluster-cpus 0,0,0
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build="${MP_BUILD_DIR:-$root/build}"
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "the cluster needs redis-server and redis-cli: apt-get install -y redis-server" >&2
    exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" --buildtype=debugoptimized -Dwerror=true
fi
ninja -C "$build" src/mediapeer-signal bench/signal-load >&2
exec "$build/bench/signal-load" \
    --server-bin "$build/src/mediapeer-signal" \
    --redis-server "$(command -v redis-server)" \
    --server ours,cluster --keepalive on --rounds 3 "$@"
