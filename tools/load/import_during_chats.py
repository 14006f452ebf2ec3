#!/usr/bin/env python3
"""Chats while a large product import runs (issue 16): the time to first chunk of chats on a server
importing PRODUCTS products into techpro through POST .../products/bulk, then on an idle server
for as long.

    import_during_chats.py [--server build/brandchat] [--load build/tools/load/brandchat-load]
                           [--products 100000] [--connections 20] [--rate 4] [--brand rumahkita]
                           [--tail 3] [--no-pin]

Each run starts a fresh server on a new database file (built-in responder, --word-delay-ms 0, rate
limits off), so a chat's time to first chunk is the server's own work. brandchat-load chats with
--brand (another brand of the same server by default: one shop's import must not stall the
others; --brand techpro chats with the brand being imported, whose catalog becomes 100,000
products when the import ends), --rate messages per second per connection. The import run's chats
start with the POST and stop --tail seconds after its answer (the commit's aftermath, the new
catalog's publication and the log's checkpoint, falls in the window); the idle run chats for as
long on a server that imports nothing. Prints both runs' first chunk percentiles, how long the
import took, and the verdict: the import run's p50 and p99 within 2x of the idle run's. Exit
status 1 when the verdict fails or a run could not be made.
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEY = "import-bench-key"


def run(args, work, name, body, seconds=None):
    """Chats for `seconds`, or with an import (body) from its POST to --tail seconds after its answer."""
    database = os.path.join(work, name + ".db")
    proc, port = start_info(args, database, os.path.join(work, name + ".log"))
    load = subprocess.Popen([args.load, "--url", f"ws://127.0.0.1:{port}/ws/chat/{args.brand}", "--connections", str(args.connections),
                             "--rate", str(args.rate), "--duration", str(seconds or 3600), "--server-pid", str(proc.pid), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=pinned(args, LOAD_CPU))
    imported = {}
    began = time.monotonic()
    if body:
        time.sleep(0.5)  # the connections are open and chatting
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request("POST", "/brands/techpro/products/bulk", body=body,
                     headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
        res = conn.getresponse()
        imported["status"] = res.status
        imported["answer"] = res.read()[:200]
        imported["seconds"] = time.monotonic() - began - 0.5
        time.sleep(args.tail)
        load.send_signal(signal.SIGINT)  # the load tool reports what it measured and exits
    out, err = load.communicate(timeout=seconds + 60 if seconds else 120)
    window = time.monotonic() - began
    proc.terminate()
    proc.wait(30)
    if load.returncode not in (0, 130) or not out.strip():
        raise RuntimeError(f"brandchat-load failed ({load.returncode}): {err[-2000:]}")
    return json.loads(out), imported, window


SERVER_CPU, LOAD_CPU = 0, 1


def pinned(args, cpu):
    """With --pin (the default on two CPUs or more): the server (and its checkpoint process) on one
    CPU, the load tool on another. Unpinned, an importing server (a whole CPU busy) and the load
    tool land on the same CPU in some runs and not in others, and the load tool's own delays,
    not the server's, decide the percentiles: runs of the same build gave 0.9x and 5x."""
    if not args.pin:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def start_info(args, database, log_path):
    server = args.server
    log = open(log_path, "w")
    env = dict(os.environ, BRANDCHAT_ADMIN_KEY=KEY)
    env.pop("OPENAI_API_KEY", None)
    env.pop("OPENAI_BASE_URL", None)
    proc = subprocess.Popen([server, "--host", "127.0.0.1", "--port", "0", "--database", database, "--word-delay-ms", "0",
                             "--rate-limit-connection", "0", "--rate-limit-address", "0"], stderr=log, env=env,
                            preexec_fn=pinned(args, SERVER_CPU))
    for _ in range(400):
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            return proc, int(m.group(1))
        time.sleep(0.025)
    proc.kill()
    raise RuntimeError("the server did not start: " + open(log_path).read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default=os.path.join(ROOT, "build", "brandchat"))
    ap.add_argument("--load", default=os.path.join(ROOT, "build", "tools", "load", "brandchat-load"))
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--rate", type=float, default=4)
    ap.add_argument("--brand", default="rumahkita", help="the brand the chats are with (default rumahkita)")
    ap.add_argument("--pin", action=argparse.BooleanOptionalAction, default=len(os.sched_getaffinity(0)) >= 2,
                    help="the server on CPU 0, the load tool on CPU 1 (default: on with two CPUs or more)")
    ap.add_argument("--tail", type=float, default=3, help="seconds the chats go on after the import's answer (default 3)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "load", "make_catalog.py"), "--out", work,
                        "--products", str(args.products), "--brand-id", "generated"], check=True, capture_output=True)
        products = json.load(open(os.path.join(work, "generated.json")))["products"]
        for p in products:
            p["id"] = "imported-" + p["id"]
        body = json.dumps(products)
        print(f"bulk body: {len(products)} products, {len(body) / 1e6:.1f} MB")
        busy, imported, window = run(args, work, "import", body)
        idle, _, _ = run(args, work, "idle", None, seconds=window)
    if imported.get("status") != 200:
        print("the import failed:", imported)
        return 1
    rows = []
    for name, r in (("idle", idle), ("during the import", busy)):
        fc = r["latency_us"]["first_chunk"]
        rows.append((name, fc["count"], fc["p50"] / 1000, fc["p90"] / 1000, fc["p99"] / 1000, fc["max"] / 1000,
                     r["chat"]["reply_errors"], r.get("server_process", {}).get("rss_peak_kib", 0) / 1024))
    print(f"import of {args.products} products: {imported['seconds']:.1f} s (POST to its answer); chats with {args.brand} "
          f"for {window:.1f} s in each run")
    print(f"{'server':<20} {'replies':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} {'RSS peak MiB':>13}")
    for row in rows:
        print(f"{row[0]:<20} {row[1]:>8} {row[2]:>8.2f} {row[3]:>8.2f} {row[4]:>8.2f} {row[5]:>8.2f} {row[6]:>7} {row[7]:>13.1f}")
    ok = rows[1][2] <= 2 * rows[0][2] and rows[1][4] <= 2 * rows[0][4]
    print(f"verdict: first chunk during the import p50 {rows[1][2] / rows[0][2]:.2f}x, p99 {rows[1][4] / rows[0][4]:.2f}x "
          f"of idle (bound 2x): {'pass' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
