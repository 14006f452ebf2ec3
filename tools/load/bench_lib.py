#!/usr/bin/env python3
"""The Python half of tools/bench: measurements the shell cannot make, and the report.

    bench_lib.py kv KEY=VALUE...                  print a JSON object (numbers stay numbers)
    bench_lib.py cpu [PID...]                     /proc/stat and the PIDs' CPU ticks, as JSON
    bench_lib.py machine                          CPU, cores, memory, kernel, date, as JSON
    bench_lib.py wait-calm MAX_PCT TIMEOUT_S [MAX_STEAL_PCT]
                                                  wait until other processes use < MAX_PCT of a core
                                                  (and the hypervisor steals < MAX_STEAL_PCT)
    bench_lib.py startup --bin B --runs N [--env K=V]... [--unset K]... [--timeout-s S] [--stderr FILE] [ARG...]
                                                  exec to first successful GET /health, ms, and the
                                                  server's RSS then, as JSON
    bench_lib.py cancel-match LOAD.json REQUESTS.json
                                                  client close -> upstream stream closed, as JSON
    bench_lib.py report RESULTS_DIR MARKDOWN SVG  write the benchmark report and the latency chart
    bench_lib.py report-slow RESULTS_DIR MARKDOWN put part 7 (slow readers) from RESULTS_DIR into the
                                                  report MARKDOWN, keeping the rest (tools/bench --only slow)
    bench_lib.py report-store RESULTS_DIR MARKDOWN    the same for part 8 (persistence; --only store)
    bench_lib.py report-catalog RESULTS_DIR MARKDOWN  the same for part 9 (a large catalog; --only catalog)
    bench_lib.py chat-rtt --port P --brands A,B [--chats N] [--warmup W] [--max-seconds S]
                                                  part 9's client: a chat's round trip per brand, one at a
                                                  time, the brands taking turns, as JSON

The pure functions (percentiles, matching, verdicts, the SVG) are tested by
tools/load/test/bench_lib_test.py. Standard library only.
"""

from __future__ import annotations

import base64
import datetime
import glob
import html
import json
import math
import os
import platform
import re
import socket
import struct
import subprocess
import sys
import time
from collections import Counter

# ----------------------------------------------------------------------------------------------
# Pure helpers


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a list of numbers; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def parse_kv(pairs):
    """['a=1', 'b=x', 'c=2.5'] -> {'a': 1, 'b': 'x', 'c': 2.5}."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"expected KEY=VALUE, got {pair!r}")
        for kind in (int, float):
            try:
                out[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            out[key] = value
    return out


TAG_RE = re.compile(r"\[ref (cancel-\d+)\]")


def request_tag(record):
    """The cancel tag in a /mock/requests record's last user message, or None."""
    body = record.get("body") or {}
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            match = TAG_RE.search(str(message.get("content", "")))
            return match.group(1) if match else None
    return None


def match_cancellations(closes, records):
    """Pairs each client close (brandchat-load --scenario cancel --json: cancel.closes) with the
    mock's record of the upstream request that carried its tag.

    The mock's ended_ms is steady_clock milliseconds truncated to a whole millisecond, so the
    stream really ended in [ended_ms, ended_ms + 1): each latency is given as a lower bound
    (ended_ms - closed_ms) and an upper bound (ended_ms + 1 - closed_ms). closed_ms has
    microsecond precision on the same clock.
    Returns {"matched": [...], "unmatched": [tags], "still_running": [tags], "retried": n}.
    """
    by_tag = {}
    retried = 0
    for record in records:
        tag = request_tag(record)
        if tag is None:
            continue
        if tag in by_tag:
            retried += 1  # the server retried the upstream request: the last one is the one cut
        by_tag[tag] = record
    matched, unmatched, running = [], [], []
    for close in closes:
        record = by_tag.get(close["tag"])
        if record is None:
            unmatched.append(close["tag"])
            continue
        if record.get("ended_ms") is None:
            running.append(close["tag"])
            continue
        ended = float(record["ended_ms"])
        matched.append(
            {
                "tag": close["tag"],
                "closed_ms": close["closed_ms"],
                "ended_ms": record["ended_ms"],
                "lower_ms": ended - close["closed_ms"],
                "upper_ms": ended + 1.0 - close["closed_ms"],
                "outcome": record.get("outcome"),
                "tokens_sent": record.get("tokens_sent"),
            }
        )
    return {"matched": matched, "unmatched": unmatched, "still_running": running, "retried": retried}


def summarize_cancellations(result):
    """p50/p90/p99/max of the upper and lower bounds, and the upstream outcomes."""
    upper = [m["upper_ms"] for m in result["matched"]]
    lower = [m["lower_ms"] for m in result["matched"]]
    summary = {
        "matched": len(result["matched"]),
        "unmatched": len(result["unmatched"]),
        "still_running": len(result["still_running"]),
        "retried": result.get("retried", 0),
        "outcomes": dict(Counter(m["outcome"] for m in result["matched"])),
    }
    for name, values in (("upper_ms", upper), ("lower_ms", lower)):
        summary[name] = {
            "p50": percentile(values, 50),
            "p90": percentile(values, 90),
            "p99": percentile(values, 99),
            "max": max(values) if values else None,
            "min": min(values) if values else None,
        }
    return summary


def verdict(value, limit, below=True):
    """'met' when value < limit (below=True) or value >= limit (below=False); 'not measured' for None."""
    if value is None:
        return "not measured"
    ok = value < limit if below else value >= limit
    return "met" if ok else "missed"


def cpu_share(before, after, pids=()):
    """From two `cpu` snapshots: machine busy, and each pid's CPU, in % of one core."""
    dt = after["t"] - before["t"]
    if dt <= 0:
        return None
    hz = before.get("hz", 100)
    # /proc/stat cpu line: user nice system idle iowait irq softirq steal
    d = [a - b for a, b in zip(after["stat"], before["stat"])]
    total = sum(d)
    cores = before.get("cores", 1)

    def pct(ticks):
        return (100.0 * cores * ticks / total) if total > 0 else 0.0

    out = {
        "seconds": dt,
        "machine_busy_pct": pct(total - d[3] - d[4]),
        "processes_pct": pct(d[0] + d[1] + d[2]),  # user, nice, system: time charged to processes
        "softirq_pct": pct(d[5] + d[6]),           # irq, softirq: mostly the loopback TCP traffic
        "steal_pct": pct(d[7]),
    }
    for pid in pids:
        key = str(pid)
        if key in before["pids"] and key in after["pids"]:
            out[key] = 100.0 * (after["pids"][key] - before["pids"][key]) / hz / dt
    return out


# ---- the chart ---------------------------------------------------------------------------------

DISTURBED_PCT = 25  # other processes' CPU (% of a core) above which a run is flagged as disturbed

SERIES_STYLE = {"p50": ("#1b9e77", ""), "p90": ("#d95f02", "6 3"), "p99": ("#7570b3", "2 3")}


def _log_ticks(lo, hi):
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        if 10 ** e >= lo * 0.9999:
            ticks.append(10 ** e)
        e += 1
    return ticks


def _fmt_ms(v):
    if v >= 1000:
        return f"{v / 1000:g} s"
    if v >= 1:
        return f"{v:g} ms"
    return f"{v * 1000:g} µs"


def latency_svg(levels, panels, target_ms=None, title="", note=""):
    """A hand-written SVG: one panel per metric, latency (log scale) against concurrency.

    levels: the concurrency of each point, e.g. [100, 1000, 10000] (equally spaced on x).
    panels: [(panel title, {"p50": [ms per level], "p90": [...], "p99": [...]}), ...];
            None values are skipped. The axis starts a decade below the smallest positive value;
            zeros (the histogram's 0 µs) are drawn on that floor as hollow markers.
    target_ms: a dashed horizontal line (the target), or None.
    """
    values = [v for _, series in panels for vs in series.values() for v in vs if v is not None]
    positive = [v for v in values if v > 0]
    if target_ms:
        positive.append(target_ms)
    lo = 10 ** (math.floor(math.log10(min(positive))) - (1 if any(v <= 0 for v in values) else 0)) if positive else 0.001
    hi = 10 ** math.ceil(math.log10(max(positive))) if positive else 1.0
    if hi <= lo:
        hi = lo * 10
    pw, ph = 360, 260  # plot area of one panel
    ml, mr, mt, mb = 70, 20, 56, 76
    width = len(panels) * (ml + pw + mr) + 10
    height = mt + ph + mb + (18 if note else 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2:.1f}" y="20" text-anchor="middle" font-size="15" font-weight="bold">{html.escape(title)}</text>',
    ]

    def y_of(v):
        v = max(v, lo)
        return mt + ph - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph

    n = len(levels)
    for i, (panel_title, series) in enumerate(panels):
        x0 = 10 + i * (ml + pw + mr) + ml

        def x_of(k):
            return x0 + (pw * (k + 0.5) / n)

        out.append(f'<text x="{x0 + pw / 2:.1f}" y="{mt - 12}" text-anchor="middle" font-weight="bold">'
                   f'{html.escape(panel_title)}</text>')
        out.append(f'<rect x="{x0}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
        for t in _log_ticks(lo, hi):
            y = y_of(t)
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{html.escape(_fmt_ms(t))}</text>')
        for k, level in enumerate(levels):
            x = x_of(k)
            out.append(f'<line x1="{x:.1f}" y1="{mt + ph}" x2="{x:.1f}" y2="{mt + ph + 5}" stroke="#444"/>')
            label = f"{level:,}" if isinstance(level, int) else str(level)
            out.append(f'<text x="{x:.1f}" y="{mt + ph + 18}" text-anchor="middle">{html.escape(label)}</text>')
        out.append(f'<text x="{x0 + pw / 2:.1f}" y="{mt + ph + 36}" text-anchor="middle">concurrent conversations</text>')
        if target_ms:
            y = y_of(target_ms)
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#c00" stroke-dasharray="8 4"/>')
        for name in ("p50", "p90", "p99"):
            vs = series.get(name)
            if not vs:
                continue
            color, dash = SERIES_STYLE[name]
            points = [(x_of(k), y_of(v), v) for k, v in enumerate(vs) if v is not None]
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>')
            for x, y, v in points:
                fill = color if v > 0 else "white"
                label = _fmt_ms(v) if v > 0 else "0"
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}" stroke="{color}" stroke-width="1.5">'
                           f'<title>{name}: {html.escape(label)}</title></circle>')
        # legend
        lx, ly = x0 + 20, mt + ph + 56
        for j, name in enumerate(("p50", "p90", "p99")):
            color, dash = SERIES_STYLE[name]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<line x1="{lx + j * 60}" y1="{ly}" x2="{lx + j * 60 + 22}" y2="{ly}" stroke="{color}" '
                       f'stroke-width="2"{dash_attr}/>')
            out.append(f'<text x="{lx + j * 60 + 26}" y="{ly + 4}">{name}</text>')
        if target_ms:
            out.append(f'<line x1="{lx + 180}" y1="{ly}" x2="{lx + 202}" y2="{ly}" stroke="#c00" stroke-dasharray="8 4"/>')
            out.append(f'<text x="{lx + 206}" y="{ly + 4}" fill="#c00">target: p99 &lt; {html.escape(_fmt_ms(target_ms))}</text>')
        if any(v is not None and v <= 0 for vs in series.values() for v in vs):
            out.append(f'<text x="{x0 + pw - 4}" y="{mt + ph - 6}" text-anchor="end" font-size="11" fill="#444">'
                       'hollow: 0 (drawn on the floor)</text>')
    if note:
        out.append(f'<text x="10" y="{height - 10}" font-size="11" fill="#444">{html.escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------
# Measurements


def cpu_snapshot(pids):
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:9]
    snap = {
        "t": time.monotonic(),
        "hz": os.sysconf("SC_CLK_TCK"),
        "cores": os.cpu_count() or 1,
        "stat": [int(x) for x in fields],
        "pids": {},
    }
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                text = f.read()
            rest = text[text.rindex(")") + 2:].split()
            snap["pids"][str(pid)] = int(rest[11]) + int(rest[12])  # utime, stime (fields 14, 15)
        except (OSError, ValueError, IndexError):
            pass
        try:  # ns on a CPU, ns runnable but waiting for one, times run
            with open(f"/proc/{pid}/schedstat") as f:
                snap.setdefault("sched", {})[str(pid)] = [int(x) for x in f.read().split()[:3]]
        except (OSError, ValueError):
            pass
    return snap


def run_queue_wait(waiting_ns, timeslices, seconds):
    """Time a process spent runnable but waiting for a CPU over a run (pure): ms in all, % of the
    run, and µs a time it was run. None without the figures."""
    if waiting_ns is None or not timeslices or not seconds or seconds <= 0:
        return None
    return {"wait_ms": waiting_ns / 1e6, "pct_of_run": 100.0 * waiting_ns / 1e9 / seconds,
            "per_run_us": waiting_ns / 1e3 / timeslices, "runs": timeslices}


def process_waits(before, after, params, load):
    """The server's and the mock's run-queue waits between two `cpu` snapshots, and the load
    tool's from its own report (pure)."""
    out = {}
    seconds = (after or {}).get("t", 0) - (before or {}).get("t", 0)
    for role in ("server", "mock"):
        pid = str(params.get(f"{role}_pid", ""))
        a = ((before or {}).get("sched") or {}).get(pid)
        b = ((after or {}).get("sched") or {}).get(pid)
        if a and b and len(a) == 3 and len(b) == 3:
            out[role] = run_queue_wait(b[1] - a[1], b[2] - a[2], seconds)
    lp = (load or {}).get("load_process") or {}
    if lp.get("run_queue_wait_s") is not None:
        out["load"] = run_queue_wait(lp["run_queue_wait_s"] * 1e9, lp.get("timeslices"), (load or {}).get("total_s"))
    return out


def wait_calm(max_pct, timeout_s, max_steal_pct=100.0):
    """Waits until processes (user + system, all of them) used less than max_pct of one core, and
    the hypervisor stole less than max_steal_pct, over a second, or timeout_s passed. Returns
    (calm, last measured process %, last measured steal %, seconds waited)."""
    # The hypervisor steals only from a virtual core that wants to run, and an idle machine wants
    # nothing: to see the steal, this keeps one core busy for the second, and counts itself out.
    probe_steal = max_steal_pct < 100.0
    start = time.monotonic()
    while True:
        before, own_before = cpu_snapshot([]), time.process_time()
        end = time.monotonic() + 1.0
        if probe_steal:
            while time.monotonic() < end:
                pass
        else:
            time.sleep(1.0)
        after, own = cpu_snapshot([]), time.process_time() - own_before
        share = cpu_share(before, after)
        busy = max(0.0, share["processes_pct"] - 100.0 * own / share["seconds"]) if share else 0.0
        steal = share["steal_pct"] if share else 0.0
        waited = time.monotonic() - start
        calm = busy < max_pct and steal < max_steal_pct
        if calm or waited >= timeout_s:
            return calm, busy, steal, waited


def machine_info():
    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    info["nproc"] = os.cpu_count()
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        pass
    model = None
    mhz = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model is None:
                    model = line.split(":", 1)[1].strip()
                if line.startswith("cpu MHz") and mhz is None:
                    mhz = line.split(":", 1)[1].strip()
    except OSError:
        pass
    info["cpu_model"] = model
    info["cpu_mhz"] = mhz
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["mem_total_mib"] = int(line.split()[1]) // 1024
    except OSError:
        pass
    info["kernel"] = platform.release()
    info["os"] = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    info["loadavg"] = open("/proc/loadavg").read().split()[:3]
    return info


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = s.recv(64)
            return data.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def proc_status_kib(pid, field):
    """A `VmRSS`-style line of /proc/PID/status in KiB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def measure_startup(binary, runs, env_pairs, extra_args, unset=(), timeout_s=10.0, stderr_path=None):
    """Each run: exec, poll GET /health every 0.5 ms until it answers 200 (ms), the server's VmRSS
    and VmHWM at that moment, then SIGTERM. stderr_path: the servers' stderr is appended there."""
    env = dict(os.environ)
    for key in unset:
        env.pop(key, None)
    env.update(parse_kv_strings(env_pairs))
    results = []
    log = open(stderr_path, "ab") if stderr_path else subprocess.DEVNULL
    for _ in range(runs):
        port = free_port()
        args = [binary, "--host", "127.0.0.1", "--port", str(port)] + list(extra_args)
        t0 = time.monotonic()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log)
        served = rss = hwm = None
        while time.monotonic() - t0 < timeout_s:
            if health_ok(port):
                served = (time.monotonic() - t0) * 1000.0
                rss, hwm = proc_status_kib(proc.pid, "VmRSS"), proc_status_kib(proc.pid, "VmHWM")
                break
            if proc.poll() is not None:
                break
            time.sleep(0.0005)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        results.append({"ms": served, "exit": proc.returncode, "rss_kib": rss, "hwm_kib": hwm})
        time.sleep(0.2)
    if stderr_path:
        log.close()
    served = [r["ms"] for r in results if r["ms"] is not None]
    return {
        "runs": results,
        "median_ms": _median(served) if served else None,
        "min_ms": min(served) if served else None,
        "max_ms": max(served) if served else None,
        "failed": sum(1 for r in results if r["ms"] is None),
        "timeout_s": timeout_s,
    }


def _median(values):
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def parse_kv_strings(pairs):
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = value
    return out


# ----------------------------------------------------------------------------------------------
# The report


def _load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def _read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def _ms(us, decimals=None):
    if us is None:
        return "–"
    v = us / 1000.0
    if decimals is None:
        decimals = 3 if v < 10 else 1 if v < 1000 else 0
    return f"{v:,.{decimals}f}"


def _num(v, decimals=0):
    if v is None:
        return "–"
    return f"{v:,.{decimals}f}"


def load_run(directory):
    """One run of tools/bench: params, command, load report, mock stats, CPU, server state."""
    run = {"dir": directory, "name": os.path.basename(directory)}
    run["params"] = _load(os.path.join(directory, "params.json"), {})
    run["cmd"] = _read(os.path.join(directory, "cmd.txt")).strip()
    run["load"] = _load(os.path.join(directory, "load.json"))
    run["load_err"] = _read(os.path.join(directory, "load.err")).strip()
    run["mock_stats"] = _load(os.path.join(directory, "mock_stats.json"))
    run["health"] = _load(os.path.join(directory, "health.json"))
    run["server_state"] = _read(os.path.join(directory, "server_state.txt")).strip() or "unknown"
    run["extra"] = _load(os.path.join(directory, "extra.json"), {})
    run["wakeup"] = _load(os.path.join(directory, "wakeup.json"))
    run["server_latency"] = server_latency(_read(os.path.join(directory, "metrics.txt")))
    before = _load(os.path.join(directory, "cpu_before.json"))
    after = _load(os.path.join(directory, "cpu_after.json"))
    pids = [run["params"].get("server_pid"), run["params"].get("mock_pid")]
    run["cpu"] = cpu_share(before, after, [p for p in pids if p]) if before and after else None
    run["waits"] = process_waits(before, after, run["params"], run["load"]) if before and after else {}
    for key, name in (("startup_import", "startup-import.json"), ("startup_reopen", "startup-reopen.json"), ("chats", "chats.json")):
        value = _load(os.path.join(directory, name))  # part 9's
        if value is not None:
            run["extra"][key] = value
    cancel_match = _load(os.path.join(directory, "cancel_match.json"))
    if cancel_match:
        run["extra"]["summary"] = cancel_match.get("summary")
        run["extra"]["closes"] = cancel_match.get("closes")
    run["extra"].update(derive(run["params"], run["extra"], run["load"], run["mock_stats"], run["health"]))
    return run


def derive(params, raw, load, mock_stats, health):
    """Figures computed from a run's raw measurements (pure)."""
    out = {}
    load = load or {}
    total_s = load.get("total_s") or 0
    part = params.get("part")
    if part == "saturation" and total_s > 0:
        if mock_stats is not None and params.get("tokens"):
            out["upstream_tokens_per_s"] = mock_stats.get("completed", 0) * params["tokens"] / total_s
        if health is not None:
            out["server_chunks_per_s"] = health.get("chunks_total", 0) / total_s
            if health.get("socket_writes_total"):
                out["frames_per_write"] = health.get("chunks_total", 0) / health["socket_writes_total"]
        chat = load.get("chat") or {}
        out["frames_per_s"] = chat.get("chunks_per_s")
        if out.get("upstream_tokens_per_s") and chat.get("chunks"):
            out["tokens_per_frame"] = out["upstream_tokens_per_s"] / chat["chunks_per_s"]
    if part == "idle":
        c = load.get("connections") or {}
        out["opened"] = c.get("opened")
        out["failed"] = c.get("failed")
        out["dropped"] = c.get("dropped")
        out["failures"] = c.get("failures") or None
        before, with_, after = raw.get("rss_before_kib"), raw.get("rss_with_kib"), raw.get("rss_after_kib")
        if before is not None and with_ is not None and c.get("opened"):
            out["rss_per_connection_kib"] = (with_ - before) / c["opened"]
        if before and after is not None:
            out["after_vs_before_pct"] = 100.0 * (after - before) / before
        cold = raw.get("rss_cold_kib")
        if cold and after is not None:
            out["after_vs_cold_pct"] = 100.0 * (after - cold) / cold
    return out


def other_cpu(run):
    """Process CPU (user + system) not used by the server, the mock or the load tool during the run
    (% of one core): other people's jobs. Interrupt and softirq time is not in it."""
    cpu = run.get("cpu")
    load = run.get("load") or {}
    if not cpu:
        return None
    used = 0.0
    for key in (run["params"].get("server_pid"), run["params"].get("mock_pid")):
        if key and str(key) in cpu:
            used += cpu[str(key)]
    lp = load.get("load_process")
    if lp and cpu["seconds"] > 0:
        used += 100.0 * (lp["cpu_user_s"] + lp["cpu_system_s"]) / cpu["seconds"]
    return max(0.0, cpu.get("processes_pct", cpu["machine_busy_pct"]) - used)


def server_log_summary(run_dirs, names=("server.log",)):
    counts = Counter()
    samples = []
    for d in run_dirs:
        for line in "\n".join(_read(os.path.join(d, name)) for name in names).splitlines():
            m = re.match(r"^\S+ (warn|error) (.*)$", line)
            if m:
                counts[m.group(1)] += 1
                key = re.sub(r"\d+", "N", m.group(2))[:120]
                samples.append((os.path.basename(d), m.group(1), key, line))
    by_kind = Counter((s[1], s[2]) for s in samples)
    first = {}
    for name, level, key, line in samples:
        first.setdefault((level, key), (name, line))
    return counts, by_kind, first


def write_report(results_dir, md_path, svg_path):
    meta = _load(os.path.join(results_dir, "meta.json"), {})
    meta["machine"] = _load(os.path.join(results_dir, "machine.json"), {})
    if isinstance(meta.get("loadavg_end"), str):
        meta["loadavg_end"] = meta["loadavg_end"].split()[:3]
    meta.setdefault("setup_commands", ["tools/setup-packages", "BUILD_TYPE=Release tools/build",
                                       "ulimit -n \"$(ulimit -Hn)\""])
    runs = load_runs(results_dir)
    chat_runs = sorted((r for r in runs.values() if r["params"].get("part") == "chat"),
                       key=lambda r: (r["params"].get("series", ""), r["params"].get("connections", 0), r["params"].get("repeat", 1)))
    main_chat = [r for r in chat_runs if r["params"].get("series") == "main"]
    extra_chat = [r for r in chat_runs if r["params"].get("series") not in ("main", "floor", "quiet")]
    floor = floor_rows(runs.values())
    sat_runs = sorted((r for r in runs.values() if r["params"].get("part") == "saturation"),
                      key=lambda r: (r["params"].get("connections", 0), r["params"].get("repeat", 0)))
    idle = next((r for r in runs.values() if r["params"].get("part") == "idle"), None)
    cancel = next((r for r in runs.values() if r["params"].get("part") == "cancel"), None)
    startup = _load(os.path.join(results_dir, "startup.json"))
    startup_builtin = _load(os.path.join(results_dir, "startup-builtin.json"))
    machine = meta.get("machine", {})
    mode = meta.get("mode", "full")

    lines = []
    w = lines.append
    w("# brandchat benchmarks")
    w("")
    w(f"Written by `tools/bench{' --quick' if mode == 'quick' else ''}` on {machine.get('date', '?')} "
      f"({mode} mode, {meta.get('wall_s', 0):.0f} s). Every figure below comes from that run; the raw "
      f"reports are in `{meta.get('results_rel', results_dir)}/` until the next run.")
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("| --- | --- |")
    w(f"| CPU | {machine.get('cpu_model', '?')}, `nproc` = {machine.get('nproc', '?')} |")
    w(f"| memory | {machine.get('mem_total_mib', 0):,} MiB |")
    w(f"| kernel, OS | {machine.get('kernel', '?')}, {machine.get('os', '?')} |")
    w(f"| open-file limit | soft {meta.get('nofile_soft', '?')}, hard {meta.get('nofile_hard', '?')} (raised to the hard limit for every process) |")
    w(f"| load average | {' '.join(machine.get('loadavg', []))} at the start, {' '.join(meta.get('loadavg_end', []))} at the end |")
    w(f"| build | {meta.get('build_type', 'Release')}, {meta.get('compiler', '?')}; server `{meta.get('server_version', '?')}`, "
      f"binary sha256 `{meta.get('server_sha256', '?')[:16]}`… |")
    w("")
    w("The server, the mock model (`brandchat-mock-llm`) and the load tool (`brandchat-load`) share "
      "these cores, and so do other engineers' jobs. CPU columns are % of one core over the run: each "
      "process's own user + system time (`/proc/PID/stat`; the load tool's from `getrusage`); **softirq** "
      "is the kernel's interrupt and softirq time (`/proc/stat`), mostly the loopback TCP traffic, which is "
      "charged to no process; **steal** is time the hypervisor gave this virtual machine's cores to other "
      "machines (`/proc/stat`), during which nothing here runs; **other CPU** is the process time of everything else on the machine "
      "(`/proc/stat` user + system minus the three), i.e. how much other people's jobs competed with the run.")
    w("")

    # ---- targets
    at_1000 = [r for r in main_chat if r["params"].get("connections") == 1000 and r["load"]]
    ttfc_p99 = median_latency(at_1000, "first_chunk_server_added", "p99")
    gap_p99 = median_latency(at_1000, "chunk_gap_server_added", "p99")

    def of_runs(key):
        if len(at_1000) < 2:
            return ""
        each = ", ".join(_ms(_lat(r["load"], key, "p99")) for r in at_1000)
        return f" (median of {len(at_1000)} runs' p99: {each} ms)"
    sat_groups = saturation_medians(sat_runs)
    best_sat = max(sat_groups, key=lambda g: g["upstream_tokens_per_s"] or 0) if sat_groups else None
    idle_x = idle["extra"] if idle else {}
    cancel_x = (cancel["extra"].get("summary") if cancel else None) or {}
    disturbed = [(r["name"], other_cpu(r)) for r in sorted(runs.values(), key=lambda r: r["params"].get("order", 0))
                 if other_cpu(r) is not None and other_cpu(r) > DISTURBED_PCT]
    if disturbed:
        w(f"**Disturbed runs.** Other processes used more than {DISTURBED_PCT} % of a core during "
          + ", ".join(f"{n} ({v:.0f} %)" for n, v in disturbed)
          + f": the suite waits up to {meta.get('calm_wait_s', 0)} s before each run for the machine to calm down, "
          "and started these anyway or was joined during them; their figures include that competition.")
        w("")
    w("## Targets (issue 4)")
    w("")
    if mode == "quick":
        w("*Quick mode: smaller numbers than the targets are stated for, so these verdicts are only indicative; "
          "`tools/bench` (full) is the measurement.*")
        w("")
    w("| target | measured | |")
    w("| --- | --- | --- |")
    if at_1000:
        w(f"| server-added time to first chunk, p99 < 1 ms at 1,000 conversations | {_ms(ttfc_p99)} ms{of_runs('first_chunk_server_added')} | **{verdict(None if ttfc_p99 is None else ttfc_p99 / 1000, 1.0)}** |")
        w(f"| server-added chunk gap, p99 < 1 ms at 1,000 conversations | {_ms(gap_p99)} ms{of_runs('chunk_gap_server_added')} | **{verdict(None if gap_p99 is None else gap_p99 / 1000, 1.0)}** |")
    else:
        w("| server-added latency, p99 < 1 ms at 1,000 conversations | not run in this mode | – |")
    in_server = in_server_runs(chat_runs)
    judged, quiet_pct = judged_in_server_runs(in_server, meta)
    for name, what in SERVER_HISTOGRAMS:
        if not any(name in r.get("server_latency", {}) for r in in_server):
            continue
        w(in_server_target_row(name, what, judged, len(in_server), quiet_pct))
    if best_sat:
        w(f"| ≥ 100,000 chunks/s forwarded at saturation | {_num(best_sat['upstream_tokens_per_s'])} upstream tokens/s forwarded, "
          f"{_num(best_sat['frames_per_s'])} chunk frames/s received ({'median of ' + str(best_sat['runs']) + ' runs' if best_sat['runs'] > 1 else 'one run'} with "
          f"{best_sat['connections']:,} clients, the best client count) | "
          f"**{verdict(min(best_sat['upstream_tokens_per_s'] or 0, best_sat['frames_per_s'] or 0), 100000, below=False)}** (judged on the lower of the two) |")
    if idle:
        target_n = 19000
        n_ok = idle_x.get("opened")
        w(f"| 19,000 idle connections in one process | {_num(n_ok)} of {_num(idle['params'].get('connections'))} held | "
          f"**{verdict(n_ok, target_n, below=False)}** |")
        per = idle_x.get("rss_per_connection_kib")
        w(f"| ≤ 8 KiB server RSS per idle connection | {_num(per, 2)} KiB | **{'met' if per is not None and per <= 8 else verdict(per, 8.0)}** |")
        back = idle_x.get("after_vs_before_pct")
        cold = idle_x.get("after_vs_cold_pct")
        cold_note = f" ({_num(cold, 1)} % vs the cold process)" if cold is not None else ""
        w(f"| RSS back within 10 % of baseline after they leave | {_num(back, 1)} % vs the warmed-up baseline{cold_note} | "
          f"**{verdict(None if back is None else abs(back), 10.0)}** |")
    if cancel:
        p99 = (cancel_x.get("upper_ms") or {}).get("p99")
        w(f"| cancellation p99 < 10 ms | {_num(p99, 2)} ms (upper bound) | **{verdict(p99, 10.0)}** |")
    if startup:
        med = startup.get("median_ms")
        w(f"| serving within 100 ms of start | median {_num(med, 1)} ms | **{verdict(med, 100.0)}** |")
    w("")

    late_1000 = median_latency(at_1000, "upstream_late", "p99")
    transit_1000 = median_latency(at_1000, "transit", "p99")
    way_1000 = median_latency(at_1000, "to_upstream", "p99")
    if late_1000 is not None and transit_1000 is not None:
        way = (f"a chat message took {_ms(way_1000)} ms to reach the mock and start its first-token pause, "
               if way_1000 is not None else "")
        w(f"Split by the mock's stamped tokens at 1,000 conversations (median of the runs' p99): {way}the mock itself "
          f"wrote tokens late by {_ms(late_1000)} ms, and a token's transit from the mock's write to the client's "
          f"read took {_ms(transit_1000)} ms (see *Where the server-added time goes* below).")
        w("")
    if floor and at_1000:
        w("The latency targets are for a path of three to five process wake-ups on two shared cores. For scale, a "
          "process here that does nothing but sleep 1 ms at a time was woken late by "
          + " and ".join(f"{_ms(row['wakeup'].get('p99'))} ms at p99 {row['label']}" for row in floor)
          + " (see *The machine's floor* below).")
        w("")

    # ---- parts 1 and 2
    w("## 1–2. Concurrent streaming conversations; server-added latency")
    w("")
    if main_chat:
        p0 = main_chat[0]["params"]
        w(f"Each row is a fresh server and mock. The mock answers every request with {p0.get('tokens')} tokens; "
          "its first token falls due one token delay after the response headers and the rest one token "
          "delay apart (`--first-token-ms D --token-delay-ms D`). Every client sends its next chat message "
          "as soon as the previous reply completes (`--scenario chat`), so every conversation is streaming "
          f"all the time. The token delay D grows with the concurrency so that the mock offers the same "
          f"{_num(p0.get('offered_tokens_per_s'))} tokens/s in total at every level: the rows differ in the "
          "number of concurrent streams, not in the token rate (part 3 measures the rate). Conversations start "
          f"at {_num(p0.get('ramp_per_s'))} per second (a faster ramp measures how fast the server takes on new "
          "conversations, not what it adds to each)"
          + (", at random like independent customers (`--ramp-arrivals random`: exponential gaps of that mean, "
             "the same sequence every run): started evenly, every (D × rate)th conversation's tokens would fall "
             "due at the same instant, and the server would forward them in bursts" if p0.get("arrivals") == "random" else "")
          + ", and each run lasts until "
          f"{_num(p0.get('duration_s', 0) - math.ceil(p0.get('connections', 0) / max(p0.get('ramp_per_s', 1), 1)))} s after the last one "
          "started. Times to first chunk are mostly those of each conversation's first message, sent as it "
          "connects, since a reply takes 64 × D.")
        w("")
        if any(r["params"].get("repeat", 1) > 1 for r in main_chat):
            w("Levels of 1,000 conversations or fewer run three times, each on a fresh server and mock (**run**): a "
              "single p99 on these shared cores moves with whatever else the host does, so the targets and the "
              "chart take the median of the runs' percentiles.")
            w("")
        w("**Server-added** time = what the client measured minus what the mock was told: time to first "
          "chunk − D, and chunk gap − D (never below 0; consecutive chunks merged into one frame count as "
          "one gap). It includes everything that is not the mock's scheduled pause: the server, the loopback "
          "TCP hops, and the mock's and the load tool's own scheduling on the shared cores. Percentiles "
          "come from log-bucketed histograms (0.8 % precision), in ms.")
        w("")
        w(_chat_table(main_chat))
        w("")
        steals = [(r.get("cpu") or {}).get("steal_pct") for r in main_chat]
        steals = [x for x in steals if x is not None]
        if steals and max(steals) >= 1.0:
            w(f"**Steal.** The hypervisor took {min(steals):.1f}–{max(steals):.1f} % of a core from this virtual machine "
              "during these runs. Every process here stops while that happens, and the p99 and max columns include "
              "those pauses: compare runs only at similar steal."
              + (f" Before each run the suite waited up to {meta['calm_wait_s']} s for a second in which a core it kept "
                 f"busy lost less than {meta['calm_steal_pct']} % to steal; other machines' load comes and goes, so a "
                 "run may still start or carry on in a noisy spell." if meta.get("calm_wait_s") and meta.get("calm_steal_pct") else ""))
            w("")
        w(_chat_details(main_chat))
        w("")
        for note in _fd_notes(main_chat):
            w(note)
            w("")
    if extra_chat:
        w("### At a model's real pace")
        w("")
        w("The same, with every conversation streaming at 20 ms per token (50 tokens/s, a typical LLM), "
          "so the total token rate grows with the concurrency: where it passes what this machine can "
          "forward (part 3) the latency is queueing, not the server's per-chunk cost.")
        w("")
        w(_chat_table(extra_chat))
        w("")
        w(_chat_details(extra_chat))
        w("")
        for note in _fd_notes(extra_chat):
            w(note)
            w("")
    if any(r.get("server_latency") for r in in_server):
        for line in in_server_section(in_server, judged, quiet_pct, meta):
            w(line)
    stamped = stamp_rows(main_chat + [r for r in chat_runs if r["params"].get("series") == "floor"])
    if stamped:
        w("### Where the server-added time goes")
        w("")
        w("The mock runs with `--stamp-tokens`: each token's text is the time the mock wrote it and the time it "
          "fell due (`\" @WRITTEN:DUE\"`, µs of the monotonic clock, which every process here shares). The load tool "
          "reads them from the chunks it receives and splits each token's time in two. **To upstream** (first "
          "chunks only, one per reply): from the client sending its chat message to the mock beginning its "
          "first-token pause, i.e. the server's work on the message, the hops to the mock, and the mock reading "
          "the request and answering its headers. **Upstream late**: the mock "
          "wrote the token after it fell due, by this much; the server cannot see or change that, but the "
          "server-added times above count it. **Transit**: from the mock's write to the load tool's read, i.e. "
          "the server's work, both loopback TCP hops, and the server's and the load tool's wake-ups. One count "
          "per token, in ms.")
        w("")
        w("| conversations | run | TTFC − D p99 | to upstream p50 | p99 | gap − D p99 | upstream late p50 | p90 | p99 | p99.9 | transit p50 | p90 | p99 | p99.9 | steal |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for row in stamped:
            late, tr, way = row["upstream_late"], row["transit"], row["to_upstream"]
            w(f"| {_stamp_label(row)} | {_ms(row['first_chunk_p99'])} | "
              f"{_ms(way.get('p50'))} | {_ms(way.get('p99'))} | {_ms(row['gap_p99'])} | "
              f"{_ms(late.get('p50'))} | {_ms(late.get('p90'))} | {_ms(late.get('p99'))} | {_ms(late.get('p99_9'))} | "
              f"{_ms(tr.get('p50'))} | {_ms(tr.get('p90'))} | {_ms(tr.get('p99'))} | {_ms(tr.get('p99_9'))} | {_pct(row['steal_pct'], 1)} |")
        w("")
        if any(row["waits"] for row in stamped):
            w("**Waiting for a CPU.** The kernel counts, for each process, the time it was ready to run but "
              "waited for a core (`/proc/PID/schedstat`; the load tool reads its own): behind the other processes "
              "on these two cores and the kernel's own work. Below, each process's wait over the run, in all and "
              "on average each time it was run. Every such wait on the way of a chunk is in the server-added "
              "times above. The hypervisor's steal is not in these waits: while it holds a virtual core, the "
              "process on it counts as running, so the waits shrink as the steal grows, and the steal column "
              "is the other half of the story.")
            w("")
            w("| conversations | run | server waited | µs a time | mock waited | µs a time | load tool waited | µs a time | TTFC − D p99 | gap − D p99 | steal |")
            w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for row in stamped:
                cells = []
                for role in ("server", "mock", "load"):
                    wt = row["waits"].get(role)
                    cells += ["–", "–"] if not wt else [f"{wt['wait_ms']:,.0f} ms ({wt['pct_of_run']:.1f} % of the run)",
                                                      f"{wt['per_run_us']:,.0f}"]
                w(f"| {_stamp_label(row)} | " + " | ".join(cells) + f" | {_ms(row['first_chunk_p99'])} | {_ms(row['gap_p99'])} | {_pct(row['steal_pct'], 1)} |")
            w("")
    if floor:
        w("### The machine's floor")
        w("")
        w("`brandchat-load --scenario wakeup` opens no connections: it sleeps 1 ms at a time and times how late "
          "each sleep ends. Nothing else runs in it, so its lateness is the machine's: the kernel's wake-up path, "
          "the other processes on these two cores, and the hypervisor's steal. It ran once with nothing of ours "
          "running, and once beside one more run of 1,000 conversations (not one of the runs above, so that its "
          "own wake-ups, about 3 % of a core, do not touch those). A chunk's way from the mock's timer to the "
          "client takes three wake-ups (mock, server, load tool); a first chunk's way takes five (server, "
          "mock, the mock's timer, server, load tool). This process is the best case of a wake-up here: it "
          "hardly uses the CPU, so the scheduler runs it first. The server, the mock and the load tool each "
          "use 10–30 % of a core and also wait behind each other, so their wake-ups are late more often "
          "than this. The server-added time counts every one of them.")
        w("")
        w("| run | wake-ups | late p50 | p90 | p99 | p99.9 | max | server-added first chunk p99 | chunk gap p99 | steal |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for row in floor:
            h = row["wakeup"]
            w(f"| {row['label']} | {_num(h.get('count'))} | {_ms(h.get('p50'))} | {_ms(h.get('p90'))} | {_ms(h.get('p99'))} | "
              f"{_ms(h.get('p99_9'))} | {_ms(h.get('max'))} | {_ms(row['first_chunk_p99'])} | {_ms(row['gap_p99'])} | {_pct(row['steal_pct'], 1)} |")
        w("")
    w("![server-added latency against concurrency](latency.svg)")
    w("")

    # ---- part 3
    w("## 3. Saturation: chunks forwarded with zero token delay")
    w("")
    if sat_runs:
        p0 = sat_runs[0]["params"]
        w(f"The mock streams {p0.get('tokens')} tokens per answer with no delay (`--token-delay-ms 0`); "
          "clients send back to back. **Upstream tokens/s** = tokens in the mock's streams that completed "
          "(`/mock/stats` `completed` × tokens per answer) over the load tool's run time: what the server "
          "read from the model and forwarded. **Server chunks/s** = the server's own `chunks_total` "
          "(`/health`) over the same time. **Chunk frames/s** = WebSocket `chunk` frames the clients "
          "received. Every token is its own chunk frame for a client that keeps up; the server merges "
          "waiting chunks into one frame only for a client more than a socket batch behind (same text, "
          "fewer frames), so tokens/frame above 1 shows merging. **Frames/write** = chunk frames per "
          "socket write (`/health` `chunks_total` / `socket_writes_total`): the frames produced in one "
          "turn of the event loop leave in one write.")
        w("")
        w("| clients | opened | repeat | run (s) | upstream tokens/s | server chunks/s | chunk frames/s | tokens/frame | frames/write | replies/s | reply errors | server CPU | mock CPU | load CPU | softirq | other CPU | server RSS peak |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in sat_runs:
            x, L = r["extra"], r["load"] or {}
            chat = L.get("chat", {})
            w(f"| {r['params'].get('connections'):,} | {_num((L.get('connections') or {}).get('opened'))} | {r['params'].get('repeat', 1)} | {_num(L.get('total_s'), 1)} | {_num(x.get('upstream_tokens_per_s'))} | "
              f"{_num(x.get('server_chunks_per_s'))} | {_num(x.get('frames_per_s'))} | {_num(x.get('tokens_per_frame'), 2)} | {_num(x.get('frames_per_write'), 1)} | "
              f"{_num(chat.get('replies_per_s'))} | {_num(chat.get('reply_errors'))} | {_cpu(r, 'server_pid')} | {_cpu(r, 'mock_pid')} | "
              f"{_load_cpu(r)} | {_pct((r.get('cpu') or {}).get('softirq_pct'))} | {_pct(other_cpu(r))} | {_rss_peak(r)} |")
        w("")
        if any(g["runs"] > 1 for g in sat_groups):
            w("Medians: " + "; ".join(
                f"{g['connections']:,} clients: {_num(g['upstream_tokens_per_s'])} upstream tokens/s, "
                f"{_num(g['frames_per_s'])} chunk frames/s (runs: {', '.join(_num(v) for v in g['all_tokens_per_s'])} tokens/s)"
                for g in sat_groups) + ".")
            w("")
            spreads = [100.0 * (max(g["all_tokens_per_s"]) / min(g["all_tokens_per_s"]) - 1)
                       for g in sat_groups if len(g["all_tokens_per_s"]) > 1 and min(g["all_tokens_per_s"]) > 0]
            others = [other_cpu(r) for r in sat_runs if other_cpu(r) is not None]
            if spreads:
                w(f"Runs with the same client count differ by up to {max(spreads):.0f} % "
                  f"(other processes used at most {max(others) if others else 0:.0f} % of a core during them).")
            w("")
    # ---- part 4
    w("## 4. Idle density")
    w("")
    if idle:
        x, L = idle["extra"], idle["load"] or {}
        w(f"One fresh server; `brandchat-load --scenario idle` opens {idle['params'].get('connections'):,} connections "
          f"(spread over {idle['params'].get('source_range', 1)} loopback source addresses), waits for every welcome and "
          f"holds them {idle['params'].get('hold_s')} s. Server RSS (`VmRSS`) is read 1 s after start (**cold**), then after a "
          "warm-up (4 clients chatting for 2 s, then 100 idle connections for 1 s, then 3 s of rest: the **baseline**, "
          "a server that has met its first users, with its code paths and first-use allocations in place), once `/health` "
          f"counts them all and {idle['params'].get('settle_s')} s have passed, and {idle['params'].get('after_wait_s')} s "
          "after the last one left. The target is judged against the baseline; the cold figure is shown too, since the "
          "difference between the two is pages of code and data first touched by serving anyone at all.")
        w("")
        w("| | |")
        w("| --- | ---: |")
        w(f"| connections opened / requested | {_num(x.get('opened'))} / {_num(idle['params'].get('connections'))} (failed {_num(x.get('failed'))}, dropped {_num(x.get('dropped'))}) |")
        w(f"| server active connections seen by `/health` | {_num(x.get('active_seen'))} |")
        w(f"| time to open all (welcome p50 / p99 / max) | {_num(L.get('settle_s'), 2)} s ({_ms(_lat(L, 'welcome', 'p50'))} / {_ms(_lat(L, 'welcome', 'p99'))} / {_ms(_lat(L, 'welcome', 'max'))} ms) |")
        if x.get("rss_cold_kib"):
            w(f"| server RSS cold (1 s after start, nothing served) | {_kib(x.get('rss_cold_kib'))} |")
        w(f"| server RSS before (baseline, after the warm-up) | {_kib(x.get('rss_before_kib'))} |")
        w(f"| server RSS with them | {_kib(x.get('rss_with_kib'))} |")
        w(f"| **RSS per connection** ((with − before) / opened) | **{_num(x.get('rss_per_connection_kib'), 2)} KiB** |")
        cold_note = f"; {_num(x.get('after_vs_cold_pct'), 1)} % vs cold" if x.get("after_vs_cold_pct") is not None else ""
        w(f"| server RSS after they left | {_kib(x.get('rss_after_kib'))} (**{_num(x.get('after_vs_before_pct'), 1)} %** vs baseline{cold_note}) |")
        w(f"| server RSS high-water (VmHWM) | {_kib(x.get('hwm_kib'))} |")
        w(f"| load tool max RSS | {_kib((L.get('load_process') or {}).get('max_rss_kib'))} |")
        if x.get("failures"):
            w(f"| connection failures | {html.escape(json.dumps(x.get('failures')))} |")
        w("")
    # ---- part 5
    w("## 5. Cancellation")
    w("")
    if cancel:
        x = cancel["extra"]
        s = x.get("summary") or {}
        p = cancel["params"]
        w(f"`brandchat-load --scenario cancel`: {p.get('connections')} clients, each connecting, sending a chat "
          "message tagged `[ref cancel-N]`, and closing its TCP socket (no close frame, as a closed tab) the "
          "moment the first chunk arrives, then reconnecting. The mock streams "
          f"{p.get('tokens')} tokens {p.get('token_delay_ms')} ms apart, so every stream is cut mid-way. "
          "Each close time (monotonic clock, µs) is matched by its tag to the mock's `/mock/requests` record "
          "of that upstream request; latency = the mock's `ended_ms` − the close time. `ended_ms` is a whole "
          "millisecond (truncated), so each latency is known to within 1 ms: the table gives the upper bound "
          "(and the lower bound's median); the target is judged on the upper bound.")
        w("")
        up, lo = s.get("upper_ms") or {}, s.get("lower_ms") or {}
        w("| cancellations matched | p50 | p90 | p99 | max | lower bound p50 | upstream outcomes |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted((s.get("outcomes") or {}).items()))
        w(f"| {_num(s.get('matched'))} of {_num(x.get('closes'))} | {_num(up.get('p50'), 2)} ms | {_num(up.get('p90'), 2)} ms | "
          f"{_num(up.get('p99'), 2)} ms | {_num(up.get('max'), 2)} ms | {_num(lo.get('p50'), 2)} ms | {outcomes} |")
        if s.get("unmatched") or s.get("still_running"):
            w("")
            w(f"Unmatched closes: {s.get('unmatched')}; upstream streams still running when checked: {s.get('still_running')}.")
        w("")
    # ---- part 6
    w("## 6. Start-up")
    w("")
    if startup:
        w("Time from just before `exec` (Python `subprocess.Popen`) to the first `GET /health` answered 200, "
          "polled every 0.5 ms, on a free port, with the benchmark's flags. The target is judged on the first "
          "row, the configuration every other part runs (`OPENAI_BASE_URL` pointing at the mock); the second "
          "row is the same binary with no model configured (the built-in catalog responder), for comparison. "
          f"Environment: `SSL_CERT_FILE` {meta.get('ssl_cert_file') or 'unset'}, `SSL_CERT_DIR` {meta.get('ssl_cert_dir') or 'unset'}.")
        w("")
        w("| configuration | runs | median | min | max | failed | all runs (ms) |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for label, st in (("`OPENAI_BASE_URL=$MOCK/v1` (as benchmarked)", startup), ("no model (built-in responder)", startup_builtin)):
            if not st:
                continue
            runs_ms = [r["ms"] for r in st.get("runs", [])]
            w(f"| {label} | {len(runs_ms)} | **{_num(st.get('median_ms'), 1)} ms** | {_num(st.get('min_ms'), 1)} ms | "
              f"{_num(st.get('max_ms'), 1)} ms | {st.get('failed', 0)} | {', '.join(_num(v, 1) for v in runs_ms)} |")
        w("")

    # ---- parts 7, 8 and 9
    lines.extend(slow_section(slow_runs_of(runs), meta))
    lines.extend(store_section(store_runs_of(runs), meta))
    lines.extend(catalog_section(catalog_run_of(runs), meta))

    # ---- server behaviour
    w("## Server behaviour during the runs")
    w("")
    served = [r for r in runs.values() if r["params"].get("part") != "wakeup"]  # wakeup runs start no server
    dirs = [r["dir"] for r in served]
    counts, by_kind, first = server_log_summary(dirs)
    states = [(r["name"], r["server_state"]) for r in served]
    bad = [(n, s) for n, s in states if s != "alive"]
    if bad:
        for n, s in bad:
            w(f"- **{n}: the server {s}**")
    else:
        w("- The server was alive at the end of every run (checked before it was stopped).")
    for r in served:
        L = r["load"]
        if r["params"].get("part") == "catalog":
            continue  # its chats are part 9's own client's
        if L is None:
            w(f"- {r['name']}: the load tool wrote no report. {html.escape(r['load_err'][:300])}")
            continue
        errs = L.get("errors", {})
        parts = []
        if errs.get("server"):
            parts.append("server error frames " + json.dumps(errs["server"]))
        if errs.get("connection"):
            parts.append("connection failures " + json.dumps(errs["connection"]))
        if errs.get("dropped"):
            parts.append("connections dropped " + json.dumps(errs["dropped"]))
        if errs.get("unexpected_frames"):
            parts.append("unexpected frames " + json.dumps(errs["unexpected_frames"]))
        if parts:
            w(f"- {r['name']}: " + "; ".join(parts))
    if counts:
        w(f"- Server log (`--log-level info`): {counts.get('warn', 0)} warnings, {counts.get('error', 0)} errors:")
        for (level, key), n in by_kind.most_common(10):
            name, line = first[(level, key)]
            w(f"  - {n} × {level} (first in {name}): `{line[:200]}`")
    else:
        w("- Server log (`--log-level info`): no warnings, no errors.")
    w("")

    # ---- commands
    w("## Commands")
    w("")
    w("```sh")
    w(f"tools/bench{' --quick' if mode == 'quick' else ''}   # all of the below, then this report")
    w("```")
    w("")
    w("What it ran (ports were free ones picked at run time; `$MOCK` = `http://127.0.0.1:MOCKPORT`):")
    w("")
    w("```sh")
    for c in meta.get("setup_commands", []):
        w(c)
    for st in (startup, startup_builtin):
        if st:
            w("# start-up")
            command = re.sub(r"http://127\.0\.0\.1:\d+", "$MOCK", st.get("command", ""))
            rel = meta.get("results_rel")
            if rel and os.path.abspath(results_dir).endswith(rel):
                command = command.replace(os.path.abspath(results_dir)[: -len(rel)], "")
            w(command)
    for r in sorted(runs.values(), key=lambda r: r["params"].get("order", 0)):
        if r["params"].get("part") in ("slow", "store", "catalog"):
            continue  # listed in parts 7, 8 and 9
        w(f"# {r['name']}")
        for c in r["cmd"].splitlines():
            w(c)
    w("```")
    w("")

    with open(md_path, "w") as f:
        f.write("\n".join(lines))

    # ---- chart: one point per concurrency, the median over its repeated runs
    groups = {}
    for r in main_chat:
        groups.setdefault(r["params"].get("connections"), []).append(r)
    group_runs = [groups[n] for n in sorted(groups)]
    levels = [rs[0]["params"].get("connections") if all((other_cpu(r) or 0) <= DISTURBED_PCT for r in rs)
              else f"{rs[0]['params'].get('connections'):,}*" for rs in group_runs]
    panels = []
    for key, title in (("first_chunk_server_added", "time to first chunk − first-token delay"),
                       ("chunk_gap_server_added", "chunk gap − token delay")):
        series = {}
        for p in ("p50", "p90", "p99"):
            series[p] = [None if median_latency(rs, key, p) is None else median_latency(rs, key, p) / 1000.0 for rs in group_runs]
        panels.append((title, series))
    delays = ", ".join(f"{rs[0]['params'].get('connections'):,}: {rs[0]['params'].get('token_delay_ms')} ms" for rs in group_runs)
    offered = main_chat[0]["params"].get("offered_tokens_per_s") if main_chat else None
    svg = latency_svg(levels, panels, target_ms=1.0,
                      title="brandchat: server-added latency against concurrency",
                      note=f"{machine.get('date', '')}, {machine.get('nproc', '?')} cores ({machine.get('cpu_model', '')}); "
                           f"mock token delay per level ({delays}), {_num(offered)} tokens/s offered at each level; log scale"
                           + ("; * other jobs competed for the CPU" if any(isinstance(l, str) for l in levels) else ""))
    with open(svg_path, "w") as f:
        f.write(svg)


def _lat(load, key, p):
    h = ((load or {}).get("latency_us") or {}).get(key, {})
    return h.get(p) if h.get("count") else None


def _kib(v):
    if v is None:
        return "–"
    return f"{v / 1024:,.1f} MiB ({v:,} KiB)"


def _pct(v, digits=0):
    return "–" if v is None else f"{v:.{digits}f} %"


def _cpu(run, pid_key):
    cpu = run.get("cpu")
    pid = run["params"].get(pid_key)
    if not cpu or not pid or str(pid) not in cpu:
        return "–"
    return f"{cpu[str(pid)]:.0f} %"


def _load_cpu(run):
    cpu, L = run.get("cpu"), run.get("load") or {}
    lp = L.get("load_process")
    if not cpu or not lp or cpu["seconds"] <= 0:
        return "–"
    return f"{100.0 * (lp['cpu_user_s'] + lp['cpu_system_s']) / cpu['seconds']:.0f} %"


def _rss_peak(run):
    sp = (run.get("load") or {}).get("server_process") or {}
    v = sp.get("rss_peak_kib")
    return "–" if v is None else f"{v / 1024:,.1f} MiB"


def fd_budget(connections, nofile, overhead=16):
    """A streaming conversation holds two descriptors in the server: its client's socket and its
    upstream request's. True when `connections` of them fit under the open-file limit."""
    return 2 * connections + overhead <= nofile


def _fd_notes(chat_runs):
    notes = []
    for r in chat_runs:
        n, nofile = r["params"].get("connections"), r["params"].get("nofile")
        if n and nofile and not fd_budget(n, nofile):
            L = r["load"] or {}
            c = L.get("connections", {})
            chat = L.get("chat", {})
            mock = r.get("mock_stats") or {}
            notes.append(
                f"**{n:,} conversations and the open-file limit.** Each streaming conversation holds two descriptors "
                f"in the server (its client's socket and its upstream request's), so {n:,} need {2 * n:,} plus the "
                f"server's own, more than its limit of {nofile:,}. In this run {_num(c.get('opened'))} connections "
                f"opened and {_num(c.get('failed'))} failed, the mock saw {_num(mock.get('requests'))} upstream requests, "
                f"and the clients got {_num(chat.get('reply_errors'))} error replies (each client sends its next message "
                "at once after an error); see *Server behaviour* for what the server logged.")
    return notes


def stamp_rows(chat_runs):
    """Chat runs whose load report has stamped-token figures (the mock ran with --stamp-tokens):
    connections, repeat, whether it is the floor run, gap − D p99, and the upstream_late and
    transit histograms (µs) (pure)."""
    rows = []
    for r in chat_runs:
        lat = (r.get("load") or {}).get("latency_us") or {}
        if not (lat.get("transit") or {}).get("count"):
            continue
        rows.append({"connections": r["params"].get("connections", 0), "repeat": r["params"].get("repeat", 1),
                     "floor": r["params"].get("series") == "floor",
                     "gap_p99": _lat(r["load"], "chunk_gap_server_added", "p99"),
                     "first_chunk_p99": _lat(r["load"], "first_chunk_server_added", "p99"),
                     "to_upstream": lat.get("to_upstream") or {},
                     "upstream_late": lat.get("upstream_late") or {}, "transit": lat["transit"],
                     "waits": r.get("waits") or {},
                     "steal_pct": (r.get("cpu") or {}).get("steal_pct")})
    return rows


def _stamp_label(row):
    """A stamp_rows row's first two cells: conversations (and whether beside the wakeup meter), run."""
    return f"{row['connections']:,}{' (beside wakeup)' if row['floor'] else ''} | {row['repeat']}"


def floor_rows(runs):
    """The wakeup measurements, in the order run: alone, or beside a chat run (pure).

    Each row: label, the wakeup_late histogram (µs), and for a chat run beside it that run's
    server-added p99s (µs) and steal."""
    rows = []
    for r in sorted(runs, key=lambda r: r["params"].get("order", 0)):
        h = ((r.get("wakeup") or {}).get("latency_us") or {}).get("wakeup_late")
        if not h:
            continue
        chat = r["params"].get("part") == "chat"
        label = f"beside {r['params'].get('connections', 0):,} conversations" if chat else "alone"
        rows.append({"label": label, "wakeup": h,
                     "first_chunk_p99": _lat(r["load"], "first_chunk_server_added", "p99") if chat else None,
                     "gap_p99": _lat(r["load"], "chunk_gap_server_added", "p99") if chat else None,
                     "steal_pct": (r.get("cpu") or {}).get("steal_pct")})
    return rows


# The server's own latency histograms (GET /metrics, issue 17): what it adds, measured inside it.
SERVER_HISTOGRAMS = (
    ("brandchat_upstream_request_delay_seconds", "a chat message read → the model's request written"),
    ("brandchat_chunk_write_delay_seconds", "a model's read → its chunk frames' socket write (per write)"),
    ("brandchat_first_chunk_added_seconds", "time to first chunk − the model's time to its first text"),
)


def in_server_runs(chat_runs):
    """The chat runs of 1,000 conversations whose in-server latency counts: the main series' and the
    extra ones tools/bench adds for it (series "quiet"), in the order they ran (pure)."""
    return sorted((r for r in chat_runs if r["params"].get("connections") == 1000 and r["load"]
                   and r["params"].get("series") in ("main", "quiet")),
                  key=lambda r: r["params"].get("order", 0))


def judged_in_server_runs(runs, meta):
    """(the runs the in-server targets are judged on, the steal bound): those during which the
    hypervisor stole less than meta's quiet_steal_pct % of a core; every run when the report's
    suite set no bound (older results) (pure)."""
    bound = meta.get("quiet_steal_pct")
    if bound is None:
        return list(runs), None
    return [r for r in runs if (r.get("cpu") or {}).get("steal_pct") is not None and r["cpu"]["steal_pct"] < bound], bound


def _run_label(r):
    p = r["params"]
    return f"{'quiet-' if p.get('series') == 'quiet' else ''}{p.get('repeat', 1)}"


def in_server_target_row(name, what, judged, run_count, quiet_pct):
    """The targets table's row for one in-server histogram (pure)."""
    head = f"| in the server (`GET /metrics`, `{name}`): {what}, p99 < 1 ms at 1,000 conversations | "
    measured = [(r, r["server_latency"][name]) for r in judged if name in r.get("server_latency", {})]
    if not measured:
        return (head + f"none of the {run_count} runs at 1,000 conversations saw less than {quiet_pct} % steal "
                "(see *The server's own latency* below) | **not judged** |")
    p99 = _median([m["p99"] for _, m in measured if m["p99"] is not None])
    within = _median([m["within_1ms"] for _, m in measured if m["within_1ms"] is not None])
    each = ", ".join(f"{_ms(m['p99'])} ms ({100 * m['within_1ms']:.2f} % ≤ 1 ms)" for _, m in measured)
    if len(measured) == 1:
        runs = f"the one run with steal < {quiet_pct} %" if quiet_pct is not None else "one run"
    else:
        runs = (f"median of the {len(measured)} runs with steal < {quiet_pct} %" if quiet_pct is not None
                else f"median of {len(measured)} runs")
    return (head + f"p99 {_ms(p99)} ms, {100 * within:.2f} % within 1 ms ({runs}: {each}) | "
            f"**{verdict(within, 0.99, below=False)}** (judged on the share within the 1 ms bucket) |")


def in_server_section(runs, judged, quiet_pct, meta):
    """The report's section on the server's own latency histograms at 1,000 conversations: every
    run with its steal, which ones the targets are judged on and why (pure)."""
    out = ["### The server's own latency", ""]
    text = ("The server measures what it adds itself (`GET /metrics`, read at the end of each run): from a chat "
            "message read to the model's request written, from a read of the model's stream to the socket write "
            "of its chunk frames, and the time to first chunk less the model's own time to its first text. "
            "Each is a wall-clock interval inside the one server thread, so nothing of the mock's or the load "
            "tool's time is in it, but a pause of the whole virtual machine is: when the hypervisor takes a "
            "core (**steal**) in the middle of an interval, or while events wait to be handled, those intervals "
            "grow by the pause. A run's p99 follows its steal more than anything the server does, so the "
            "targets are judged on the runs ")
    if quiet_pct is not None:
        text += (f"during which the hypervisor stole less than {quiet_pct} % of a core (**judged**); the suite adds "
                 f"runs of 1,000 conversations (**quiet-N**, at most {meta.get('quiet_extra_max', '?')}) until "
                 f"{meta.get('quiet_needed', '?')} such runs exist. Every run is listed.")
    else:
        text += "below, whatever their steal."
    out += [text, ""]
    names = [n for n, _ in SERVER_HISTOGRAMS if any(n in r.get("server_latency", {}) for r in runs)]
    short = {"brandchat_upstream_request_delay_seconds": "request delay",
             "brandchat_chunk_write_delay_seconds": "chunk write delay",
             "brandchat_first_chunk_added_seconds": "first chunk added"}
    out.append("| run | steal | judged | " + " | ".join(f"{short.get(n, n)} p50 | p99 | ≤ 1 ms" for n in names) + " | observed |")
    out.append("| --- | ---: | --- | " + " | ".join("---: | ---: | ---:" for _ in names) + " | ---: |")
    for r in runs:
        cells = []
        for n in names:
            m = r.get("server_latency", {}).get(n)
            cells.append(" | ".join(("–", "–", "–") if not m else
                                    (_ms(m["p50"]), _ms(m["p99"]), f"{100 * m['within_1ms']:.2f} %")))
        counts = "/".join(f"{r['server_latency'][n]['count']:,.0f}" for n in names if n in r.get("server_latency", {}))
        out.append(f"| {_run_label(r)} | {_pct((r.get('cpu') or {}).get('steal_pct'), 1)} | {'yes' if r in judged else 'no'} | "
                   + " | ".join(cells) + f" | {counts} |")
    out += ["", "Times in ms: p50 and p99 interpolated within the buckets (as Prometheus' `histogram_quantile`), "
            "**≤ 1 ms** the share of observations in the buckets up to 1 ms, exact; **observed** the count of each.", ""]
    return out


def parse_histograms(text):
    """The unlabelled histograms of a Prometheus text page: name -> {"buckets": [(le, cumulative)],
    "count", "sum"} (pure)."""
    out = {}
    for line in (text or "").splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        try:
            v = float(value)
        except ValueError:
            continue
        if "_bucket{le=\"" in head and head.endswith("\"}"):
            name, le = head[:-2].split("_bucket{le=\"", 1)
            out.setdefault(name, {"buckets": [], "count": 0, "sum": 0.0})["buckets"].append(
                (float("inf") if le == "+Inf" else float(le), v))
        elif head.endswith("_count") and "{" not in head:
            out.setdefault(head[:-6], {"buckets": [], "count": 0, "sum": 0.0})["count"] = v
        elif head.endswith("_sum") and "{" not in head:
            out.setdefault(head[:-4], {"buckets": [], "count": 0, "sum": 0.0})["sum"] = v
    for h in out.values():
        h["buckets"].sort()
    return out


def histogram_quantile(q, histogram):
    """Prometheus' histogram_quantile: linear within the bucket the rank falls in; the highest
    finite bound when it falls past it. Seconds, or None when empty (pure)."""
    buckets = histogram.get("buckets") or []
    total = buckets[-1][1] if buckets else 0
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, cumulative in buckets:
        if cumulative >= rank:
            if bound == float("inf"):
                return lower_bound
            width = cumulative - lower_count
            return lower_bound + (bound - lower_bound) * ((rank - lower_count) / width if width else 1.0)
        lower_bound, lower_count = bound, cumulative
    return lower_bound


def share_within(histogram, bound_s):
    """The share of observations at most `bound_s` (a bucket bound), or None when empty (pure)."""
    buckets = histogram.get("buckets") or []
    total = buckets[-1][1] if buckets else 0
    if total <= 0:
        return None
    at = [c for b, c in buckets if b <= bound_s + 1e-12]
    return (at[-1] if at else 0) / total


def server_latency(metrics_text):
    """For each of SERVER_HISTOGRAMS present: count, p50, p99 (µs) and the share within 1 ms (pure)."""
    hs = parse_histograms(metrics_text)
    out = {}
    for name, _ in SERVER_HISTOGRAMS:
        h = hs.get(name)
        if not h or not h["count"]:
            continue
        p50, p99 = histogram_quantile(0.5, h), histogram_quantile(0.99, h)
        out[name] = {"count": h["count"], "p50": None if p50 is None else p50 * 1e6, "p99": None if p99 is None else p99 * 1e6,
                     "within_1ms": share_within(h, 0.001)}
    return out


def median_latency(runs, key, p):
    """The median over runs of one latency percentile (µs), or None when no run has it (pure)."""
    values = [_lat(r["load"] or {}, key, p) for r in runs]
    values = [v for v in values if v is not None]
    return _median(values) if values else None


def saturation_medians(sat_runs):
    """Saturation runs grouped by client count: median upstream tokens/s and chunk frames/s (pure)."""
    groups = {}
    for r in sat_runs:
        groups.setdefault(r["params"].get("connections"), []).append(r["extra"])
    out = []
    for n in sorted(groups):
        xs = groups[n]
        tokens = [x["upstream_tokens_per_s"] for x in xs if x.get("upstream_tokens_per_s") is not None]
        frames = [x["frames_per_s"] for x in xs if x.get("frames_per_s") is not None]
        out.append({"connections": n, "runs": len(xs), "all_tokens_per_s": tokens,
                    "upstream_tokens_per_s": _median(tokens) if tokens else None,
                    "frames_per_s": _median(frames) if frames else None})
    return out


def _chat_table(chat_runs):
    rows = ["| conversations | run | token delay D | opened / failed | TTFC − D p50 | p90 | p99 | max | gap − D p50 | p90 | p99 | max | chunk frames/s | other CPU | steal |",
            "| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in chat_runs:
        L = r["load"] or {}
        c = L.get("connections", {})
        chat = L.get("chat", {})
        rows.append(
            f"| {r['params'].get('connections'):,} | {r['params'].get('repeat', 1)} | {r['params'].get('token_delay_ms')} ms | {_num(c.get('opened'))} / {_num(c.get('failed'))} | "
            f"{_ms(_lat(L, 'first_chunk_server_added', 'p50'))} | {_ms(_lat(L, 'first_chunk_server_added', 'p90'))} | "
            f"**{_ms(_lat(L, 'first_chunk_server_added', 'p99'))}** | {_ms(_lat(L, 'first_chunk_server_added', 'max'))} | "
            f"{_ms(_lat(L, 'chunk_gap_server_added', 'p50'))} | {_ms(_lat(L, 'chunk_gap_server_added', 'p90'))} | "
            f"**{_ms(_lat(L, 'chunk_gap_server_added', 'p99'))}** | {_ms(_lat(L, 'chunk_gap_server_added', 'max'))} | "
            f"{_num(chat.get('chunks_per_s'))} | {_pct(other_cpu(r))} | {_pct((r.get('cpu') or {}).get('steal_pct'), 1)} |")
    return "\n".join(rows)


def _chat_details(chat_runs):
    rows = ["| conversations | run | run (s) | ramp (conn/s) | welcome p50 / p99 (ms) | first chunk p50 / p99 (ms) | chunk gap p50 / p99 (ms) | complete p50 (ms) | requests | replies | reply errors | unfinished at stop | server CPU | mock CPU | load CPU | softirq | server RSS start → peak |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in chat_runs:
        L = r["load"] or {}
        chat = L.get("chat", {})
        sp = L.get("server_process") or {}
        rss = "–" if not sp else f"{sp.get('rss_start_kib', 0) / 1024:,.1f} → {sp.get('rss_peak_kib', 0) / 1024:,.1f} MiB"
        rows.append(
            f"| {r['params'].get('connections'):,} | {r['params'].get('repeat', 1)} | {_num(L.get('total_s'), 1)} | {_num(r['params'].get('ramp_per_s'))} | "
            f"{_ms(_lat(L, 'welcome', 'p50'))} / {_ms(_lat(L, 'welcome', 'p99'))} | "
            f"{_ms(_lat(L, 'first_chunk', 'p50'))} / {_ms(_lat(L, 'first_chunk', 'p99'))} | "
            f"{_ms(_lat(L, 'chunk_gap', 'p50'))} / {_ms(_lat(L, 'chunk_gap', 'p99'))} | {_ms(_lat(L, 'complete', 'p50'))} | "
            f"{_num(chat.get('requests'))} | {_num(chat.get('replies'))} | {_num(chat.get('reply_errors'))} | "
            f"{_num(chat.get('in_flight_at_stop'))} | {_cpu(r, 'server_pid')} | {_cpu(r, 'mock_pid')} | {_load_cpu(r)} | "
            f"{_pct((r.get('cpu') or {}).get('softirq_pct'))} | {rss} |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------------------------
# Part 7: slow readers (brandchat-load --scenario slow)

SLOW_HEADING = "## 7. Slow readers"
SLOW_FLAT_PCT = 10  # growth within this share of the read rate counts as flat


def slow_mark_step(duration_s):
    """Seconds between the per-client columns: about six of them over the run (pure)."""
    return max(1, round((duration_s or 0) / 6))


def per_client_near(samples, t_s, tolerance_s=1.5):
    """The per-client RSS figure (KiB) of the sample nearest t_s that has clients open, or None
    when none is within tolerance_s (pure). Ties go to the later sample."""
    best = None
    for s in samples:
        if s.get("per_client_kib") is None:
            continue
        d = abs(s["t_s"] - t_s)
        if d <= tolerance_s and (best is None or d <= best[0]):
            best = (d, s["per_client_kib"])
    return None if best is None else best[1]


def slow_figures(load, params):
    """A slow run's figures from its load report (pure): the server's RSS per slow client (KiB)
    at each mark, its growth (least-squares slope over the run's second half, KiB/s) and that
    growth as a share of what each client read per second, what they read against the pace."""
    s = (load or {}).get("slow") or {}
    samples = s.get("rss_samples") or []
    duration = params.get("duration_s") or (samples[-1]["t_s"] if samples else 0)
    step = slow_mark_step(duration)
    marks = [step * k for k in range(1, int(duration / step + 1e-9) + 1)]
    read = s.get("bytes_read_per_client_per_s")
    pace = s.get("pace_bytes_per_s")
    slope = s.get("slope_kib_per_s")
    read_kib_s = None if read is None else read / 1024.0
    return {
        "marks": [(t, per_client_near(samples, t)) for t in marks],
        "slope_kib_per_s": slope,
        "slope_from_s": s.get("slope_from_s"),
        "slope_to_s": s.get("slope_to_s"),
        "read_per_client_kib_per_s": read_kib_s,
        "pace_kib_per_s": None if pace is None else pace / 1024.0,
        "read_of_pace_pct": 100.0 * read / pace if read is not None and pace else None,
        "growth_of_read_pct": 100.0 * slope / read_kib_s if slope is not None and read_kib_s else None,
        "verdict": None if slope is None or not read_kib_s else
                   "flat" if abs(100.0 * slope / read_kib_s) <= SLOW_FLAT_PCT else "grows",
        "per_client_stop_kib": s.get("per_client_stop_kib"),
        "rss_start_kib": s.get("rss_start_kib"),
        "rss_stop_kib": s.get("rss_stop_kib"),
        "open_at_stop": samples[-1]["open"] if samples else None,
        "requests": s.get("requests"), "replies": s.get("replies"), "reply_errors": s.get("reply_errors"),
    }


def _signed(v, decimals=1):
    return "–" if v is None else f"{v:+,.{decimals}f}"


def slow_section(slow_runs, meta, standalone=False):
    """The report's part 7 as Markdown lines (pure): one row per slow run with the server's RSS
    per slow client over time, then the samples every few seconds, then how it was run. With
    `standalone` (tools/bench --only slow) it says when, on which binary, it was run, since the
    rest of the report comes from another run."""
    lines = [SLOW_HEADING, ""]
    w = lines.append
    if not slow_runs:
        w("Not run.")
        w("")
        return lines
    p0 = slow_runs[0]["params"]
    limit = p0.get("outbox_limit_bytes")
    pace_kib = (p0.get("read_bytes") or 0) * 1000.0 / (p0.get("read_interval_ms") or 1) / 1024.0
    if standalone:
        machine = meta.get("machine", {})
        w(f"Run alone (`tools/bench{' --quick' if meta.get('mode') == 'quick' else ''} --only slow`) on {machine.get('date', '?')}, "
          f"{machine.get('nproc', '?')} cores, load average {' '.join(machine.get('loadavg', []))} at the start; "
          f"server `{meta.get('server_version', '?')}`, binary sha256 `{meta.get('server_sha256', '?')[:16]}`…"
          + (f" ({meta['code']}" + ("" if meta.get("server_source") in (None, "", "build/brandchat")
                                              else f", server binary `{meta['server_source']}`") + ")" if meta.get("code") else "")
          + "; the other parts of this report come from the run named at the top.")
        w("")
    w(f"`brandchat-load --scenario slow`: each client sends one chat message and reads the reply from its TCP "
      f"socket at most {p0.get('read_bytes', 0):,} bytes per {p0.get('read_interval_ms')} ms ({pace_kib:,.0f} KiB/s), below the "
      "WebSocket layer, so its kernel receive window fills and the server has to hold the rest. The mock streams "
      f"{p0.get('tokens', 0):,} tokens of {p0.get('token_bytes', 0):,} bytes with no delay (a reply longer than the run can "
      f"read), and the server runs with its default `--outbox-limit-bytes` ({_num(limit)}) and `--max-tokens "
      f"{_num(p0.get('max_tokens'))}` so that the reply is not cut. The server's RSS is sampled before the first "
      "connection and every second; **per slow client** = (RSS − that first sample) / clients connected: everything "
      "the server holds for one, its outbox (at most the limit), its socket's batch and whatever else a streaming "
      "reply keeps. Memory "
      "bounded per client shows as a flat row near the limit (256 KiB plus a fixed cost per connection); a server "
      "that keeps what it has sent grows by about what each client reads, so **growth** (the least-squares slope "
      "over the run's second half) is also given as a share of the read rate: 0 % is flat, 100 % is one byte kept "
      f"per byte read; within ±{SLOW_FLAT_PCT} % the row is called **flat**.")
    w("")
    wmem = str(p0.get("tcp_wmem") or "").split()
    kernel = (f" Here the kernel lets a socket's send buffer grow to {int(wmem[2]) / 1048576:,.1f} MiB (`net.ipv4.tcp_wmem` "
              f"{' '.join(wmem)}), and a slow reader's fills: the server has written that much more of the reply than "
              "the client has read." if len(wmem) == 3 and wmem[2].isdigit() else "")
    w("RSS is the server process's resident memory only: what the kernel holds in the sockets' buffers is not in it, "
      f"though the server has produced it.{kernel}")
    w("")
    figs = [(r, slow_figures(r["load"], r["params"])) for r in slow_runs]
    marks = [t for t, _ in figs[0][1]["marks"]]
    head = " | ".join(f"{t:g} s" for t in marks)
    w(f"| clients | run (s) | read per client | per slow client (KiB) at {head} | growth (KiB/s per client) | growth / read rate | "
      "verdict | server RSS before → at stop | replies / errors | server CPU | other CPU |")
    w("| ---: | ---: | ---: | " + " | ".join("---:" for _ in marks) + " | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for r, f in figs:
        L = r["load"] or {}
        by_t = dict(f["marks"])
        cells = " | ".join(_num(by_t.get(t), 0) for t in marks)
        read = (f"{_num(f['read_per_client_kib_per_s'], 1)} KiB/s ({_num(f['read_of_pace_pct'], 0)} % of the pace)"
                if f["read_per_client_kib_per_s"] is not None else "–")
        rss = (f"{_kib(f['rss_start_kib'])} → {_kib(f['rss_stop_kib'])}" if f["rss_start_kib"] is not None else "–")
        w(f"| {r['params'].get('connections', 0):,} | {_num(L.get('elapsed_s'), 1)} | {read} | {cells} | "
          f"**{_signed(f['slope_kib_per_s'], 2)}** | {_num(f['growth_of_read_pct'], 0)} % | {f['verdict'] or '–'} | {rss} | "
          f"{_num(f['replies'])} / {_num(f['reply_errors'])} | {_cpu(r, 'server_pid')} | {_pct(other_cpu(r))} |")
    w("")
    # the samples every few seconds, one pair of columns per run
    step = max(1, slow_mark_step(p0.get("duration_s")) // 2)
    duration = p0.get("duration_s") or 0
    times = [0] + [step * k for k in range(1, int(duration / step + 1e-9) + 1)]
    w(f"Every {step} s (the sample nearest; per slow client / read by each client so far, KiB):")
    w("")
    w("| t (s) | " + " | ".join(f"{r['params'].get('connections', 0):,} clients: RSS | per client | read" for r, _ in figs) + " |")
    w("| ---: | " + " | ".join("---: | ---: | ---:" for _ in figs) + " |")
    for t in times:
        cells = []
        for r, _ in figs:
            samples = ((r["load"] or {}).get("slow") or {}).get("rss_samples") or []
            near = min(samples, key=lambda s: abs(s["t_s"] - t), default=None)
            if near is None or abs(near["t_s"] - t) > 1.5:
                cells.append("– | – | –")
                continue
            read = near["bytes_read"] / 1024.0 / near["open"] if near.get("open") else None
            cells.append(f"{near['rss_kib'] / 1024:,.1f} MiB | {_num(near.get('per_client_kib'), 0)} | {_num(read, 0)}")
        w(f"| {t:g} | " + " | ".join(cells) + " |")
    w("")
    bad = [f"{r['name']}: the server {r.get('server_state', 'unknown')}" for r in slow_runs if r.get("server_state") != "alive"]
    counts, _, _ = server_log_summary([r["dir"] for r in slow_runs if r.get("dir")])
    dropped = sum(((r["load"] or {}).get("connections") or {}).get("dropped") or 0 for r in slow_runs)
    failed = sum(((r["load"] or {}).get("connections") or {}).get("failed") or 0 for r in slow_runs)
    w(("; ".join(bad) if bad else "The server was alive at the end of every run") +
      f"; its log had {counts.get('warn', 0)} warnings and {counts.get('error', 0)} errors; connections failed "
      f"{failed}, dropped {dropped}.")
    w("")
    w("How it was run (ports and pids picked at run time):")
    w("")
    w("```sh")
    for r in slow_runs:
        w(f"# {r['name']}")
        for c in r["cmd"].splitlines():
            w(c)
    w("```")
    w("")
    return lines


SERVER_HEADING = "## Server behaviour during the runs"


def splice_section(markdown, section_lines, heading=SLOW_HEADING, before=SERVER_HEADING):
    """The report with its `heading` section (up to the next '## ' heading) replaced by
    section_lines; without one, the section goes before the `before` heading (or the first of
    several that the report has), or at the end (pure)."""
    lines = markdown.split("\n") if markdown else []
    section = list(section_lines)
    if section and section[-1] != "":
        section.append("")
    start = next((i for i, l in enumerate(lines) if l == heading), None)
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        return "\n".join(lines[:start] + section + lines[end:])
    befores = (before,) if isinstance(before, str) else tuple(before)
    at = next((lines.index(b) for b in befores if b in lines), None)
    if at is not None:
        return "\n".join(lines[:at] + section + lines[at:])
    if lines and lines[-1] != "":
        lines.append("")
    return "\n".join(lines + section)


def load_runs(results_dir):
    """Every run folder under RESULTS/runs, by name."""
    return {os.path.basename(d): load_run(d) for d in sorted(glob.glob(os.path.join(results_dir, "runs", "*"))) if os.path.isdir(d)}


def slow_runs_of(runs):
    return sorted((r for r in runs.values() if r["params"].get("part") == "slow"),
                  key=lambda r: (r["params"].get("connections", 0), r["params"].get("order", 0)))


def write_slow_part(results_dir, md_path):
    """tools/bench --only slow: part 7 from RESULTS into the report at md_path, the rest of it kept
    (a report that does not exist yet gets a title and the part)."""
    meta = _load(os.path.join(results_dir, "meta.json"), {})
    meta["machine"] = _load(os.path.join(results_dir, "machine.json"), {})
    section = slow_section(slow_runs_of(load_runs(results_dir)), meta, standalone=True)
    existing = _read(md_path, "") or "# brandchat benchmarks\n"
    with open(md_path, "w") as f:
        f.write(splice_section(existing, section, before=PART_AFTER[SLOW_HEADING]))


# ----------------------------------------------------------------------------------------------
# Part 8: persistence (tools/bench --only store): the same load on --database :memory: and FILE

STORE_HEADING = "## 8. Persistence"
STORE_THROUGHPUT_RATIO = 0.90  # file / memory replies per second, at least
STORE_TTFC_P50_MS = 0.1        # file − memory server-added time to first chunk p50, at most


def within(value, limit):
    """'met' when value <= limit; 'not measured' for None (pure)."""
    return "not measured" if value is None else "met" if value <= limit else "missed"


def store_figures(run):
    """One part-8 run's figures (pure): replies/s, the server's CPU per reply (µs, from its
    /proc/PID/stat ticks over the load), the server-added time to first chunk and chunk gap (µs)
    and, for a file, the store's counters from /health at the end and the file's size."""
    params, load = run["params"], run.get("load") or {}
    chat = load.get("chat") or {}
    cpu = run.get("cpu") or {}
    replies = chat.get("replies")
    server_pct = cpu.get(str(params.get("server_pid")))
    store = (run.get("health") or {}).get("store") or {}
    written, commits = store.get("exchanges_written"), store.get("commits")
    mock = run.get("mock_stats") or {}
    total_s = load.get("total_s") or 0
    return {
        "pair": params.get("pair"), "database": params.get("database"), "stage": params.get("stage"),
        "replies": replies, "replies_per_s": chat.get("replies_per_s"), "reply_errors": chat.get("reply_errors"),
        "upstream_tokens_per_s": mock.get("completed", 0) * params["tokens"] / total_s
                                 if mock and params.get("tokens") and total_s > 0 else None,
        "server_cpu_pct": server_pct,
        "cpu_per_reply_us": 1e6 * server_pct / 100.0 * cpu["seconds"] / replies
                            if server_pct is not None and replies and cpu.get("seconds") else None,
        "ttfc_p50": _lat(load, "first_chunk_server_added", "p50"), "ttfc_p99": _lat(load, "first_chunk_server_added", "p99"),
        "gap_p50": _lat(load, "chunk_gap_server_added", "p50"), "gap_p99": _lat(load, "chunk_gap_server_added", "p99"),
        "exchanges_written": written, "commits": commits, "write_errors": store.get("write_errors"),
        "mean_batch": written / commits if written is not None and commits else None,
        "db_bytes": (run.get("extra") or {}).get("db_bytes") if params.get("database") == "file" else None,
        "other_cpu_pct": other_cpu(run),
    }


def store_summary(figures):
    """Medians per stage and database, and the verdicts (pure): the throughput ratio file/memory
    of the saturation runs' replies/s, and the file − memory difference of the server-added time
    to first chunk p50 (ms) in each stage."""
    def med(stage, database, key):
        values = [f[key] for f in figures if f["stage"] == stage and f["database"] == database and f[key] is not None]
        return _median(values) if values else None

    out = {}
    for stage in ("saturation", "paced"):
        for database in ("memory", "file"):
            out[(stage, database)] = {key: med(stage, database, key) for key in
                                      ("replies_per_s", "upstream_tokens_per_s", "cpu_per_reply_us", "ttfc_p50", "ttfc_p99",
                                       "gap_p50", "gap_p99", "mean_batch")}
    mem, fil = out[("saturation", "memory")], out[("saturation", "file")]
    ratio = fil["replies_per_s"] / mem["replies_per_s"] if fil["replies_per_s"] and mem["replies_per_s"] else None
    out["throughput_ratio"] = ratio
    out["throughput_verdict"] = verdict(ratio, STORE_THROUGHPUT_RATIO, below=False)
    for stage in ("saturation", "paced"):
        a, b = out[(stage, "memory")]["ttfc_p50"], out[(stage, "file")]["ttfc_p50"]
        diff = None if a is None or b is None else (b - a) / 1000.0
        out[f"ttfc_diff_ms_{stage}"] = diff
        out[f"ttfc_verdict_{stage}"] = within(diff, STORE_TTFC_P50_MS)
    return out


def _signed_ms(v):
    return "–" if v is None else f"{v:+.3f}"


def _standalone_note(meta, only):
    """The line a part run alone begins with: when, on what, and that the rest of the report is another run's (pure)."""
    machine = meta.get("machine", {})
    return (f"Run alone (`tools/bench{' --quick' if meta.get('mode') == 'quick' else ''} --only {only}`) on {machine.get('date', '?')}, "
            f"{machine.get('nproc', '?')} cores, load average {' '.join(machine.get('loadavg', []))} at the start; "
            f"server `{meta.get('server_version', '?')}`, binary sha256 `{meta.get('server_sha256', '?')[:16]}`…"
            + (f" ({meta['code']}" + ("" if meta.get("server_source") in (None, "", "build/brandchat")
                                      else f", server binary `{meta['server_source']}`") + ")" if meta.get("code") else "")
            + "; the other parts of this report come from the run named at the top.")


def _commands(lines, runs):
    lines.append("```sh")
    for r in runs:
        lines.append(f"# {r['name']}")
        lines.extend(r["cmd"].splitlines())
    lines.append("```")
    lines.append("")


def store_section(store_runs, meta, standalone=False):
    """The report's part 8 as Markdown lines (pure)."""
    lines = [STORE_HEADING, ""]
    w = lines.append
    if not store_runs:
        w("Not run.")
        w("")
        return lines
    if standalone:
        w(_standalone_note(meta, "store"))
        w("")
    if meta.get("mode") == "quick":
        w("*Quick mode: one pair of short runs, so these verdicts are only indicative; `tools/bench --only store` "
          "(three pairs or more) is the measurement.*")
        w("")
    figs = [store_figures(r) for r in store_runs]
    sat = [(r, f) for r, f in zip(store_runs, figs) if f["stage"] == "saturation"]
    paced = [(r, f) for r, f in zip(store_runs, figs) if f["stage"] == "paced"]
    pairs = max((f["pair"] or 0) for f in figs)
    s = store_summary(figs)
    p_sat = sat[0][0]["params"] if sat else {}
    p_paced = paced[0][0]["params"] if paced else {}
    w(f"What keeping the conversations costs. Each row is a fresh mock and a fresh server, run with `--database :memory:` "
      "(**memory**: nothing kept) or `--database FILE` (**file**: a new SQLite file in the run's folder, which "
      "imports the bundled brands at start); every finished exchange is written, one transaction per turn of the "
      "event loop, before its `complete` is sent. The two alternate, memory first, "
      f"{pairs} pair{'s' if pairs != 1 else ''} of each stage, so that a machine that gets busier or quieter "
      "during the part moves both alike. The model is the mock, as in parts 1–3, so that these figures read beside "
      "theirs (the built-in responder would add its catalog answer to every reply).")
    w("")
    if sat:
        w(f"**Saturation** (part 3's workload): the mock streams {p_sat.get('tokens')} tokens per answer with no delay, "
          f"{p_sat.get('connections', 0):,} clients send back to back for {p_sat.get('duration_s')} s. **Replies/s** are "
          "the `complete` frames the clients received; **CPU per reply** = the server's user + system time "
          "(`/proc/PID/stat`) over the run / replies. The server-added time to first chunk is the load tool's "
          "(`--expect-first-token-ms 0`, so all of the time to first chunk): here it is mostly the time a chat "
          "message waits behind everybody else's work in the saturated loop. The store's counters come from "
          "`GET /health` at the end of each run (with `:memory:` the same store writes to an in-memory "
          "database); **batch** = exchanges written / commits.")
        w("")
        w("| pair | database | run (s) | replies/s | upstream tokens/s | reply errors | server CPU | CPU per reply | "
          "TTFC p50 | TTFC p99 | exchanges written | commits | batch | write errors | file size | other CPU |")
        w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r, f in sat:
            L = r.get("load") or {}
            w(f"| {f['pair']} | {f['database']} | {_num(L.get('total_s'), 1)} | {_num(f['replies_per_s'])} | "
              f"{_num(f['upstream_tokens_per_s'])} | {_num(f['reply_errors'])} | {_pct(f['server_cpu_pct'])} | "
              f"{_num(f['cpu_per_reply_us'], 0)} µs | {_ms(f['ttfc_p50'])} ms | {_ms(f['ttfc_p99'])} ms | "
              f"{_num(f['exchanges_written'])} | {_num(f['commits'])} | {_num(f['mean_batch'], 1)} | {_num(f['write_errors'])} | "
              f"{_mib(f['db_bytes'])} | {_pct(f['other_cpu_pct'])} |")
        w("")
        m, fl = s[("saturation", "memory")], s[("saturation", "file")]
        w(f"Medians: memory {_num(m['replies_per_s'])} replies/s, {_num(m['cpu_per_reply_us'], 0)} µs of server CPU per "
          f"reply, TTFC p50 {_ms(m['ttfc_p50'])} / p99 {_ms(m['ttfc_p99'])} ms; file {_num(fl['replies_per_s'])} replies/s, "
          f"{_num(fl['cpu_per_reply_us'], 0)} µs per reply, TTFC p50 {_ms(fl['ttfc_p50'])} / p99 {_ms(fl['ttfc_p99'])} ms, "
          f"{_num(fl['mean_batch'], 1)} exchanges per commit.")
        w("")
    if paced:
        w(f"**Paced** (part 1–2's lowest level): {p_paced.get('connections', 0):,} conversations streaming at "
          f"{p_paced.get('token_delay_ms')} ms per token (first token {p_paced.get('token_delay_ms')} ms after the headers), "
          f"{p_paced.get('tokens')} tokens each, started at random at {_num(p_paced.get('ramp_per_s'))}/s, "
          f"{p_paced.get('duration_s')} s; server-added = measured − D, as in parts 1–2. The loop is not saturated "
          "here, so the time to first chunk is the server's own work on a message (and the machine's wake-ups), and "
          "a commit shows up in it only when it lands between a message and its first chunk.")
        w("")
        w("| pair | database | replies | TTFC − D p50 | p90 | p99 | gap − D p50 | p99 | server CPU | CPU per reply | "
          "exchanges written | commits | batch | write errors | other CPU |")
        w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r, f in paced:
            L = r.get("load") or {}
            w(f"| {f['pair']} | {f['database']} | {_num(f['replies'])} | {_ms(f['ttfc_p50'])} | "
              f"{_ms(_lat(L, 'first_chunk_server_added', 'p90'))} | {_ms(f['ttfc_p99'])} | {_ms(f['gap_p50'])} | {_ms(f['gap_p99'])} | "
              f"{_pct(f['server_cpu_pct'])} | {_num(f['cpu_per_reply_us'], 0)} µs | {_num(f['exchanges_written'])} | "
              f"{_num(f['commits'])} | {_num(f['mean_batch'], 1)} | {_num(f['write_errors'])} | {_pct(f['other_cpu_pct'])} |")
        w("")
    w("| target | memory | file | measured | |")
    w("| --- | ---: | ---: | ---: | --- |")
    m, fl = s[("saturation", "memory")], s[("saturation", "file")]
    w(f"| saturation throughput, file / memory ≥ {STORE_THROUGHPUT_RATIO:.2f} (median replies/s) | {_num(m['replies_per_s'])} | "
      f"{_num(fl['replies_per_s'])} | {_num(s['throughput_ratio'], 3)} | **{s['throughput_verdict']}** |")
    for stage, label in (("paced", f"{p_paced.get('connections', 0):,} conversations at {p_paced.get('token_delay_ms')} ms per token"),
                         ("saturation", "at saturation")):
        if not (paced if stage == "paced" else sat):
            continue
        a, b = s[(stage, "memory")]["ttfc_p50"], s[(stage, "file")]["ttfc_p50"]
        w(f"| server-added time to first chunk p50, file − memory ≤ {STORE_TTFC_P50_MS} ms, {label} (median of the runs' p50) | "
          f"{_ms(a)} ms | {_ms(b)} ms | {_signed_ms(s[f'ttfc_diff_ms_{stage}'])} ms | **{s[f'ttfc_verdict_{stage}']}** |")
    w("")
    errors = sum(f["write_errors"] or 0 for f in figs)
    short = [f for f in figs if f["database"] == "file" and f["exchanges_written"] is not None and f["replies"]
             and f["exchanges_written"] < f["replies"]]
    bad = [f"{r['name']}: the server {r.get('server_state', 'unknown')}" for r in store_runs if r.get("server_state") != "alive"]
    counts, _, _ = server_log_summary([r["dir"] for r in store_runs if r.get("dir")])
    w(("; ".join(bad) if bad else "The server was alive at the end of every run")
      + f"; its log had {counts.get('warn', 0)} warnings and {counts.get('error', 0)} errors"
      + f"; the store counted {errors} write errors"
      + (f"; in {', '.join(str(f['pair']) + ' ' + f['stage'] for f in short)} it wrote fewer exchanges than the clients got replies"
         if short else "; every file run wrote at least as many exchanges as its clients got replies")
      + " (a reply still streaming at the stop is written when it ends).")
    w("")
    w("How it was run (ports and pids picked at run time):")
    w("")
    _commands(lines, store_runs)
    return lines


def _mib(v):
    return "–" if v is None else f"{v / 1048576:,.1f} MiB"


def store_runs_of(runs):
    return sorted((r for r in runs.values() if r["params"].get("part") == "store"),
                  key=lambda r: r["params"].get("order", 0))


# ----------------------------------------------------------------------------------------------
# Part 9: a large catalog (tools/bench --only catalog): start-up, RSS, a chat's round trip

CATALOG_HEADING = "## 9. A large catalog"
CATALOG_STARTUP_MS = 3000.0   # start-up on the file after the first import, under
CATALOG_RSS_KIB = 300e6 / 1024  # server RSS under 300 MB (292,969 KiB)
CATALOG_RTT_RATIO = 2.0       # the big brand's median round trip / the bundled one's, at most
CATALOG_MESSAGES = ["I need a gaming laptop", "monitor 27 inch 4K", "cheapest phone", "laptop under 10 juta", "What's the price?"]


class WebSocketClient:
    """Just enough of a WebSocket client for the benchmark (standard library): masked text frames
    out; text frames in, pings answered."""

    def __init__(self, port, path, timeout_s=60.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"upgrade refused: {head[:60]!r}")

    def _more(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, obj):
        self._send_frame(0x1, json.dumps(obj).encode())

    def receive(self):
        """The next text message, parsed."""
        message = b""
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8))[0]
            payload = self._take(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("close frame")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if b0 & 0x80:
                    return json.loads(message)

    def close(self):
        try:
            self._send_frame(0x8, struct.pack(">H", 1000))
            self.sock.close()
        except OSError:
            pass


def one_chat(ws, message, conversation_id):
    """Sends one chat message and reads its reply: (record, conversation id). Times are ms from
    just before the frame is written to the first chunk and to the `complete` (or `error`)."""
    data = {"message": message, "conversation_id": conversation_id, "user_id": "bench", "voice": False}
    t0 = time.perf_counter()
    ws.send({"type": "chat", "data": data})
    first, chunks = None, 0
    while True:
        frame = ws.receive()
        kind, body = frame.get("type"), frame.get("data") or {}
        if kind == "chunk":
            chunks += 1
            if first is None:
                first = (time.perf_counter() - t0) * 1000.0
        elif kind in ("complete", "error"):
            ms = (time.perf_counter() - t0) * 1000.0
            record = {"message": message, "ms": ms, "first_chunk_ms": first, "chunks": chunks,
                      "products": len(body.get("suggested_products") or []) if kind == "complete" else None,
                      "error": body.get("message") if kind == "error" else None}
            return record, body.get("conversation_id", conversation_id)


def chat_round_trips(port, brands, messages, chats, warmup=0, max_seconds=None):
    """One client per brand, one chat at a time: the brands take turns (which one goes first
    alternates), each going through `messages` in order in one conversation and starting a new
    one when they run out. The first `warmup` chats of each brand are not kept."""
    clients = {}
    for brand in brands:
        clients[brand] = WebSocketClient(port, f"/ws/chat/{brand}")
        clients[brand].receive()  # the welcome
    conversation = {brand: None for brand in brands}
    kept, start, stopped_early = [], time.monotonic(), False
    for i in range(warmup + chats):
        message = messages[i % len(messages)]
        if i % len(messages) == 0:
            conversation = {brand: None for brand in brands}
        for brand in (brands if i % 2 == 0 else list(reversed(brands))):
            record, conversation[brand] = one_chat(clients[brand], message, conversation[brand])
            if i >= warmup:
                kept.append(dict(record, brand=brand))
        if max_seconds and time.monotonic() - start > max_seconds:
            stopped_early = i + 1 < warmup + chats
            break
    for ws in clients.values():
        ws.close()
    return {"brands": list(brands), "messages": list(messages), "chats_per_brand": chats, "warmup": warmup,
            "stopped_early": stopped_early, "elapsed_s": time.monotonic() - start, "chats": kept}


def round_trip_summary(chats, brands):
    """Per brand (pure): chats, errors, round trip median / p90 / p99 / max and first chunk median
    (ms), products per reply; and per brand and message the median round trip."""
    out = {}
    for brand in brands:
        mine = [c for c in chats if c["brand"] == brand]
        ok = [c for c in mine if c["error"] is None]
        ms = [c["ms"] for c in ok]
        first = [c["first_chunk_ms"] for c in ok if c["first_chunk_ms"] is not None]
        per_message = {}
        for c in ok:
            per_message.setdefault(c["message"], []).append(c["ms"])
        out[brand] = {"chats": len(mine), "errors": len(mine) - len(ok),
                      "median_ms": _median(ms) if ms else None, "p90_ms": percentile(ms, 90), "p99_ms": percentile(ms, 99),
                      "max_ms": max(ms) if ms else None, "first_chunk_median_ms": _median(first) if first else None,
                      "products_mean": sum(c["products"] for c in ok) / len(ok) if ok else None,
                      "by_message": {m: _median(v) for m, v in per_message.items()}}
    return out


def catalog_figures(run):
    """Part 9's figures from its run folder's raw files (pure on what load_run read, plus the
    extra files: startup-import.json, startup-reopen.json, chats.json)."""
    x = run.get("extra") or {}
    first = x.get("startup_import") or {}
    reopen = x.get("startup_reopen") or {}
    chats = x.get("chats") or {}
    brands = chats.get("brands") or []
    rtt = round_trip_summary(chats.get("chats") or [], brands)
    big, small = x.get("big_brand"), x.get("small_brand")
    a, b = (rtt.get(small) or {}).get("median_ms"), (rtt.get(big) or {}).get("median_ms")
    ratio = b / a if a and b is not None else None
    reopen_rss = [r["rss_kib"] for r in reopen.get("runs", []) if r.get("rss_kib")]
    rss_max = max([v for v in (x.get("rss_after_start_kib"), x.get("rss_after_chats_kib"), x.get("hwm_kib")) if v] or [0]) or None
    return {"first": first, "reopen": reopen, "rtt": rtt, "ratio": ratio, "brands": brands,
            "first_ms": ((first.get("runs") or [{}])[0]).get("ms"),
            "reopen_rss_median_kib": _median(reopen_rss) if reopen_rss else None,
            "rss_judged_kib": rss_max,
            "startup_verdict": verdict(reopen.get("median_ms"), CATALOG_STARTUP_MS),
            "rss_verdict": verdict(rss_max, CATALOG_RSS_KIB),
            "rtt_verdict": within(ratio, CATALOG_RTT_RATIO),
            "stopped_early": chats.get("stopped_early"), "chats_per_brand": chats.get("chats_per_brand"),
            "elapsed_s": chats.get("elapsed_s")}


def catalog_section(catalog_run, meta, standalone=False):
    """The report's part 9 as Markdown lines (pure)."""
    lines = [CATALOG_HEADING, ""]
    w = lines.append
    if not catalog_run:
        w("Not run.")
        w("")
        return lines
    if standalone:
        w(_standalone_note(meta, "catalog"))
        w("")
    p, x = catalog_run["params"], catalog_run.get("extra") or {}
    f = catalog_figures(catalog_run)
    big, small = x.get("big_brand", "bigshop"), x.get("small_brand", "techpro")
    n = p.get("products", 0)
    if meta.get("mode") == "quick":
        w(f"*Quick mode: a brand of {n:,} products, not 100,000, and fewer chats, so these verdicts are only "
          "indicative; `tools/bench --only catalog` is the measurement.*")
        w("")
    w(f"`tools/load/make_catalog.py --products {n} --brand-id {big}` generated a brand of {n:,} products from the "
      f"bundled {small} catalog (names with a series word and a model number appended, prices scaled by 0.55–1.8, "
      f"unique ids, about one in eight out of stock; the same seed gives the same file, sha256 "
      f"`{str(x.get('catalog_sha256', '?')).removeprefix('sha256 ')[:16]}`…): {_mib(x.get('catalog_bytes'))} of JSON, written in "
      f"{_num(x.get('generate_s'), 1)} s, into a folder with a copy of `resources/brands/{small}.json`. The server runs "
      "with the built-in responder (no model configured) and `--word-delay-ms 0`, on a new database file.")
    w("")
    first, reopen = f["first"], f["reopen"]
    fr = (first.get("runs") or [{}])[0]
    reopen_ms = [r["ms"] for r in reopen.get("runs", [])]
    w("**Start-up**: from just before `exec` to the first `GET /health` answered 200 (polled every 0.5 ms), "
      "with the server's `VmRSS` and `VmHWM` (its peak) read at that moment. The first start imports the folder "
      "(`--import-brands`) into the empty file; the later ones open the same file without it.")
    w("")
    w("| start | runs | median | min | max | all runs (ms) | RSS at /health | peak RSS by then |")
    w("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    w(f"| first, `--import-brands` ({n:,} + the bundled brand's products) | 1 | **{_num(f['first_ms'], 0)} ms** | – | – | "
      f"{'did not answer within ' + _num(first.get('timeout_s'), 0) + ' s' if first and f['first_ms'] is None else '–'} | "
      f"{_kib(fr.get('rss_kib'))} | {_kib(fr.get('hwm_kib'))} |")
    rs = reopen.get("runs") or []
    hwm = [r["hwm_kib"] for r in rs if r.get("hwm_kib")]
    w(f"| again on the file | {len(rs)} | **{_num(reopen.get('median_ms'), 0)} ms** | {_num(reopen.get('min_ms'), 0)} ms | "
      f"{_num(reopen.get('max_ms'), 0)} ms | {', '.join(_num(v, 0) for v in reopen_ms)} | {_kib(f['reopen_rss_median_kib'])} (median) | "
      f"{_kib(max(hwm) if hwm else None)} (highest) |")
    w("")
    w(f"**Memory**: one more start on the file, then the chats below: server `VmRSS` 1 s after `/health` answered "
      f"{_kib(x.get('rss_after_start_kib'))}, after the chats {_kib(x.get('rss_after_chats_kib'))}, peak (`VmHWM`) "
      f"{_kib(x.get('hwm_kib'))}; the database file {_mib(x.get('db_bytes'))}.")
    w("")
    rtt = f["rtt"]
    messages = (x.get("chats") or {}).get("messages") or []
    w(f"**A chat's round trip**: one client per brand, one chat at a time, the two brands taking turns, from writing "
      "the `chat` frame to reading `complete` (a small Python client, `bench_lib.py chat-rtt`). Each brand goes "
      f"through the same {len(messages)} messages in order in one conversation, then starts a new one: "
      + ", ".join(f"“{m}”" for m in messages)
      + f". {_num(f['chats_per_brand'])} chats per brand after {_num((x.get('chats') or {}).get('warmup'))} not counted"
      + (f"; **stopped early** at the time limit after {_num(f['elapsed_s'], 0)} s" if f["stopped_early"] else
         f", {_num(f['elapsed_s'], 1)} s in all") + ".")
    w("")
    w("| brand | products | chats | errors | median | p90 | p99 | max | first chunk median | products per reply |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for brand in f["brands"]:
        r = rtt[brand]
        count = n if brand == big else x.get("small_products")
        w(f"| {brand} | {_num(count)} | {r['chats']} | {r['errors']} | **{_num(r['median_ms'], 2)} ms** | {_num(r['p90_ms'], 2)} ms | "
          f"{_num(r['p99_ms'], 2)} ms | {_num(r['max_ms'], 2)} ms | {_num(r['first_chunk_median_ms'], 2)} ms | {_num(r['products_mean'], 1)} |")
    w("")
    w(f"During the chats the server used {_cpu(catalog_run, 'server_pid')} of a core, and all other processes "
      f"(this client among them) {_pct(other_cpu(catalog_run))}.")
    w("")
    if messages and f["brands"]:
        w("Median round trip by message (ms):")
        w("")
        w("| message | " + " | ".join(f["brands"]) + " |")
        w("| --- | " + " | ".join("---:" for _ in f["brands"]) + " |")
        for m in messages:
            w(f"| {m} | " + " | ".join(_num(rtt[b]["by_message"].get(m), 2) for b in f["brands"]) + " |")
        w("")
    a, b = (rtt.get(small) or {}).get("median_ms"), (rtt.get(big) or {}).get("median_ms")
    w("| target | measured | |")
    w("| --- | --- | --- |")
    w(f"| start-up after the first import < {CATALOG_STARTUP_MS / 1000:g} s | median {_num(reopen.get('median_ms'), 0)} ms "
      f"(first start, importing: {_num(f['first_ms'], 0)} ms) | **{f['startup_verdict']}** |")
    w(f"| server RSS < 300 MB ({CATALOG_RSS_KIB:,.0f} KiB) | {_kib(f['rss_judged_kib'])}: the highest of after start, after the chats "
      f"and the peak of the server that chatted (the importing start peaked at {_kib(fr.get('hwm_kib'))}) | **{f['rss_verdict']}** |")
    w(f"| {big} median round trip ≤ {CATALOG_RTT_RATIO:g} × {small}'s | {_num(b, 2)} ms / {_num(a, 2)} ms = "
      f"{_num(f['ratio'], 2)} × | **{f['rtt_verdict']}** |")
    w("")
    state = catalog_run.get("server_state", "unknown")
    counts, _, _ = server_log_summary([catalog_run["dir"]] if catalog_run.get("dir") else [],
                                      names=("server-import.log", "server-reopen.log", "server.log"))
    w(("The server was alive at the end of the chats" if state == "alive" else f"The server {state}")
      + f"; the logs of its starts had {counts.get('warn', 0)} warnings and {counts.get('error', 0)} errors.")
    w("")
    w("How it was run (ports and pids picked at run time; `$RUN` = the run's folder):")
    w("")
    _commands(lines, [catalog_run])
    return lines


def catalog_run_of(runs):
    return next((r for r in runs.values() if r["params"].get("part") == "catalog"), None)


# where a part run alone goes in a report that does not have it yet: before the first of these
PART_AFTER = {SLOW_HEADING: (STORE_HEADING, CATALOG_HEADING, SERVER_HEADING),
              STORE_HEADING: (CATALOG_HEADING, SERVER_HEADING),
              CATALOG_HEADING: (SERVER_HEADING,)}


def write_part(results_dir, md_path, part):
    """tools/bench --only store|catalog: that part from RESULTS into the report at md_path, the
    rest of it kept (a report that does not exist yet gets a title and the part)."""
    meta = _load(os.path.join(results_dir, "meta.json"), {})
    meta["machine"] = _load(os.path.join(results_dir, "machine.json"), {})
    runs = load_runs(results_dir)
    if part == "store":
        section, heading = store_section(store_runs_of(runs), meta, standalone=True), STORE_HEADING
    else:
        section, heading = catalog_section(catalog_run_of(runs), meta, standalone=True), CATALOG_HEADING
    existing = _read(md_path, "") or "# brandchat benchmarks\n"
    with open(md_path, "w") as f:
        f.write(splice_section(existing, section, heading=heading, before=PART_AFTER[heading]))


# ----------------------------------------------------------------------------------------------


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "kv":
        print(json.dumps(parse_kv(args)))
    elif cmd == "cpu":
        print(json.dumps(cpu_snapshot([int(a) for a in args])))
    elif cmd == "quiet-run":
        # quiet-run RUN_DIR PCT: exit status 0 when the hypervisor stole less than PCT % of a core
        # during the run (its cpu_before.json and cpu_after.json), else 1
        before = _load(os.path.join(args[0], "cpu_before.json"))
        after = _load(os.path.join(args[0], "cpu_after.json"))
        share = cpu_share(before, after) if before and after else None
        return 0 if share is not None and share["steal_pct"] < float(args[1]) else 1
    elif cmd == "wait-calm":
        calm, busy, steal, waited = wait_calm(float(args[0]), float(args[1]), float(args[2]) if len(args) > 2 else 100.0)
        print(f"{'calm' if calm else 'still busy'}: other processes used {busy:.0f} % of a core, steal {steal:.1f} % "
              f"(waited {waited:.0f} s)")
    elif cmd == "machine":
        print(json.dumps(machine_info()))
    elif cmd == "startup":
        binary, runs, env_pairs, extra, unset, timeout_s, stderr_path = None, 10, [], [], [], 10.0, None
        i = 0
        while i < len(args):
            if args[i] == "--timeout-s":
                timeout_s = float(args[i + 1])
                i += 2
            elif args[i] == "--stderr":
                stderr_path = args[i + 1]
                i += 2
            elif args[i] == "--unset":
                unset.append(args[i + 1])
                i += 2
            elif args[i] == "--bin":
                binary = args[i + 1]
                i += 2
            elif args[i] == "--runs":
                runs = int(args[i + 1])
                i += 2
            elif args[i] == "--env":
                env_pairs.append(args[i + 1])
                i += 2
            else:
                extra.append(args[i])
                i += 1
        result = measure_startup(binary, runs, env_pairs, extra, unset, timeout_s, stderr_path)
        words = ["bench_lib.py startup", f"--runs {runs}"] + ([f"--timeout-s {timeout_s:g}"] if timeout_s != 10.0 else [])
        words += [f"--unset {u}" for u in unset] + [f"--env {e}" for e in env_pairs] + [f"--bin {os.path.basename(binary)}"] + extra
        result["command"] = " ".join(words)
        print(json.dumps(result))
    elif cmd == "cancel-match":
        load = _load(args[0])
        records = _load(args[1])
        if isinstance(records, dict):
            records = records.get("requests", [])
        closes = (load or {}).get("cancel", {}).get("closes", [])
        result = match_cancellations(closes, records or [])
        print(json.dumps({"closes": len(closes), "summary": summarize_cancellations(result), "matched": result["matched"]}))
    elif cmd == "report":
        write_report(args[0], args[1], args[2])
    elif cmd == "report-slow":
        write_slow_part(args[0], args[1])
    elif cmd in ("report-store", "report-catalog"):
        write_part(args[0], args[1], cmd.split("-", 1)[1])
    elif cmd == "chat-rtt":
        opts = {"--port": None, "--brands": "", "--chats": "100", "--warmup": "10", "--max-seconds": "0"}
        for i in range(0, len(args) - 1, 2):
            if args[i] not in opts:
                print(f"bench_lib.py chat-rtt: unknown option {args[i]}", file=sys.stderr)
                return 2
            opts[args[i]] = args[i + 1]
        result = chat_round_trips(int(opts["--port"]), opts["--brands"].split(","), CATALOG_MESSAGES, int(opts["--chats"]),
                                  int(opts["--warmup"]), float(opts["--max-seconds"]) or None)
        print(json.dumps(result))
    else:
        print(f"bench_lib.py: unknown command {cmd}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
