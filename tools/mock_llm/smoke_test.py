#!/usr/bin/env python3
"""End-to-end check of the built brandchat-mock-llm, started as a user starts it.

Usage: smoke_test.py PATH/TO/brandchat-mock-llm
Covers streaming shape and pacing, whole answers, every fault key and fault source, the request
record, client-leaves detection, keep-alive and pipelining, HTTPS (when openssl is installed)
and exit on SIGINT/SIGTERM. Timing bounds are loose enough for a busy 2-core machine.
"""
import http.client
import json
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
failures = []
# The server's clock is steady_clock = CLOCK_MONOTONIC, the clock of time.monotonic().
LEAVE_NOTICED_MS = 50


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def start(*args):
    p = subprocess.Popen([BIN, "--port", "0", "--quiet", *args], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("listening on "):
        sys.exit(f"unexpected first line: {line!r}")
    return p, int(line.rsplit(":", 1)[1])


def stop(p, sig=signal.SIGTERM):
    p.send_signal(sig)
    return p.wait(10)


def sse_events(raw):
    """[(event, data)] per the HTML living standard's event stream rules."""
    events, data, event = [], [], ""
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line == "":
            if data:
                events.append((event or "message", "\n".join(data)))
            data, event = [], ""
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value
    return events


def content_tokens(events):
    out = []
    for _, data in events:
        if data == "[DONE]":
            continue
        for choice in json.loads(data).get("choices", []):
            if "content" in choice["delta"] and "role" not in choice["delta"]:
                out.append(choice["delta"]["content"])
    return out


def chat_body(text="hi", stream=True, **extra):
    return {"model": "gpt-test", "stream": stream, **extra,
            "messages": [{"role": "system", "content": "You sell laptops."}, {"role": "user", "content": text}]}


def raw_request(body, fault="", extra_headers=""):
    payload = json.dumps(body)
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\n"
            f"X-Mock-Fault: {fault}\r\n{extra_headers}Content-Length: {len(payload)}\r\n\r\n{payload}").encode()


class Mock:
    def __init__(self, port, tls=False):
        self.port, self.tls = port, tls

    def connect(self):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=ssl._create_unverified_context(), timeout=10)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def raw_socket(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        return ssl._create_unverified_context().wrap_socket(s) if self.tls else s

    def request(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.connect()
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        c.request(method, path, body=body, headers={"content-type": "application/json", **(headers or {})})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()

    def chat(self, body, fault=None, path="/v1/chat/completions", conn=None, headers=None):
        h = dict(headers or {})
        if fault is not None:
            h["X-Mock-Fault"] = fault
        return self.request("POST", path, body, h, conn)

    def stream(self, body, fault=None, headers=None):
        """(status, headers, [(seconds since request, line)], seconds to headers)"""
        c = self.connect()
        h = {"content-type": "application/json", **(headers or {})}
        if fault is not None:
            h["X-Mock-Fault"] = fault
        t0 = time.monotonic()
        c.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=h)
        r = c.getresponse()
        t_headers = time.monotonic() - t0
        lines = []
        while line := r.readline():
            lines.append((time.monotonic() - t0, line.decode()))
        return r.status, dict(r.getheaders()), lines, t_headers

    def get(self, path):
        return json.loads(self.request("GET", path)[2])

    def post(self, path, body):
        status, _, data = self.request("POST", path, body)
        return status, json.loads(data)

    def last_record(self):
        return self.get("/mock/requests")[-1]


def check_default_stream(m, label=""):
    headers = {"authorization": "Bearer sk-test", "openai-organization": "org-9", "openai-project": "proj-3"}
    status, h, lines, _ = m.stream(chat_body(stream_options={"include_usage": True}), headers=headers)
    events = sse_events("".join(line for _, line in lines))
    check(status == 200 and h.get("Content-Type") == "text/event-stream" and h.get("Transfer-Encoding") == "chunked",
          label + "stream: 200, text/event-stream, chunked")
    first = json.loads(events[0][1])
    check(first["choices"][0]["delta"] == {"role": "assistant", "content": ""} and first["model"] == "gpt-test"
          and first["object"] == "chat.completion.chunk" and first["id"].startswith("chatcmpl-mock-"),
          label + "stream: role chunk first")
    tokens = content_tokens(events)
    text = "".join(tokens)
    check(len(tokens) == 40 and not tokens[0].startswith(" ") and all(t.startswith(" ") for t in tokens[1:]),
          label + f"stream: 40 word tokens with leading spaces (got {len(tokens)})")
    check("Rp 19.999.000" in text and "e.g." in text and "2.5" in text, label + "stream: passage has Rp 19.999.000, e.g., 2.5")
    finish, usage = json.loads(events[-3][1]), json.loads(events[-2][1])
    check(finish["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}, label + "stream: finish chunk")
    check(usage["choices"] == [] and usage["usage"] == {"prompt_tokens": 4, "completion_tokens": 40, "total_tokens": 44},
          label + "stream: usage chunk")
    check(events[-1][1] == "[DONE]", label + "stream: [DONE] last")
    times = [t for t, line in lines if line.startswith("data:")]
    span = times[40] - times[1]  # 39 gaps of 20 ms
    # The median, not the smallest gap: a reader delayed on a busy machine reads two tokens at once.
    median_gap = sorted(b - a for a, b in zip(times[1:40], times[2:41]))[19]
    check(0.6 < span < 3.0 and 0.015 < median_gap < 0.05,
          label + f"stream: tokens paced ~20 ms apart (39 gaps in {span * 1000:.0f} ms, median {median_gap * 1000:.1f} ms)")
    return text


def check_leave_noticed(m, fault, wait_s, expected):
    m.post("/mock/reset", {})
    s = m.raw_socket()
    s.sendall(raw_request(chat_body(), fault))
    time.sleep(wait_s)
    left_ms = time.monotonic() * 1000
    s.close()
    time.sleep(0.2)
    r = m.last_record()
    lag = r["ended_ms"] - left_ms if r["ended_ms"] is not None else float("inf")
    check(r["outcome"] == expected and lag <= LEAVE_NOTICED_MS,
          f"client leaves during '{fault}': {r['outcome']} after {r['tokens_sent']} tokens, noticed in {lag:.1f} ms")


def main_checks(m, text, port):
    status, _, data = m.chat(chat_body(stream=False))
    whole = json.loads(data)
    check(status == 200 and whole["object"] == "chat.completion" and whole["choices"][0]["message"]["content"] == text
          and whole["usage"]["completion_tokens"] == 40, "whole: chat.completion with the streamed text")
    whole = json.loads(m.chat(chat_body(stream=False, max_tokens=3))[2])
    check(whole["choices"][0]["finish_reason"] == "length" and whole["usage"]["completion_tokens"] == 3,
          "whole: max_tokens cuts, finish_reason length")
    check(m.chat(chat_body(), path="/chat/completions")[0] == 200 and m.chat(chat_body(), path="/x/y/chat/completions")[0] == 200,
          "any path ending in /chat/completions")

    m.post("/mock/reset", {})
    check_default_stream(m, "(recorded) ")
    records = m.get("/mock/requests")
    r = records[0]
    check(len(records) == 1 and r["seq"] == 1 and r["path"] == "/v1/chat/completions" and r["headers"] == {
        "authorization": "Bearer sk-test", "openai-organization": "org-9", "openai-project": "proj-3",
        "content-type": "application/json"}, "record: seq, path, headers")
    check(r["body"]["messages"][1]["content"] == "hi" and r["fault"] == "" and r["outcome"] == "completed"
          and r["tokens_sent"] == 40 and r["ended_ms"] > r["started_ms"], "record: body, fault, outcome, tokens, times")
    check(abs(m.get("/mock/now")["now_ms"] - time.monotonic() * 1000) < 100, "/mock/now is CLOCK_MONOTONIC")

    # Fault sources.
    status, h, data = m.chat(chat_body(), "status=429,retry_after=2,retry_after_ms=1500")
    error = json.loads(data)["error"]
    check(status == 429 and h.get("Retry-After") == "2" and h.get("retry-after-ms") == "1500"
          and error["code"] == "rate_limit_exceeded" and error["type"] and error["message"], "X-Mock-Fault status=429 + retry headers")
    check(m.last_record()["outcome"] == "status_429" and m.last_record()["fault"] == "status=429,retry_after=2,retry_after_ms=1500",
          "record: status_429 with its fault")
    check(m.chat(chat_body("please [[mock:status=503]]"))[0] == 503, "[[mock:SPEC]] in the last user message")
    body = chat_body()
    body["messages"] = [{"role": "user", "content": "[[mock:status=500]]"}, {"role": "assistant", "content": "ok"},
                        {"role": "user", "content": [{"type": "text", "text": "parts [[mock:status=401]]"}]}]
    check(m.chat(body)[0] == 401, "marker read from the last user message only, text parts included")
    status, queued = m.post("/mock/faults", {"spec": "status=502", "count": 2})
    codes = [m.chat(chat_body(stream=False))[0] for _ in range(3)]
    check(status == 200 and codes == [502, 502, 200], f"POST /mock/faults applies to the next 2 requests: {codes}")
    check(m.post("/mock/faults", {"spec": "bogus=1"})[0] == 400 and m.chat(chat_body(), "tokens=x")[0] == 400,
          "invalid specs rejected with 400")

    # Interruptions.
    c = m.connect()
    c.request("POST", "/v1/chat/completions", body=json.dumps(chat_body()), headers={"X-Mock-Fault": "drop_after=3"})
    r, got, error = c.getresponse(), b"", None
    try:
        while chunk := r.read1(65536):
            got += chunk
    except http.client.HTTPException as e:
        error = e
    check(error is not None and len(content_tokens(sse_events(got.decode()))) == 3, "drop_after=3: 3 tokens, then the body is cut")
    check(m.last_record()["outcome"] == "dropped" and m.last_record()["tokens_sent"] == 3, "record: dropped")
    _, _, lines, _ = m.stream(chat_body(), "error_event_after=2")
    events = sse_events("".join(line for _, line in lines))
    check(len(content_tokens(events[:-1])) == 2 and events[-1] == ("error", '{"error":{"message":"mock failure"}}')
          and m.last_record()["outcome"] == "error_event", "error_event_after=2")
    _, _, lines, _ = m.stream(chat_body(), "error_object_after=0")
    events = sse_events("".join(line for _, line in lines))
    check(len(events) == 2 and json.loads(events[1][1]) == {"error": {"message": "mock failure", "type": "server_error"}},
          "error_object_after=0")

    # SSE framing variants.
    _, _, lines, _ = m.stream(chat_body(stream_options={"include_usage": True}), "crlf=1,comments=1,multiline=1,tokens=5")
    raw = "".join(line for _, line in lines)
    events = sse_events(raw)
    check(raw.replace("\r\n", "").count("\n") == 0, "crlf=1: CRLF line endings only")
    check(raw.count(": keep-alive") == len(events) == 9, "comments=1: a comment before each event")
    check(raw.count("data:") == 2 * 8 + 1 and "".join(content_tokens(events)) == "The TechPro Aero 14 costs"
          and json.loads(events[-2][1])["usage"]["total_tokens"] == 9, "multiline=1: two data: lines per JSON event, rejoined JSON parses")

    # Pacing faults.
    _, _, lines, t_headers = m.stream(chat_body(), "first_byte_ms=300,first_token_ms=200,token_delay_ms=0,tokens=10")
    times = [t for t, line in lines if line.startswith("data:")]
    check(0.28 < t_headers < 1.0, f"first_byte_ms=300: headers after {t_headers * 1000:.0f} ms")
    # Judged from the request, not from the role chunk: a reader woken late for the role chunk
    # (a loaded machine) would see the pause shrink, but the mock cannot send its token sooner
    # than 300 + 200 ms after the request.
    check(0.48 < times[1] < 1.3 and times[10] - times[1] < 0.15,
          f"first_token_ms=200 (first token {times[1] * 1000:.0f} ms after the request, the role chunk {times[0] * 1000:.0f} ms), "
          f"token_delay_ms=0 ({(times[10] - times[1]) * 1000:.0f} ms for 9)")

    # Client leaves.
    check_leave_noticed(m, "token_delay_ms=1000", 1.5, "client_closed")
    check_leave_noticed(m, "stall_after=2,token_delay_ms=10", 0.5, "stalled_then_client_closed")
    check_leave_noticed(m, "first_byte_ms=5000", 0.3, "client_closed")
    s = m.raw_socket()
    s.sendall(raw_request(chat_body(), "stall_after=1"))
    time.sleep(0.3)
    r, stats = m.last_record(), m.get("/mock/stats")
    check(r["outcome"] == "running" and r["ended_ms"] is None and r["tokens_sent"] == 1 and stats["streams_active"] == 1,
          "a stalled stream shows as running")
    s.close()
    time.sleep(0.2)
    stats = m.get("/mock/stats")
    check(stats["streams_active"] == 0 and stats["stalled_then_client_closed"] == 1 and stats["requests"] == 2, "/mock/stats counts")

    # Errors.
    status, _, data = m.chat("{not json")
    check(status == 400 and "error" in json.loads(data) and m.last_record()["outcome"] == "status_400", "bad JSON: 400, recorded")
    check(m.chat({"model": "x"})[0] == 400, "missing messages: 400")
    status, _, data = m.request("GET", "/nope")
    check(status == 404 and json.loads(data)["error"]["code"] == "unknown_url", "unknown path: 404 JSON")

    # One connection, many requests; then two requests in one write.
    before = m.get("/mock/stats")["connections"]
    c = m.connect()
    codes = [m.chat(chat_body(stream=i % 2 == 0), "token_delay_ms=0", conn=c)[0] for i in range(4)]
    codes += [m.chat(chat_body(), "status=429", conn=c)[0], m.chat(chat_body(), "error_event_after=1", conn=c)[0]]
    after = m.get("/mock/stats")["connections"]
    check(codes == [200, 200, 200, 200, 429, 200] and after - before == 2, "keep-alive: 6 requests on one connection")
    s = m.raw_socket()
    one = raw_request(chat_body(stream=False))
    s.sendall(one + one.replace(b"Host: mock\r\n", b"Host: mock\r\nConnection: close\r\n"))
    s.settimeout(10)
    got = b""
    while chunk := s.recv(65536):
        got += chunk
    check(got.count(b"HTTP/1.1 200 OK") == 2, "pipelined requests both answered")


def main():
    p, port = start()
    m = Mock(port)
    text = check_default_stream(m)
    main_checks(m, text, port)
    check(stop(p) == 0, "SIGTERM: exit 0")

    p, port = start("--tokens", "7", "--token-delay-ms", "0", "--first-token-ms", "250",
                    "--reply-text", "Halo kak!\nHarga Rp 1.500.000, ya.")
    _, _, lines, _ = Mock(port).stream(chat_body())
    tokens = content_tokens(sse_events("".join(line for _, line in lines)))
    times = [t for t, line in lines if line.startswith("data:")]
    check(tokens == ["Halo", " kak!", "\nHarga", " Rp", " 1.500.000,", " ya.", " Halo"], f"--reply-text, --tokens: {tokens}")
    check(0.23 < times[1] - times[0] < 1.0 and times[7] - times[1] < 0.15, "--first-token-ms, --token-delay-ms 0")
    check(stop(p, signal.SIGINT) == 0, "SIGINT: exit 0")

    p, port = start("--fault", "status=429,retry_after=1")
    m = Mock(port)
    status, h, _ = m.chat(chat_body())
    check(status == 429 and h.get("Retry-After") == "1" and m.chat(chat_body(), "status=500")[0] == 500
          and m.last_record()["fault"] == "status=429,retry_after=1,status=500", "--fault, overridden by the header")
    stop(p)

    if shutil.which("openssl"):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{tmp}/key.pem",
                            "-out", f"{tmp}/cert.pem", "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
            p, port = start("--tls-cert", f"{tmp}/cert.pem", "--tls-key", f"{tmp}/key.pem")
            m = Mock(port, tls=True)
            check_default_stream(m, "(TLS) ")
            check_leave_noticed(m, "stall_after=3", 0.4, "stalled_then_client_closed")
            c = m.connect()
            check([m.chat(chat_body(stream=i % 2 == 0), "token_delay_ms=0", conn=c)[0] for i in range(4)] == [200] * 4,
                  "(TLS) keep-alive")
            check(stop(p) == 0, "(TLS) SIGTERM: exit 0")
    else:
        print("skip HTTPS checks: no openssl")

    print("\nFAILED:\n  " + "\n  ".join(failures) if failures else "\nall checks passed")
    return 1 if failures else 0


sys.exit(main())
