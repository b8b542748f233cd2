#!/usr/bin/env bash
# mediapeer against Janus: the same echo load, one server after the other, in
# the same run on the same machine. The load generator is the same caller for
# both (mediapeer-call, and janus-call: its call over Janus' API, built from
# bench/janus/): N concurrent calls, each sending a pre-encoded VP8 (~1 Mbit/s) + Opus
# file, looped, paced, never re-encoded, and counting what comes back. The
# servers:
#   mediapeer  echo (the default template) behind mediapeer-signal (WebSocket);
#   Janus      Debian's janus (1.1.2), echotest plugin, its plain HTTP API
#              (janus-call --janus URL), with a minimal generated config
#              (bench/janus/*.in): no other plugin, transport or admin API.
# For rising N (until loss > 5% or a call fails), over a steady window after
# every call's ICE connected: server CPU (utime+stime from /proc) as ms per
# call-second and % of a core, RSS (VmRSS) before any call and during, per
# call, video frame loss (1 - returned/sent), set-up p50 (offer -> answer,
# ICE connected, first echoed frame, from the callers' `setup:` lines) and
# the load generator's CPU. Then a summary: largest N with < 1% loss each,
# the CPU ratio at equal N, RSS per call. How it measures: bench/measure.py,
# as bench/echo-capacity.sh does.
#
# Everything runs in a private network namespace (unshare -n: root, or
# unprivileged user namespaces) holding only loopback, so Janus cannot listen
# anywhere but 127.0.0.1. Janus never gathers ICE candidates on an interface
# flagged loopback, so a veth in that namespace also holds 127.0.0.1.
#   bench/vs-janus.sh [N...]   # default 1 2 4 8 16 24 32
#   DURATION=20   steady window per N, seconds
#   SETTLE=3      seconds after the last call's ICE connected before measuring
#   STAGGER=0     seconds between starting two calls of a round
#   SERVERS="mediapeer janus"   which servers, in this order
#   KEEP=1        keep the logs (each call's, the servers') in the temp dir
#   PERF_DIR=DIR  also profile the server over each window: DIR/<server>-<N>.data
#                 (PERF_OPTS, default "-F 499 -g"; it costs the server some CPU)
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # builds the programs (again, a no-op, in the namespace)
root=$bench_root

if [ -z "${MP_VS_JANUS_NETNS:-}" ]; then
  if ! command -v janus > /dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y janus >&2
    else
      echo "Janus is not installed; run: sudo apt-get install -y janus" >&2; exit 1
    fi
  fi
  if [ "$(id -u)" -eq 0 ]; then
    exec unshare --net env MP_VS_JANUS_NETNS=1 "$0" "$@"
  elif unshare --map-root-user --net true 2> /dev/null; then
    exec unshare --map-root-user --net env MP_VS_JANUS_NETNS=1 "$0" "$@"
  fi
  echo "needs a private network namespace: run as root, or enable unprivileged user namespaces" >&2
  exit 1
fi

# In the namespace: loopback, plus the veth that lets Janus see 127.0.0.1.
ip link set lo up
ip link add mpj0 type veth peer name mpj1
ip addr add 127.0.0.1/32 dev mpj0
ip link set mpj0 up
ip link set mpj1 up

counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 2 4 8 16 24 32)
servers=${SERVERS:-mediapeer janus}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"

media="$work/load.webm"
make_load_media "$media"

cat > "$work/one_server.py" <<'PY'
# One server: rising N, one table; the rows go to a JSON file for the summary.
import json, math, os, sys
import measure
label, server, out_json = sys.argv[1], int(sys.argv[2]), sys.argv[3]
window, settle, stagger = (float(os.environ.get(k, d)) for k, d in
                           (("DURATION", 20), ("SETTLE", 3), ("STAGGER", 0)))
sep = sys.argv.index("--")
counts = [int(n) for n in sys.argv[4:sep]]
caller = sys.argv[sep + 1:]  # "{name}" is replaced by each call's name

idle = measure.idle_state(server)
print(f"\n== {label}: idle before any call: RSS {idle['rss']:.1f} MiB, {idle['threads']} threads;"
      f" steady window {window:g} s per N")
print("    N  ok  frames sent  returned  loss %  srv CPU %  ms/call-s  RSS idle  during  MiB/call"
      "  set-up p50 ms: answer    ICE  frame  loadgen %  other %  idle %")

def report(r):
    print(f"{r['n']:5d} {r['ok']:3d}  {r['sent']:11d}  {r['recv']:8d}  {r['loss']:6.2f}  {r['cpu']:9.1f}"
          f"  {r['ms_per_call_s']:9.2f}  {r['rss_idle']:8.1f}  {r['rss_during']:6.1f}  {r['rss_per_call']:8.2f}"
          f"  {r['answer_p50']:21.1f} {r['ice_p50']:6.0f} {r['first_frame_p50']:6.0f}"
          f"  {r['loadgen']:9.1f}  {r['other']:7.1f}  {r['idle']:6.1f}", flush=True)

# Every call must outlast the window however slow the ramp (up to its
# limit): each hangs up `duration` after its own ICE connected.
duration_of = lambda n: math.ceil(30 + n * stagger + settle + window + 3)
profile_of = (lambda n: f"{os.environ['PERF_DIR']}/{label}-{n}.data") if os.environ.get("PERF_DIR") else None
rows = measure.rising_n(server, label, counts, lambda name: [a.replace("{name}", name) for a in caller],
                        duration_of, os.path.dirname(out_json), window, settle, stagger, report, idle=idle,
                        profile_of=profile_of)
json.dump(rows, open(out_json, "w"))
PY

# Starts mediapeer-signal and mediapeer (echo); sets server_pid and caller.
start_mediapeer() {
  start_peers "$work"
  pids+=($signal_pid $bot_pid)
  server_pid=$bot_pid
  caller=("$build/src/mediapeer-call" --signal "$ws" --name "{name}" --call server)
}

# Starts Janus with a generated config on 127.0.0.1; sets server_pid and caller.
start_janus() {
  local dir="$work/janus" port
  mkdir -p "$dir/plugins" "$dir/transports" "$dir/none"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  for template in "$root"/bench/janus/*.jcfg.in; do
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@RTP_MIN@|20000|g" -e "s|@RTP_MAX@|40000|g" \
      "$template" > "$dir/$(basename "${template%.in}")"
  done
  local lib=/usr/lib/x86_64-linux-gnu/janus
  [ -d "$lib" ] || lib=$(dirname "$(dpkg -L janus | grep -m1 '/plugins/libjanus_echotest.so$')")/..
  ln -sf "$lib/plugins/libjanus_echotest.so" "$dir/plugins/"
  ln -sf "$lib/transports/libjanus_http.so" "$dir/transports/"
  janus --configs-folder "$dir" --config "$dir/janus.jcfg" --disable-colors > "$work/janus.log" 2>&1 &
  server_pid=$!
  pids+=($server_pid)
  local api="http://127.0.0.1:$port/janus"
  for _ in $(seq 100); do
    python3 -c "import urllib.request as u; u.urlopen('$api/info', timeout=1)" 2> /dev/null && break
    sleep 0.1
  done
  python3 - "$api/info" <<'PY' || { echo "Janus did not start; its log:" >&2; tail -20 "$work/janus.log" >&2; exit 1; }
import json, sys, urllib.request
info = json.load(urllib.request.urlopen(sys.argv[1], timeout=2))
print(f"Janus {info['version_string']} at {sys.argv[1][:-5]}: plugins {', '.join(info['plugins'])};"
      f" transports {', '.join(info['transports'])}")
PY
  echo "Janus sockets: $(ss -H -ltnup | grep "pid=$server_pid," | awk '{print $1, $5}' | sort -u | tr '\n' ' ')"
  caller=("$build/bench/janus-call" --janus "$api" --name "{name}")
}

for server in $servers; do
  case $server in
    mediapeer) start_mediapeer ;;
    janus) start_janus ;;
    *) echo "unknown server $server" >&2; exit 2 ;;
  esac
  PYTHONPATH="$root/bench" python3 -B "$work/one_server.py" "$server" "$server_pid" "$work/$server.json" \
    "${counts[@]}" -- "${caller[@]}" --ice-address 127.0.0.1 --send "$media" --loop &
  measure_pid=$!
  pids+=($measure_pid)
  wait $measure_pid || true
  kill "$server_pid" 2> /dev/null || true
  wait "$server_pid" 2> /dev/null || true
  [ "$server" != mediapeer ] || { kill "$signal_pid" 2> /dev/null || true; rm -f "$work/signal.out"; }
done

echo
PYTHONPATH="$root/bench" python3 -B - "$work" $servers <<'PY'
import json, os, sys
import measure
work, names = sys.argv[1], sys.argv[2:]
runs = {s: json.load(open(f"{work}/{s}.json")) for s in names if os.path.exists(f"{work}/{s}.json")}
print("summary (columns: srv CPU % = the server's utime+stime over the window, % of one core; ms/call-s =")
print("  server CPU ms per call-second; RSS MiB, per call = (during - idle before any call) / N; loss = 1 -")
print("  returned/sent video frames over whole calls; loadgen % = the N caller processes; other % =")
print(f"  the rest of the machine; idle % of all {os.cpu_count()} cores, max {os.cpu_count() * 100})")
best = {}
for s, rows in runs.items():
    best[s] = b = measure.largest_good(rows)
    top = rows[-1]["n"] if rows else 0
    print(f"  {s:9s}: largest N with < 1% loss: {b['n'] if b else 'none'}"
          + (f" (the largest N tried{'' if b and b['n'] == top else f' was {top}'})" if rows else "")
          + (f"; there {b['ms_per_call_s']:.2f} ms CPU per call-second, {b['rss_per_call']:.2f} MiB RSS per call,"
             f" first frame p50 {b['first_frame_p50']:.0f} ms, answer p50 {b['answer_p50']:.1f} ms" if b else ""))
counts = {("Janus" if s == "janus" else s): [r["n"] for r in rows] for s, rows in runs.items()}
if "mediapeer" in runs and "janus" in runs:
    mp = {r["n"]: r for r in runs["mediapeer"]}
    ja = {r["n"]: r for r in runs["janus"]}
    common = sorted(n for n in mp if n in ja and mp[n]["ok"] == n and ja[n]["ok"] == n)
    print("  at equal N, mediapeer / Janus:")
    for n in common:
        a, b = mp[n], ja[n]
        print(f"    N={n:3d}: CPU per call-second {a['ms_per_call_s']:.2f} / {b['ms_per_call_s']:.2f} ms = "
              f"{a['ms_per_call_s'] / b['ms_per_call_s']:.2f}x;  RSS per call {a['rss_per_call']:.2f} / "
              f"{b['rss_per_call']:.2f} MiB;  loss {a['loss']:.2f} / {b['loss']:.2f} %")
    bm, bj = best.get("mediapeer"), best.get("janus")
    if bm and bj:
        cap = bm["n"] / bj["n"]
        print(f"  capacity: mediapeer {bm['n']} / Janus {bj['n']} = {cap:.2f} (target >= 0.50: "
              f"{'met' if cap >= 0.5 else 'NOT met'})")
        for s, b in (("mediapeer", bm), ("Janus", bj)):
            if b["n"] == max(counts[s]):
                print(f"    {s} kept < 1% loss up to the largest N tried: its capacity is at least {b['n']}")
    # CPU per call falls as the machine saturates (more packets per wake-up),
    # so the ratio that counts is where both runs still left a core idle-ish.
    ncpu = os.cpu_count()
    calm = [n for n in common if n <= min(bm["n"] if bm else 0, bj["n"] if bj else 0)
            and min(mp[n]["idle"], ja[n]["idle"]) >= 10 * ncpu]  # 10% of the machine
    if calm:
        n = calm[-1]
        ratio = mp[n]["ms_per_call_s"] / ja[n]["ms_per_call_s"]
        print(f"  CPU per call-second at N={n} (the largest N with < 1% loss on both and >= 10% of the"
              f" machine idle in both runs): {ratio:.2f}x Janus' (target <= 2: {'met' if ratio <= 2 else 'NOT met'})")
        ratios = sorted(mp[k]["ms_per_call_s"] / ja[k]["ms_per_call_s"] for k in calm)
        print(f"    over N = {', '.join(map(str, calm))}: {ratios[0]:.2f}x to {ratios[-1]:.2f}x,"
              f" median {ratios[len(ratios) // 2]:.2f}x")
PY
