#!/usr/bin/env bash
# What a burst of connections leaves behind in the server:
#   tools/load/burst.sh [SERVER_BIN [LOAD_BIN]]
# starts the server on a free port, holds 1,000 idle connections for 2 s (the warm-up), then
# 19,000 for 3 s (spread over 127.0.0.1-127.0.0.8), and prints the server's RSS after the warm-up
# and 8 s after the burst left. WRAP=cmd runs the server under cmd (e.g. an LD_PRELOAD wrapper).
set -euo pipefail
export BRANDCHAT_DATABASE=":memory:" # the servers started here keep nothing
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin=${1:-$root/build/brandchat}
load=${2:-$root/build/tools/load/brandchat-load}
port=$((20000 + RANDOM % 10000))
ulimit -n 65536 2>/dev/null || true
${WRAP:-} "$bin" --port "$port" --log-level warn --max-connections-per-address 0 --rate-limit-address 0 >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 0.5
rss() { awk '/VmRSS/{print $2}' "/proc/$pid/status"; }
url="ws://127.0.0.1:$port/ws/chat/techpro"
"$load" --url "$url" --scenario idle --connections 1000 --duration 2 --source-range 8 >/dev/null
sleep 5
warm=$(rss)
"$load" --url "$url" --scenario idle --connections 19000 --duration 3 --source-range 8 >/dev/null
sleep 8
after=$(rss)
echo "RSS after the warm-up ${warm} KiB, 8 s after the burst ${after} KiB: +$((after - warm)) KiB"
