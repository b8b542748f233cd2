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
# with < 1% loss. Target: < 10 MiB RSS per call.
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

# 10 s of VP8 640x480@30 (moving SMPTE bars, CBR 1 Mbit/s) + Opus, encoded once.
media="$work/load.webm"
gst-launch-1.0 -q \
  videotestsrc pattern=smpte horizontal-speed=5 is-live=false num-buffers=300 \
  ! video/x-raw,width=640,height=480,framerate=30/1 \
  ! vp8enc deadline=1 end-usage=cbr target-bitrate=1000000 keyframe-max-dist=60 \
  ! queue ! webmmux name=mux ! filesink location="$media" \
  audiotestsrc num-buffers=500 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 \
  ! opusenc ! queue ! mux. >&2
echo "media: $(stat -c %s "$media") bytes in 10 s = $(( $(stat -c %s "$media") * 8 / 10 / 1000 )) kbit/s (VP8 640x480@30 + Opus)"

start_peers "$work"

python3 - "$build/src/mediapeer-call" "$ws" "$media" "$bot_pid" "$work" \
    "${DURATION:-20}" "${SETTLE:-3}" "${STAGGER:-0.1}" "${counts[@]}" <<'PY' &
import math, os, re, signal, subprocess, sys, time
call_bin, ws, media, bot, work = sys.argv[1:6]
bot = int(bot)
window, settle, stagger = float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
counts = [int(n) for n in sys.argv[9:]]
tick = os.sysconf("SC_CLK_TCK")
ncpu = os.cpu_count()

def cpu_ticks(pid):  # utime + stime
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return None

def status(pid):
    with open(f"/proc/{pid}/status") as f:
        s = dict(line.split(":", 1) for line in f if ":" in line)
    return int(s["VmRSS"].split()[0]) / 1024, int(s["Threads"])

def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

def machine_busy():  # (busy, total) jiffies of all cores
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:]))
    idle = v[3] + v[4]
    return sum(v[:8]) - idle, sum(v[:8])

def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def wait_idle(threads, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if status(bot)[1] <= threads:
            return True
        time.sleep(0.5)
    return False

running = []  # mediapeer-call processes of the current round, ended on exit
def end_calls(*_):
    for p in running:
        if p.poll() is None:
            p.kill()
    sys.exit(1)
signal.signal(signal.SIGTERM, end_calls)
signal.signal(signal.SIGINT, end_calls)

idle_rss0, idle_threads = status(bot)
idle_fds = fds(bot)
print(f"mediapeer idle before any call: RSS {idle_rss0:.1f} MiB, {idle_threads} threads, {idle_fds} fds")
print(f"{ncpu} cores shared by mediapeer and the load generator (N mediapeer-call processes);"
      f" steady window {window:g} s per N")
hdr = ("    N  ok  frames sent  returned  loss %  worst %  mp CPU %  ms/call-s"
       "  RSS before  during  /call  /call0  thr/call  fd/call  loadgen %  other %  idle %")
print(hdr)
results = []
for n in counts:
    if not alive(bot):
        print("mediapeer is gone (crashed?); stopping"); break
    if not wait_idle(idle_threads):
        print(f"mediapeer did not return to {idle_threads} threads (has {status(bot)[1]})")
    time.sleep(1)
    rss_before, thr_before = status(bot)
    fd_before = fds(bot)
    spread = n * stagger
    duration = math.ceil(window + settle + spread + 10 + 0.5 * n)  # slack for slow start-up under load
    procs = running = []
    t_start = time.time()
    for i in range(n):
        out = open(f"{work}/call{n}-{i}.out", "w")
        err = open(f"{work}/call{n}-{i}.err", "w")
        procs.append(subprocess.Popen(
            [call_bin, "--signal", ws, "--name", f"load{n}-{i}", "--call", "server",
             "--ice-address", "127.0.0.1", "--send", media, "--loop",
             "--duration", str(duration)], stdout=out, stderr=err))
        time.sleep(stagger)
    # ramp: wait for every call's ICE connected (or a call to end), then settle
    deadline = time.time() + 30 + spread
    while time.time() < deadline:
        up = sum(1 for i in range(n) if "ICE connected" in open(f"{work}/call{n}-{i}.err").read())
        done = sum(1 for p in procs if p.poll() is not None)
        if up + done >= n:
            break
        time.sleep(0.2)
    ramp = time.time() - t_start
    time.sleep(settle)
    # steady window
    bot0 = cpu_ticks(bot); gen0 = [cpu_ticks(p.pid) for p in procs]; m0 = machine_busy()
    t0 = time.time()
    rss, thr, fd = [], [], []
    while time.time() - t0 < window:
        time.sleep(max(0.0, min(1.0, window - (time.time() - t0))))
        if alive(bot):
            r, t = status(bot); rss.append(r); thr.append(t); fd.append(fds(bot))
    el = time.time() - t0
    bot1 = cpu_ticks(bot); gen1 = [cpu_ticks(p.pid) for p in procs]; m1 = machine_busy()
    ended_early = sum(1 for p in procs if p.poll() is not None)
    for p in procs:
        try:
            p.wait(timeout=duration + 30)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()
    # results of each call
    sent = recv = ok = 0
    worst = 0.0
    fails = []
    for i, p in enumerate(procs):
        text = open(f"{work}/call{n}-{i}.out").read()
        s = re.search(r"^sent: video (\d+) frames", text, re.M)
        r = re.search(r"^received: video (\d+) frames", text, re.M)
        if p.returncode == 0 and s and r and int(r.group(1)) > 0:
            ok += 1
        else:
            err = open(f"{work}/call{n}-{i}.err").read().strip().splitlines()
            fails.append(f"call {i}: exit {p.returncode}: {err[-1] if err else text.strip()[-200:]}")
        if s:
            sn, rn = int(s.group(1)), int(r.group(1)) if r else 0
            sent += sn; recv += rn
            if sn:
                worst = max(worst, 100 * (1 - rn / sn))
    loss = 100 * (1 - recv / sent) if sent else 100.0
    if bot1 is None or not rss:
        print(f"{n:5d}  mediapeer died during the round"); break
    mp_cpu = 100 * (bot1 - bot0) / tick / el
    ms_per_cs = 1000 * (bot1 - bot0) / tick / (n * el)
    gen = sum(b - a for a, b in zip(gen0, gen1) if a is not None and b is not None)
    gen_cpu = 100 * gen / tick / el
    total = m1[1] - m0[1]
    machine = ncpu * 100 * (m1[0] - m0[0]) / max(1, total)  # % of one core, max ncpu*100
    other = max(0.0, machine - mp_cpu - gen_cpu)
    idle = ncpu * 100 - machine
    during = sorted(rss)[len(rss) // 2]
    per_call = (during - rss_before) / n
    per_call0 = (during - idle_rss0) / n
    thr_call = (sorted(thr)[len(thr) // 2] - thr_before) / n
    fd_call = (sorted(fd)[len(fd) // 2] - fd_before) / n
    print(f"{n:5d} {ok:3d}  {sent:11d}  {recv:8d}  {loss:6.2f}  {worst:7.2f}  {mp_cpu:8.1f}  {ms_per_cs:9.2f}"
          f"  {rss_before:10.1f}  {during:6.1f}  {per_call:5.2f}  {per_call0:6.2f}  {thr_call:8.2f}  {fd_call:7.2f}"
          f"  {gen_cpu:9.1f}  {other:7.1f}  {idle:6.1f}", flush=True)
    ice = [float(m.group(1)) for i in range(n) for m in
           [re.search(r"ice connected (-?[\d.]+) ms", open(f"{work}/call{n}-{i}.out").read())] if m]
    if ended_early or os.environ.get("VERBOSE"):
        print(f"      ramp {ramp:.1f} s ({up} of {n} ICE connected), offer->ICE connected max"
              f" {max(ice, default=-1):.0f} ms, {ended_early} call(s) ended before the window closed")
    for f in fails[:5]:
        print("      " + f)
    results.append((n, ok, loss, per_call, per_call0))
    if ok < n or loss > 5:
        print(f"stopping: {'calls failed' if ok < n else 'loss > 5%'} at N={n}")
        break

print("columns: mp CPU % = mediapeer utime+stime over the window, % of one core; ms/call-s = mediapeer")
print("  CPU ms per call-second; RSS in MiB (VmRSS, median over the window), /call = (during - before)/N,")
print("  /call0 = (during - idle RSS before any call)/N; loadgen % = the N mediapeer-call processes,")
print(f"  other % = rest of the machine, idle % = unused; all three % of one core ({ncpu * 100} = all cores);")
print("  loss = 1 - returned/sent video frames over whole calls (frames in flight at hang-up count as lost)")
good = [r for r in results if r[1] == r[0] and r[2] < 1]
if good:
    best = max(good, key=lambda r: r[0])
    print(f"largest N with < 1% loss: {best[0]}")
else:
    print("largest N with < 1% loss: none")
rss_ok = [r for r in results if r[1] == r[0]]
if rss_ok:
    a, b = max(r[3] for r in rss_ok), max(r[4] for r in rss_ok)
    print(f"RSS per call: max {a:.2f} MiB (vs round start), {b:.2f} MiB (vs idle before any call)"
          f" -> target < 10 MiB {'met' if max(a, b) < 10 else 'NOT met'}")
PY
run_pid=$!
wait $run_pid
run_pid=
