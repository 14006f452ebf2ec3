#!/usr/bin/env bash
# End to end: the built binary started as tools/run starts it (from another folder, finding its
# bundled resources by itself), driven over HTTP and a raw WebSocket, then stopped by SIGTERM.
set -euo pipefail
binary="$1"
root="$2"
mock="${3:-}"
work="$(mktemp -d)"
log="$work/server.log"
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server log"; cat "$log" || true; exit 1; }
# ws_chat PORT MESSAGE UNTIL: a raw WebSocket client of techpro that sends MESSAGE after the
# welcome. UNTIL=complete: returns once the reply's complete came; UNTIL=chunk: prints
# "streaming" at the first chunk, then reads until the server closes.
ws_chat() {
  python3 - "$@" <<'PY'
import base64, json, os, socket, sys
port, message, until = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(("GET /ws/chat/techpro HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)).decode() + "\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
data, msg = b"", json.dumps({"type": "chat", "data": {"message": message}}).encode()
mask = os.urandom(4)
sent = False
while ('"type":"%s"' % until).encode() not in data:
    chunk = s.recv(65536)
    assert chunk, data[-300:]
    data += chunk
    if not sent and b'"type":"welcome"' in data:
        s.sendall(bytes([0x81, 0x80 | len(msg)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
        sent = True
if until == "chunk":
    print("streaming", flush=True)
    while s.recv(65536):
        pass
PY
}

help_text="$("$binary" --help)"
grep -q -- "--rate-limit-connection" <<<"$help_text" || fail "--help does not document the options"
"$binary" --port nope 2>/dev/null && fail "a bad flag was accepted"

cd "$work"
"$binary" --port 0 --host 127.0.0.1 --word-delay-ms 5 2>"$log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)"
[ -n "$port" ] || fail "server did not report its port"
grep -q "brands: 2 active of 3" "$log" || fail "bundled brands not found from another folder"
grep -q "responder: built-in catalog responder" "$log" || fail "wrong responder without an API key"

curl -fsS "http://127.0.0.1:$port/" | grep -q '"status":"running"' || fail "GET / is not running"
curl -fsS "http://127.0.0.1:$port/brands/active" | grep -q '"id":"techpro"' || fail "GET /brands/active lacks techpro"
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/brands/nosuchbrand")"
[ "$code" = 404 ] || fail "an unknown brand answered $code"
grep -q "chat page: http://127.0.0.1:$port/ui/" "$log" || fail "the start-up log does not give the chat page's address"

# A fresh install has no API key: the first start made an admin key and printed it once.
admin_key="$(sed -n 's/^    \(bck_[A-Za-z0-9_-]\{43\}\)$/\1/p' "$log" | head -1)"
[ -n "$admin_key" ] || fail "the first start printed no admin key"
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/brands/techpro/config")"
[ "$code" = 401 ] || fail "the config without a key answered $code"
curl -fsS -H "Authorization: Bearer $admin_key" "http://127.0.0.1:$port/brands/techpro/config" | grep -q '"system_prompt"' ||
  fail "the printed admin key does not open the config"

python3 - "$port" <<'PY' || fail "websocket exchange"
import base64, json, os, socket, struct, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws/chat/techpro HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf: buf += s.recv(4096)
assert b" 101 " in buf.split(b"\r\n")[0], buf
buf = buf.split(b"\r\n\r\n", 1)[1]
def recv_exact(n):
    global buf
    while len(buf) < n: buf += s.recv(65536)
    out, buf = buf[:n], buf[n:]
    return out
def read_frame():
    b0, b1 = recv_exact(2)
    n = b1 & 0x7F
    if n == 126: n = struct.unpack(">H", recv_exact(2))[0]
    elif n == 127: n = struct.unpack(">Q", recv_exact(8))[0]
    return b0 & 0x0F, recv_exact(n)
def send_text(text):
    data, mask = text.encode(), os.urandom(4)
    head = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(data)))
    s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
op, payload = read_frame()
welcome = json.loads(payload)
assert welcome["type"] == "welcome" and welcome["data"]["brand_id"] == "techpro", welcome
send_text(json.dumps({"type": "chat", "data": {"message": "What is your cheapest laptop?", "voice": False}}))
text, chunks = "", 0
while True:
    op, payload = read_frame()
    m = json.loads(payload)
    if m["type"] == "chunk":
        text += m["data"]["content"]; chunks += 1
    else:
        break
assert m["type"] == "complete", m
assert chunks > 3 and "Rp " in text, text
assert m["data"]["suggested_products"][0]["category"] == "Laptop", m
print("websocket ok:", chunks, "chunks")
PY

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
grep -q "stopped" "$log" || fail "no orderly stop in the log"
if [ -n "$mock" ]; then
  # With a model: stopping while replies stream from it, with upstream connections in flight
  # and kept alive in the pool, must close everything and exit 0.
  "$mock" --port 0 --token-delay-ms 20 --tokens 400 --quiet >"$work/mock.out" 2>/dev/null &
  mock_pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/mock.out" && break; sleep 0.05; done
  mock_port="$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/mock.out")"
  OPENAI_BASE_URL="http://127.0.0.1:$mock_port/v1" "$binary" --port 0 --host 127.0.0.1 2>"$log" &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)"
  grep -q "responder: OpenAI-compatible model" "$log" || fail "OPENAI_BASE_URL did not select the model"
  ws_chat "$port" hello chunk >"$work/client.out" 2>&1 &
  for _ in $(seq 100); do grep -q streaming "$work/client.out" && break; sleep 0.05; done
  grep -q streaming "$work/client.out" || fail "no streamed reply from the model: $(cat "$work/client.out")"
  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  pid=""
  kill "$mock_pid" 2>/dev/null || true
  [ "$status" = 0 ] || fail "exit status $status after SIGTERM with a pooled model connection"
fi
# The database: the first start made brandchat.db here; a file that is not a database is refused
# with a message naming it, and left as it was.
[ -s "$work/brandchat.db" ] || fail "no database file in the working folder"
if [ -n "$mock" ]; then # the second start, with the model, used the same database
  ! grep -q "bck_" "$log" || fail "a start with a key in the database printed a key again"
fi
python3 - "$work/brandchat.db" "$admin_key" <<'PY' || fail "the admin key is not kept as a hash alone"
import os, sqlite3, sys
path, key = sys.argv[1], sys.argv[2].encode()
for f in (path, path + "-wal"):
    if os.path.exists(f):
        assert key not in open(f, "rb").read(), "the key itself is in " + f
assert sqlite3.connect(path).execute("select count(*) from api_keys").fetchone()[0] == 1
PY
head -c 8192 /dev/urandom > "$work/garbage.db"
sum_before="$(sha256sum < "$work/garbage.db")"
status=0
"$binary" --port 0 --host 127.0.0.1 --database "$work/garbage.db" 2>"$work/garbage.log" || status=$?
[ "$status" = 1 ] || fail "a corrupt database: exit status $status, expected 1"
grep -q "garbage.db cannot be read" "$work/garbage.log" || { cat "$work/garbage.log"; fail "a corrupt database: no clear message"; }
[ "$(sha256sum < "$work/garbage.db")" = "$sum_before" ] || fail "a corrupt database was changed"

# Start-up errors a user can act on (exit status 1, a message naming what to change): a port in
# use, a resources folder that is not there, an unknown option.
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' >"$work/busy.port" &
busy_pid=$!
for _ in $(seq 1 50); do [ -s "$work/busy.port" ] && break; sleep 0.1; done
busy_port="$(cat "$work/busy.port")"
status=0
"$binary" --port "$busy_port" --host 127.0.0.1 --database :memory: 2>"$work/busy.log" || status=$?
kill "$busy_pid" 2>/dev/null || true
[ "$status" = 1 ] || fail "a port in use: exit status $status, expected 1"
grep -q "port $busy_port on 127.0.0.1 is already in use" "$work/busy.log" && grep -q -- "--port" "$work/busy.log" ||
  { cat "$work/busy.log"; fail "a port in use: no clear message"; }
grep -q "reactive_socket_service" "$work/busy.log" && fail "a port in use: the message shows the library's internals"
status=0
"$binary" --port 0 --database :memory: --resources "$work/no-such-folder" 2>"$work/nores.log" || status=$?
[ "$status" = 1 ] || fail "a missing resources folder: exit status $status, expected 1"
grep -q "resources folder $work/no-such-folder does not exist" "$work/nores.log" || { cat "$work/nores.log"; fail "a missing resources folder: no clear message"; }
status=0
"$binary" --verbose 2>"$work/flag.log" || status=$?
[ "$status" != 0 ] || fail "an unknown option: exit status 0"
grep -q "unknown option --verbose" "$work/flag.log" || { cat "$work/flag.log"; fail "an unknown option: $(cat "$work/flag.log")"; }

# --log-format json: every line one object with time, level and event; a reply's line carries its
# brand, conversation and connection; what the customer wrote appears only at debug; the admin
# key made at a fresh start is the one secret, in an event of its own.
for level in info debug; do
  mkdir -p "$work/json-$level"
  (cd "$work/json-$level" && exec "$binary" --port 0 --host 127.0.0.1 --word-delay-ms 0 --log-format json --log-level "$level" 2>"$work/json-$level.log") &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/json-$level.log" && break; sleep 0.05; done
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/json-$level.log" | head -1)"
  [ -n "$port" ] || { cat "$work/json-$level.log"; fail "--log-format json: no port in the log"; }
  ws_chat "$port" "my secret wish: a quiet laptop" complete || fail "--log-format json: websocket exchange"
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  python3 - "$work/json-$level.log" "$level" <<'PY' || { cat "$work/json-$level.log"; fail "--log-format json ($level)"; }
import json, sys
path, level = sys.argv[1], sys.argv[2]
lines = [json.loads(line) for line in open(path, encoding="utf-8")]  # each line is one object
assert all({"time", "level", "event", "fields"} <= set(l) for l in lines), "a line lacks time, level, event or fields"
replies = [l for l in lines if l["event"] == "reply"]
assert len(replies) == 1 and replies[0]["brand"] == "techpro" and replies[0]["conversation"].startswith("conv-"), replies
assert replies[0]["connection"] >= 1 and replies[0]["fields"]["outcome"] == "complete", replies
opened = [l for l in lines if l["event"] == "connection open"]
assert opened and opened[0]["connection"] == replies[0]["connection"], opened
keys = [l for l in lines if l["event"] == "admin key made"]
assert len(keys) == 1 and keys[0]["fields"]["key"].startswith("bck_"), keys
wrote = [l for l in lines if "my secret wish" in json.dumps(l)]
if level == "info":
    assert not wrote, wrote
else:
    assert len(wrote) == 1 and wrote[0]["event"] == "chat message" and wrote[0]["level"] == "debug", wrote
    assert wrote[0]["conversation"] == replies[0]["conversation"], wrote
PY
done

# The store's checkpoint process (the server started as `--checkpoint-log FILE`, with
# `--log-format json` when the server logs JSON): a failure is one line in that format.
status=0
"$binary" --checkpoint-log "$work/no-such-dir/x.db" --log-format json 2>"$work/checkpoint.log" || status=$?
[ "$status" = 1 ] || fail "--checkpoint-log on a missing file: exit status $status, not 1"
python3 - "$work/checkpoint.log" <<'PY' || { cat "$work/checkpoint.log"; fail "--checkpoint-log --log-format json"; }
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
assert len(lines) == 1 and lines[0]["event"] == "checkpoint failed" and lines[0]["level"] == "error", lines
assert lines[0]["fields"]["file"].endswith("no-such-dir/x.db") and lines[0]["fields"]["error"], lines
PY
status=0
"$binary" --checkpoint-log "$work/x.db" --log-format yaml 2>/dev/null || status=$?
[ "$status" = 2 ] || fail "--checkpoint-log with a bad --log-format: exit status $status, not 2"

echo "end to end: ok"
