#!/usr/bin/env bash
# load_smoke: the built brandchat-load against the built brandchat, each scenario briefly.
# usage: smoke_test.sh PATH/TO/brandchat PATH/TO/brandchat-load
# Starts the server on a free port (rate limits off, no word delay), runs idle (50 connections,
# 1 s), chat (10 clients, 2 s), ping (5 clients, 1 s), cancel (2 clients, 5 cancellations),
# slow (3 clients reading 512 bytes per 50 ms, 2 s) and wakeup (1 s, no connections)
# with --json, and checks the reports.
set -euo pipefail
export BRANDCHAT_DATABASE=":memory:" # the servers started here keep nothing

server_bin=${1:?usage: smoke_test.sh BRANDCHAT BRANDCHAT_LOAD}
load_bin=${2:?usage: smoke_test.sh BRANDCHAT BRANDCHAT_LOAD}
work=$(mktemp -d)
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "load_smoke: FAIL: $*" >&2
  echo "--- server log (tail) ---" >&2
  tail -n 20 "$work/server.log" >&2 || true
  exit 1
}

"$server_bin" --port 0 --host 127.0.0.1 --word-delay-ms 0 \
  --rate-limit-connection 0 --rate-limit-address 0 --log-level info 2>"$work/server.log" &
server_pid=$!

port=""
for _ in $(seq 100); do
  # (the log may not exist yet: the server's shell creates it after this one moved on)
  port=$( (sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log" 2>/dev/null || true) | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited during start-up"
  sleep 0.1
done
[ -n "$port" ] || fail "the server did not print its port within 10 s"
url="ws://127.0.0.1:$port/ws/chat/techpro"
echo "load_smoke: server pid $server_pid on port $port"

# run NAME CHECK ARGS...: runs brandchat-load with --json into NAME.json, then the python CHECK
# (an expression over the report r) must hold.
run() {
  local name=$1 check=$2
  shift 2
  echo "load_smoke: $name: brandchat-load $*"
  timeout 20 "$load_bin" --url "$url" --server-pid "$server_pid" --json "$@" >"$work/$name.json" 2>"$work/$name.err" ||
    fail "$name: brandchat-load exited with $? ($(cat "$work/$name.err"))"
  python3 - "$work/$name.json" "$check" <<'PY' || fail "$name: report check failed"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["connections"]
# cancel reconnects after each close: more connections open than run at once
ok = (c["opened"] == c["requested"] or r["scenario"] == "cancel") and c["failed"] == 0 and eval(sys.argv[2])
summary = {k: r.get(k) for k in ("scenario", "elapsed_s", "stop_reason")}
summary["connections"] = {k: c[k] for k in ("requested", "opened", "failed", "dropped")}
for k in ("chat", "ping"):
    if k in r: summary[k] = r[k]
if "slow" in r:
    summary["slow"] = {k: r["slow"].get(k) for k in ("requests", "replies", "chunks", "bytes_read", "per_client_stop_kib")}
print("  " + json.dumps(summary))
if not ok:
    print("  check failed: " + sys.argv[2] + "\n  report: " + json.dumps(r), file=sys.stderr)
    sys.exit(1)
PY
}

run idle 'c["requested"] == 50 and c["dropped"] == 0 and r["latency_us"]["welcome"]["count"] == 50' \
  --scenario idle --connections 50 --duration 1
run chat 'c["requested"] == 10 and r["chat"]["replies"] > 0 and r["chat"]["chunks"] > 0 and r["chat"]["reply_errors"] == 0' \
  --scenario chat --connections 10 --duration 2
run ping 'c["requested"] == 5 and r["ping"]["pongs"] > 0' \
  --scenario ping --connections 5 --duration 1

run cancel 'r["cancel"]["cancellations"] == 5 and len(r["cancel"]["closes"]) == 5 and c["opened"] >= 5' \
  --scenario cancel --connections 2 --cancellations 5 --duration 10

# slow readers: the built-in responder's replies are short, so each client goes through several,
# never reading more than its pace allows; the server's RSS is sampled from before the first
# connection to the stop
run slow '(c["requested"] == 3 and r["slow"]["requests"] >= 3 and r["slow"]["replies"] >= 1 and r["slow"]["chunks"] > 0
  and 0 < r["slow"]["bytes_read"] <= 3 * 512 * (int(r["elapsed_s"] * 1000 / 50) + 2)
  and len(r["slow"]["rss_samples"]) >= 2 and r["slow"]["rss_samples"][0]["open"] == 0
  and r["slow"]["rss_samples"][-1]["open"] == 3 and r["slow"]["per_client_stop_kib"] is not None)' \
  --scenario slow --connections 3 --duration 2 --read-bytes 512 --read-interval-ms 50

# wakeup needs no server: about 1,000 wake-ups a second, each timed
run wakeup 'c["requested"] == 0 and r["latency_us"]["wakeup_late"]["count"] > 500' \
  --scenario wakeup --duration 1

kill -0 "$server_pid" 2>/dev/null || fail "the server died during the runs"
echo "load_smoke: PASS"
