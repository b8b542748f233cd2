#!/usr/bin/env bash
# Echo capacity: for each N, N concurrent mediapeer-call echo calls against one
# mediapeer (echo, the default) through mediapeer-signal, all on 127.0.0.1.
# Each call sends a pre-encoded VP8 (~1 Mbit/s) + Opus file, looped, paced in
# real time and never re-encoded, so the load generator does no encoding.
# Per N: calls ok, video frames sent/returned, loss, mediapeer CPU (% of one
# core and ms per call-second, from /proc/PID/stat over the steady window),
# RSS before/during (VmRSS) and per call, threads/fds per call, and the CPU of
# the load generator (the N mediapeer-call processes, which share the cores).
# Stops rising N once loss > 5% or a call fails; the headline is the largest N
# with < 1% loss (bench/measure.py: how it measures). Target: < 10 MiB RSS
# per call.
#   bench/echo-capacity.sh [N...]        # default 1 2 4 8 12 16 24 32
#   DURATION=20   steady window per N in seconds
#   SETTLE=3      seconds after the last call's ICE connected before measuring
#   STAGGER=0.1   seconds between starting two calls
set -euo pipefail
source "$(dirname "$0")/lib.sh"
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 2 4 8 12 16 24 32)

work=$(mktemp -d)
bot_pid= signal_pid= run_pid=
cleanup() {
  [ -z "$run_pid" ] || kill $run_pid 2>/dev/null || true
  kill $bot_pid $signal_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT

media="$work/load.webm"
make_load_media "$media"

start_peers "$work"

PYTHONPATH="$bench_root/bench" python3 -B - "$build/src/mediapeer-call" "$ws" "$media" "$bot_pid" "$work" \
    "${DURATION:-20}" "${SETTLE:-3}" "${STAGGER:-0.1}" "${counts[@]}" <<'PY' &
import math, sys
import measure
call_bin, ws, media, bot, work = sys.argv[1:6]
bot = int(bot)
window, settle, stagger = float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
counts = [int(n) for n in sys.argv[9:]]
ncpu = measure.NCPU

idle = measure.idle_state(bot)
print(f"mediapeer idle before any call: RSS {idle['rss']:.1f} MiB, {idle['threads']} threads, {idle['fds']} fds")
print(f"{ncpu} cores shared by mediapeer and the load generator (N mediapeer-call processes);"
      f" steady window {window:g} s per N")
print("    N  ok  frames sent  returned  loss %  worst %  mp CPU %  ms/call-s"
      "  RSS before  during  /call  /call0  thr/call  fd/call  loadgen %  other %  idle %")

def report(r):
    print(f"{r['n']:5d} {r['ok']:3d}  {r['sent']:11d}  {r['recv']:8d}  {r['loss']:6.2f}  {r['worst']:7.2f}"
          f"  {r['cpu']:8.1f}  {r['ms_per_call_s']:9.2f}  {r['rss_before']:10.1f}  {r['rss_during']:6.1f}"
          f"  {r['rss_per_call_round']:5.2f}  {r['rss_per_call']:6.2f}  {r['threads_per_call']:8.2f}"
          f"  {r['fds_per_call']:7.2f}  {r['loadgen']:9.1f}  {r['other']:7.1f}  {r['idle']:6.1f}", flush=True)

def caller(name):
    return [call_bin, "--signal", ws, "--name", name, "--call", "server",
            "--ice-address", "127.0.0.1", "--send", media, "--loop"]

# Slack for a slow start-up under load: the calls start STAGGER apart.
duration_of = lambda n: math.ceil(window + settle + n * stagger + 10 + 0.5 * n)
results = measure.rising_n(bot, "mediapeer", counts, caller, duration_of, work, window, settle, stagger, report,
                           idle=idle)

print("columns: mp CPU % = mediapeer utime+stime over the window, % of one core; ms/call-s = mediapeer")
print("  CPU ms per call-second; RSS in MiB (VmRSS, median over the window), /call = (during - before)/N,")
print("  /call0 = (during - idle RSS before any call)/N; loadgen % = the N mediapeer-call processes,")
print(f"  other % = rest of the machine, idle % = unused; all three % of one core ({ncpu * 100} = all cores);")
print("  loss = 1 - returned/sent video frames over whole calls (frames in flight at hang-up count as lost)")
best = measure.largest_good(results)
print(f"largest N with < 1% loss: {best['n'] if best else 'none'}")
rss_ok = [r for r in results if r["ok"] == r["n"]]
if rss_ok:
    a, b = max(r["rss_per_call_round"] for r in rss_ok), max(r["rss_per_call"] for r in rss_ok)
    print(f"RSS per call: max {a:.2f} MiB (vs round start), {b:.2f} MiB (vs idle before any call)"
          f" -> target < 10 MiB {'met' if max(a, b) < 10 else 'NOT met'}")
PY
run_pid=$!
wait $run_pid
run_pid=
