"""How the echo benchmarks measure a server (bench/echo-capacity.sh, bench/vs-janus.sh).

For rising N, one round each: N concurrent callers (mediapeer-call, or janus-call
for Janus) start, each sending the same looped file; once every call's ICE
connected (or it ended) and SETTLE seconds more, a steady window of WINDOW
seconds samples the server: CPU (utime+stime from /proc/PID/stat), RSS and
threads (/proc/PID/status) and fds once a second, the callers' CPU and the
whole machine's (/proc/stat). Then each caller's report gives the video frames
sent and returned (loss = 1 - returned/sent over whole calls) and its set-up
times. The rule for capacity: rising N stops at a failed call or > 5% loss,
and the capacity is the largest N with every call ok and < 1% loss.

Each script says what differs: the server, the callers' command line, how long
a call lasts, and its columns (a `report(row)` that prints one round).
"""
import math, os, re, signal, subprocess, sys, time

TICK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count()


def cpu_ticks(pid):  # utime + stime
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return None


def status(pid):  # (VmRSS MiB, threads)
    with open(f"/proc/{pid}/status") as f:
        s = dict(line.split(":", 1) for line in f if ":" in line)
    return int(s["VmRSS"].split()[0]) / 1024, int(s["Threads"])


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def machine_busy():  # (busy, total) jiffies of all cores
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:]))
    return sum(v[:8]) - v[3] - v[4], sum(v[:8])


def median(values):
    return sorted(values)[len(values) // 2]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else -1


# The callers of the current round: killed when the script is.
running = []


def end_calls(*_):
    for p in running:
        if p.poll() is None:
            p.kill()
    sys.exit(1)


signal.signal(signal.SIGTERM, end_calls)
signal.signal(signal.SIGINT, end_calls)


def wait_threads(pid, threads, timeout=60):
    """The previous round's calls are over when the server's threads are back."""
    end = time.time() + timeout
    while time.time() < end:
        if status(pid)[1] <= threads:
            return True
        time.sleep(0.5)
    return False


def start_calls(names, argv, duration, work, stagger):
    """One caller per name: argv(name) + --duration; its output in WORK/NAME.out and .err."""
    running[:] = []
    for name in names:
        running.append(subprocess.Popen(argv(name) + ["--duration", str(duration)],
                                        stdout=open(f"{work}/{name}.out", "w"),
                                        stderr=open(f"{work}/{name}.err", "w")))
        if stagger:
            time.sleep(stagger)
    return list(running)


def wait_connected(names, procs, work, limit):
    """Until every call's ICE connected, or it ended (LIMIT seconds at most); how many connected."""
    deadline, up = time.time() + limit, 0
    while time.time() < deadline:
        up = sum(1 for name in names if "ICE connected" in open(f"{work}/{name}.err").read())
        if up + sum(1 for p in procs if p.poll() is not None) >= len(names):
            break
        time.sleep(0.2)
    return up


def sample_window(server, procs, window, profile=None):
    """The steady window: the server's samples and everyone's CPU ticks, before and after."""
    s0, g0, m0, t0 = cpu_ticks(server), [cpu_ticks(p.pid) for p in procs], machine_busy(), time.time()
    if profile:
        subprocess.Popen(["perf", "record", "-q", *os.environ.get("PERF_OPTS", "-F 499 -g").split(),
                          "-p", str(server), "-o", profile, "--", "sleep", str(window)])
    rss, thr, fd = [], [], []
    while time.time() - t0 < window:
        time.sleep(max(0.0, min(1.0, window - (time.time() - t0))))
        if alive(server):
            r, t = status(server)
            rss.append(r); thr.append(t); fd.append(fds(server))
    elapsed = time.time() - t0
    s1, g1, m1 = cpu_ticks(server), [cpu_ticks(p.pid) for p in procs], machine_busy()
    return dict(server=None if s0 is None or s1 is None else s1 - s0, elapsed=elapsed, rss=rss, thr=thr, fd=fd,
                loadgen=sum(b - a for a, b in zip(g0, g1) if a is not None and b is not None),
                busy=(m1[0] - m0[0], m1[1] - m0[1]),
                ended_early=sum(1 for p in procs if p.poll() is not None))


def read_calls(names, procs, work, timeout):
    """Waits for the callers (TIMEOUT seconds each at most), then reads their reports."""
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()
    calls = dict(sent=0, recv=0, ok=0, worst=0.0, setup=[], ice=[], fails=[])
    for name, p in zip(names, procs):
        text = open(f"{work}/{name}.out").read()
        s = re.search(r"^sent: video (\d+) frames", text, re.M)
        r = re.search(r"^received: video (\d+) frames", text, re.M)
        t = re.search(r"^setup: answer (-?[\d.]+) ms, ice connected (-?[\d.]+) ms, first frame (-?[\d.]+) ms",
                      text, re.M)
        if p.returncode == 0 and s and r and int(r.group(1)) > 0:
            calls["ok"] += 1
        else:
            err = open(f"{work}/{name}.err").read().strip().splitlines()
            calls["fails"].append(f"{name}: exit {p.returncode}: {err[-1] if err else text.strip()[-200:]}")
        if s:
            sent, recv = int(s.group(1)), int(r.group(1)) if r else 0
            calls["sent"] += sent; calls["recv"] += recv
            if sent:
                calls["worst"] = max(calls["worst"], 100 * (1 - recv / sent))
        if t:
            calls["ice"].append(float(t.group(2)))
            if min(float(x) for x in t.groups()) >= 0:
                calls["setup"].append([float(x) for x in t.groups()])
    return calls


def round_row(n, before, idle, sampled, calls):
    """One round's figures: CPU as % of one core (NCPU * 100 = all cores), RSS in MiB."""
    el, ticks = sampled["elapsed"], sampled["server"]
    cpu, gen = 100 * ticks / TICK / el, 100 * sampled["loadgen"] / TICK / el
    busy = NCPU * 100 * sampled["busy"][0] / max(1, sampled["busy"][1])
    during = median(sampled["rss"])
    p50 = [pct([row[i] for row in calls["setup"]], 50) for i in range(3)]
    return dict(n=n, ok=calls["ok"], sent=calls["sent"], recv=calls["recv"],
                loss=100 * (1 - calls["recv"] / calls["sent"]) if calls["sent"] else 100.0,
                worst=calls["worst"], cpu=cpu, ms_per_call_s=1000 * ticks / TICK / (n * el),
                rss_idle=idle["rss"], rss_before=before["rss"], rss_during=during,
                rss_per_call=(during - idle["rss"]) / n, rss_per_call_round=(during - before["rss"]) / n,
                threads_per_call=(median(sampled["thr"]) - before["threads"]) / n,
                fds_per_call=(median(sampled["fd"]) - before["fds"]) / n,
                answer_p50=p50[0], ice_p50=p50[1], first_frame_p50=p50[2],
                loadgen=gen, other=max(0.0, busy - cpu - gen), idle=NCPU * 100 - busy,
                ice_max=max(calls["ice"], default=-1), fails=calls["fails"])


def idle_state(server):
    rss, threads = status(server)
    return dict(rss=rss, threads=threads, fds=fds(server))


def rising_n(server, label, counts, argv, duration_of, work, window, settle, stagger, report, idle,
             profile_of=None):
    """One round per N until the capacity rule stops; `report(row)` prints each. The rows.
    IDLE: idle_state(server) before any call."""
    rows = []
    for n in counts:
        if not alive(server):
            print(f"{label} is gone (crashed?); stopping"); break
        if not wait_threads(server, idle["threads"]):
            print(f"{label} did not return to {idle['threads']} threads (has {status(server)[1]})")
        time.sleep(1)
        before = idle_state(server)
        names = [f"{label}{n}-{i}" for i in range(n)]
        duration = duration_of(n)
        t_start = time.time()
        procs = start_calls(names, argv, duration, work, stagger)
        up = wait_connected(names, procs, work, 30 + n * stagger)  # the ramp
        ramp = time.time() - t_start
        time.sleep(settle)
        sampled = sample_window(server, procs, window, profile_of(n) if profile_of else None)
        calls = read_calls(names, procs, work, duration + 30)
        if sampled["server"] is None or not sampled["rss"]:
            print(f"{n:5d}  {label} died during the round"); break
        row = round_row(n, before, idle, sampled, calls)
        report(row)
        if sampled["ended_early"] or os.environ.get("VERBOSE"):
            print(f"      ramp {ramp:.1f} s ({up} of {n} ICE connected), offer->ICE connected max"
                  f" {row['ice_max']:.0f} ms, {sampled['ended_early']} call(s) ended before the window closed")
        for f in calls["fails"][:5]:
            print("      " + f)
        rows.append(row)
        if row["ok"] < n or row["loss"] > 5:
            print(f"stopping: {'calls failed' if row['ok'] < n else 'loss > 5%'} at N={n}")
            break
    return rows


def largest_good(rows):
    """The capacity: the round of the largest N with every call ok and < 1% loss, or None."""
    good = [r for r in rows if r["ok"] == r["n"] and r["loss"] < 1]
    return max(good, key=lambda r: r["n"]) if good else None
