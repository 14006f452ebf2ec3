#!/usr/bin/env python3
"""kill -9 during a bulk product import leaves the catalog as it was or fully imported.

The built binary is started on a real database file with an admin key; a bulk import of
PRODUCTS products is posted to techpro and the server is killed with SIGKILL at a point of the
import (a few delays, from just after the request is sent to around its commit). A server started
again on the file must hold techpro's products exactly as before or with every imported one, with
the imported names intact, and must answer a chat.

    import_kill_test.py BRANDCHAT
"""
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

PRODUCTS = 10_000
KEY = "import-kill-test-key"


def start(binary, database, log_path):
    log = open(log_path, "w")
    env = dict(os.environ, BRANDCHAT_ADMIN_KEY=KEY)
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--database", database,
                             "--word-delay-ms", "0", "--log-level", "info"], stderr=log, env=env)
    for _ in range(400):
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            return proc, int(m.group(1))
        time.sleep(0.025)
    proc.kill()
    raise RuntimeError("the server did not start: " + open(log_path).read())


def request(port, method, path, body=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
    conn.request(method, path, body=body, headers=headers)
    res = conn.getresponse()
    return res.status, res.read()


def count(database):
    db = sqlite3.connect(database)
    n = db.execute("select count(*) from products where brand_id = 'techpro'").fetchone()[0]
    imported = db.execute("select count(*) from products where brand_id = 'techpro' and id like 'kill-%'").fetchone()[0]
    named = db.execute("select count(*) from products where id like 'kill-%' and name = 'Imported cable ' || substr(id, 6)").fetchone()[0]
    db.close()
    return n, imported, named


def main():
    binary = sys.argv[1]
    body = json.dumps([{"id": f"kill-{i}", "name": f"Imported cable {i}", "category": "Accessory", "price": 10000 + i,
                        "features": ["USB-C", f"{i % 5 + 1} m"], "description": "A cable for the kill test"}
                       for i in range(PRODUCTS)])
    outcomes = {}
    with tempfile.TemporaryDirectory() as work:
        # How long a whole import takes here, to pick the moments to kill it at.
        database = os.path.join(work, "timing.db")
        proc, port = start(binary, database, os.path.join(work, "timing.log"))
        began = time.monotonic()
        status, answer = request(port, "POST", "/brands/techpro/products/bulk", body, timeout=300)
        took = time.monotonic() - began
        assert status == 200, (status, answer[:300])
        # The import's log is copied into the file by a checkpoint process of its own while the
        # server runs (store/sqlite_checkpoint.cpp), and the server still stops on SIGTERM after it.
        logged = os.path.getsize(database + "-wal")
        for _ in range(200):
            if os.path.getsize(database) >= logged // 2:
                break
            time.sleep(0.05)
        assert os.path.getsize(database) >= logged // 2, (os.path.getsize(database), logged)
        proc.terminate()
        assert proc.wait(10) == 0
        print(f"a whole import of {PRODUCTS} products: {took:.2f} s")

        for fraction in (0.05, 0.3, 0.6, 0.9, 1.0, 1.2):
            database = os.path.join(work, f"kill-{fraction}.db")
            log_path = os.path.join(work, f"kill-{fraction}.log")
            proc, port = start(binary, database, log_path)
            before, _, _ = count(database)
            sender = threading.Thread(target=lambda: request_quietly(port, body), daemon=True)
            sender.start()
            time.sleep(took * fraction)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            after, imported, named = count(database)
            assert after in (before, before + PRODUCTS), f"killed at {fraction:.0%}: {after} products, before {before}"
            assert imported == named == (after - before), f"killed at {fraction:.0%}: imported {imported}, named right {named}"
            outcomes[fraction] = "fully imported" if after > before else "as before"
            # The file opens again and serves.
            proc, port = start(binary, database, log_path + ".again")
            status, answer = request(port, "POST", "/chat/techpro", json.dumps({"message": "a cable please"}))
            proc.terminate()
            proc.wait(10)
            assert status == 200 and b"response" in answer, (status, answer[:300])
    print("killed during the import:", ", ".join(f"at {f:.0%} of it: {o}" for f, o in outcomes.items()))
    assert "as before" in outcomes.values(), "no kill landed before the commit: the test did not test it"


def request_quietly(port, body):
    try:
        request(port, "POST", "/brands/techpro/products/bulk", body, timeout=300)
    except OSError:
        pass  # the server was killed


if __name__ == "__main__":
    main()
