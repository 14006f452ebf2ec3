#!/usr/bin/env python3
"""kill -9 under load loses no completed exchange.

The built binary is started on a real database file; 24 clients chat over WebSockets, each going
on in its own conversation, and note every exchange whose `complete` they received (the message
sent and the text of the chunks). The server is killed with SIGKILL in the middle of it. Every
noted exchange must be in the file, user turn and reply, word for word; then a server started
again on the file continues one of the conversations.

    durability_test.py BRANDCHAT
"""
import base64
import json
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

CLIENTS = 24
LOAD_SECONDS = 2.0


class WebSocket:
    """Just enough of a WebSocket client: text frames out (masked), frames in."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"upgrade refused: {head[:60]!r}")

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, obj):
        payload = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self):
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8))[0]
            payload = self._take(n)
            if b0 & 0x0F == 0x8:
                raise ConnectionError("close frame")
            if b0 & 0x0F == 0x1:
                return json.loads(payload)


def start(binary, database, log_path):
    log = open(log_path, "w")
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--database", database,
                             "--word-delay-ms", "1", "--rate-limit-connection", "0", "--rate-limit-address", "0"],
                            stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("server did not start:\n" + open(log_path).read())


def chat_until_killed(port, index, completed, lock):
    messages = ["I need a gaming laptop", "What's the price?", "Ada kulkas 2 pintu?", "which one is cheaper?",
                "Do you have a monitor for design work?"]
    conversation = None
    try:
        ws = WebSocket(port, "/ws/chat/techpro")
        ws.receive()  # the welcome
        for turn in range(10_000):
            message = f"{messages[turn % len(messages)]} ({index}.{turn})"
            data = {"message": message}
            if conversation:
                data["conversation_id"] = conversation
            ws.send({"type": "chat", "data": data})
            text = ""
            while True:
                frame = ws.receive()
                if frame["type"] == "chunk":
                    text += frame["data"]["content"]
                elif frame["type"] == "complete":
                    conversation = frame["data"]["conversation_id"]
                    with lock:
                        completed.append((conversation, message, text))
                    break
                elif frame["type"] == "error":
                    raise RuntimeError(f"error frame: {frame}")
    except (OSError, ConnectionError):
        return  # the server was killed


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="brandchat-durability-")
    database = os.path.join(work, "shop.db")
    proc, port = start(binary, database, os.path.join(work, "server.log"))
    completed, lock = [], threading.Lock()
    threads = [threading.Thread(target=chat_until_killed, args=(port, i, completed, lock)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    with lock:
        seen_before_kill = len(completed)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for t in threads:
        t.join(10)
    assert seen_before_kill >= 100, f"only {seen_before_kill} exchanges before the kill: too few to show anything"

    db = sqlite3.connect(database)
    missing = []
    for conversation, message, text in completed:
        rows = db.execute("SELECT id, role, content FROM turns WHERE conversation_id = ? ORDER BY id",
                          (conversation,)).fetchall()
        for i, (_, role, content) in enumerate(rows):
            if role == "user" and content == message:
                reply = rows[i + 1] if i + 1 < len(rows) else None
                if not reply or reply[1] != "assistant" or reply[2] != text:
                    missing.append((conversation, message, "reply differs or is missing"))
                break
        else:
            missing.append((conversation, message, "user turn missing"))
    kept = db.execute("SELECT count(*) FROM turns").fetchone()[0]
    db.close()
    print(f"{len(completed)} exchanges completed before kill -9; {kept} turns in the file; {len(missing)} missing")
    assert not missing, f"lost after kill -9: {missing[:5]}"

    # A server started again on the file continues a conversation from before the kill.
    proc, port = start(binary, database, os.path.join(work, "server2.log"))
    try:
        conversation = completed[-1][0]
        ws = WebSocket(port, "/ws/chat/techpro")
        ws.receive()
        ws.send({"type": "chat", "data": {"message": "Thanks, and the warranty?", "conversation_id": conversation}})
        while True:
            frame = ws.receive()
            if frame["type"] == "complete":
                assert frame["data"]["conversation_id"] == conversation, "the conversation did not go on"
                break
            assert frame["type"] == "chunk", frame
    finally:
        proc.terminate()
        proc.wait(10)
    subprocess.run(["rm", "-rf", work])
    print("ok: nothing lost, and the conversation goes on after the restart")


if __name__ == "__main__":
    main()
