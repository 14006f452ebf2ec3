#!/usr/bin/env python3
"""Unit tests of tools/load/bench_lib.py's pure parts (ctest: load_bench_lib)."""

import os
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import bench_lib as b  # noqa: E402


def record(tag, ended_ms, outcome="client_closed", seq=1, started_ms=0):
    content = "I need a laptop" + (f" [ref {tag}]" if tag else "")
    return {
        "seq": seq,
        "body": {"messages": [{"role": "system", "content": "be nice [ref cancel-999]"},
                              {"role": "user", "content": "earlier [ref cancel-998]"},
                              {"role": "assistant", "content": "ok"},
                              {"role": "user", "content": content}]},
        "started_ms": started_ms,
        "ended_ms": ended_ms,
        "outcome": outcome,
        "tokens_sent": 1,
    }


class Percentile(unittest.TestCase):
    def test_nearest_rank(self):
        values = list(range(1, 101))  # 1..100
        self.assertEqual(b.percentile(values, 50), 50)
        self.assertEqual(b.percentile(values, 99), 99)
        self.assertEqual(b.percentile(values, 100), 100)
        self.assertEqual(b.percentile(values, 0), 1)
        self.assertEqual(b.percentile([3, 1, 2], 50), 2)
        self.assertEqual(b.percentile([5], 99), 5)
        self.assertIsNone(b.percentile([], 50))

    def test_p99_of_200_is_the_198th(self):
        values = [1.0] * 197 + [5.0, 7.0, 9.0]
        self.assertEqual(b.percentile(values, 99), 5.0)


class KeyValues(unittest.TestCase):
    def test_numbers_stay_numbers(self):
        self.assertEqual(b.parse_kv(["a=1", "b=2.5", "c=x y", "d=", "e=1.2 0.9"]),
                         {"a": 1, "b": 2.5, "c": "x y", "d": "", "e": "1.2 0.9"})
        with self.assertRaises(ValueError):
            b.parse_kv(["novalue"])


class Cancellations(unittest.TestCase):
    def test_tag_is_read_from_the_last_user_message_only(self):
        self.assertEqual(b.request_tag(record("cancel-7", 10)), "cancel-7")
        self.assertIsNone(b.request_tag(record(None, 10)))
        self.assertIsNone(b.request_tag({"body": None}))
        self.assertIsNone(b.request_tag({"body": {"messages": "x"}}))

    def test_matching_by_tag_with_whole_millisecond_bounds(self):
        closes = [{"tag": "cancel-1", "closed_ms": 1000.25},
                  {"tag": "cancel-2", "closed_ms": 2000.5},
                  {"tag": "cancel-3", "closed_ms": 3000.0},
                  {"tag": "cancel-4", "closed_ms": 4000.0}]
        records = [record("cancel-2", 2003, seq=1), record("cancel-1", 1001, seq=2),
                   record("cancel-3", None, outcome="running", seq=3), record(None, 5000, seq=4)]
        result = b.match_cancellations(closes, records)
        self.assertEqual([m["tag"] for m in result["matched"]], ["cancel-1", "cancel-2"])
        first = result["matched"][0]
        self.assertAlmostEqual(first["lower_ms"], 0.75)
        self.assertAlmostEqual(first["upper_ms"], 1.75)
        self.assertAlmostEqual(result["matched"][1]["upper_ms"], 3.5)
        self.assertEqual(result["still_running"], ["cancel-3"])
        self.assertEqual(result["unmatched"], ["cancel-4"])
        self.assertEqual(result["retried"], 0)

    def test_a_retried_request_counts_its_last_attempt(self):
        closes = [{"tag": "cancel-1", "closed_ms": 100.0}]
        records = [record("cancel-1", 50, outcome="status_500", seq=1), record("cancel-1", 102, seq=2)]
        result = b.match_cancellations(closes, records)
        self.assertEqual(result["retried"], 1)
        self.assertAlmostEqual(result["matched"][0]["upper_ms"], 3.0)

    def test_summary(self):
        closes = [{"tag": f"cancel-{i}", "closed_ms": float(i * 100)} for i in range(1, 101)]
        records = [record(f"cancel-{i}", i * 100 + (1 if i < 100 else 40), seq=i) for i in range(1, 101)]
        records[0]["outcome"] = "completed"
        s = b.summarize_cancellations(b.match_cancellations(closes, records))
        self.assertEqual(s["matched"], 100)
        self.assertEqual(s["upper_ms"]["p50"], 2.0)
        self.assertEqual(s["upper_ms"]["p99"], 2.0)
        self.assertEqual(s["upper_ms"]["max"], 41.0)
        self.assertEqual(s["lower_ms"]["p50"], 1.0)
        self.assertEqual(s["outcomes"], {"completed": 1, "client_closed": 99})
        empty = b.summarize_cancellations({"matched": [], "unmatched": ["x"], "still_running": []})
        self.assertIsNone(empty["upper_ms"]["p99"])
        self.assertEqual(empty["unmatched"], 1)


class Verdicts(unittest.TestCase):
    def test_below_and_at_least(self):
        self.assertEqual(b.verdict(0.9, 1.0), "met")
        self.assertEqual(b.verdict(1.0, 1.0), "missed")
        self.assertEqual(b.verdict(100000, 100000, below=False), "met")
        self.assertEqual(b.verdict(99999, 100000, below=False), "missed")
        self.assertEqual(b.verdict(None, 1.0), "not measured")


class Derived(unittest.TestCase):
    def test_saturation(self):
        x = b.derive({"part": "saturation", "tokens": 64}, {},
                     {"total_s": 10.0, "chat": {"chunks": 320000, "chunks_per_s": 32000.0}},
                     {"completed": 10000}, {"chunks_total": 640000})
        self.assertAlmostEqual(x["upstream_tokens_per_s"], 64000.0)
        self.assertAlmostEqual(x["server_chunks_per_s"], 64000.0)
        self.assertAlmostEqual(x["frames_per_s"], 32000.0)
        self.assertAlmostEqual(x["tokens_per_frame"], 2.0)

    def test_saturation_medians(self):
        runs = [{"params": {"connections": 100}, "extra": {"upstream_tokens_per_s": v, "frames_per_s": v / 2}}
                for v in (45000.0, 63000.0, 50000.0)]
        runs.append({"params": {"connections": 1000}, "extra": {"upstream_tokens_per_s": 40000.0, "frames_per_s": 1.0}})
        g = b.saturation_medians(runs)
        self.assertEqual([x["connections"] for x in g], [100, 1000])
        self.assertEqual(g[0]["runs"], 3)
        self.assertEqual(g[0]["upstream_tokens_per_s"], 50000.0)
        self.assertEqual(g[0]["frames_per_s"], 25000.0)
        self.assertEqual(g[1]["upstream_tokens_per_s"], 40000.0)

    def test_median_latency(self):
        def run(p99):
            return {"load": {"latency_us": {"first_chunk_server_added": {"count": 10, "p99": p99}}}}
        runs = [run(4000.0), run(1200.0), run(2500.0)]
        self.assertEqual(b.median_latency(runs, "first_chunk_server_added", "p99"), 2500.0)
        self.assertIsNone(b.median_latency(runs, "chunk_gap_server_added", "p99"))
        self.assertIsNone(b.median_latency([], "first_chunk_server_added", "p99"))

    def test_stamp_rows(self):
        runs = [
            {"params": {"part": "chat", "series": "main", "connections": 1000, "repeat": 2},
             "load": {"latency_us": {"chunk_gap_server_added": {"count": 5, "p99": 2500.0},
                                     "first_chunk_server_added": {"count": 2, "p99": 3000.0},
                                     "to_upstream": {"count": 2, "p99": 1200.0},
                                     "upstream_late": {"count": 5, "p99": 900.0},
                                     "transit": {"count": 5, "p99": 1800.0}}},
             "cpu": {"steal_pct": 3.0}},
            {"params": {"part": "chat", "series": "main", "connections": 100},  # an unstamped mock
             "load": {"latency_us": {"chunk_gap_server_added": {"count": 5, "p99": 1.0}}}},
            {"params": {"part": "chat", "series": "floor", "connections": 1000},
             "load": {"latency_us": {"transit": {"count": 2, "p99": 700.0}}}},
        ]
        rows = b.stamp_rows(runs)
        self.assertEqual(len(rows), 2)
        self.assertEqual((rows[0]["connections"], rows[0]["repeat"], rows[0]["floor"]), (1000, 2, False))
        self.assertEqual(rows[0]["gap_p99"], 2500.0)
        self.assertEqual(rows[0]["upstream_late"]["p99"], 900.0)
        self.assertEqual(rows[0]["transit"]["p99"], 1800.0)
        self.assertEqual(rows[0]["first_chunk_p99"], 3000.0)
        self.assertEqual(rows[0]["to_upstream"]["p99"], 1200.0)
        self.assertEqual(rows[1]["to_upstream"], {})
        self.assertEqual(rows[0]["steal_pct"], 3.0)
        self.assertTrue(rows[1]["floor"])
        self.assertEqual(rows[1]["upstream_late"], {})

    def test_process_waits(self):
        before = {"t": 100.0, "sched": {"11": [5_000_000, 1_000_000, 100], "12": [1, 2, 3]}}
        after = {"t": 110.0, "sched": {"11": [900_000_000, 51_000_000, 1100], "12": [1, 2, 3]}}
        load = {"total_s": 10.0, "load_process": {"run_queue_wait_s": 0.02, "timeslices": 400}}
        w = b.process_waits(before, after, {"server_pid": 11, "mock_pid": 12}, load)
        self.assertAlmostEqual(w["server"]["wait_ms"], 50.0)
        self.assertAlmostEqual(w["server"]["pct_of_run"], 0.5)
        self.assertAlmostEqual(w["server"]["per_run_us"], 50.0)
        self.assertEqual(w["server"]["runs"], 1000)
        self.assertIsNone(w["mock"])  # never run over the interval: nothing to average
        self.assertAlmostEqual(w["load"]["per_run_us"], 50.0)
        self.assertAlmostEqual(w["load"]["pct_of_run"], 0.2)
        # a kernel without the figures, or a report without them: left out
        self.assertEqual(b.process_waits({"t": 1.0}, {"t": 2.0}, {"server_pid": 11}, {"load_process": {"cpu_user_s": 1}}), {})
        runs = [{"params": {"part": "chat", "connections": 1000}, "waits": w,
                 "load": {"latency_us": {"transit": {"count": 5, "p99": 1800.0}}}}]
        self.assertEqual(b.stamp_rows(runs)[0]["waits"]["server"]["runs"], 1000)

    def test_floor_rows(self):
        wake = lambda p99: {"latency_us": {"wakeup_late": {"count": 9000, "p50": 40, "p99": p99}}}
        runs = [
            {"params": {"part": "chat", "series": "floor", "connections": 1000, "order": 5}, "wakeup": wake(900.0),
             "load": {"latency_us": {"first_chunk_server_added": {"count": 10, "p99": 3000.0},
                                     "chunk_gap_server_added": {"count": 10, "p99": 1500.0}}},
             "cpu": {"steal_pct": 4.2}},
            {"params": {"part": "chat", "series": "main", "connections": 1000, "order": 2}, "wakeup": None, "load": {}},
            {"params": {"part": "wakeup", "order": 4}, "wakeup": wake(350.0), "load": None, "cpu": None},
        ]
        rows = b.floor_rows(runs)
        self.assertEqual([r["label"] for r in rows], ["alone", "beside 1,000 conversations"])
        self.assertEqual(rows[0]["wakeup"]["p99"], 350.0)
        self.assertIsNone(rows[0]["first_chunk_p99"])
        self.assertEqual(rows[1]["first_chunk_p99"], 3000.0)
        self.assertEqual(rows[1]["gap_p99"], 1500.0)
        self.assertEqual(rows[1]["steal_pct"], 4.2)
        self.assertEqual(b.floor_rows(runs[1:2]), [])

    def test_idle_cold_and_warm(self):
        x = b.derive({"part": "idle"}, {"rss_cold_kib": 8000, "rss_before_kib": 10000, "rss_with_kib": 162000, "rss_after_kib": 9900},
                     {"connections": {"opened": 19000, "failed": 0, "dropped": 0, "failures": {}}}, None, None)
        self.assertAlmostEqual(x["after_vs_before_pct"], -1.0)
        self.assertAlmostEqual(x["after_vs_cold_pct"], 23.75)

    def test_idle(self):
        x = b.derive({"part": "idle"}, {"rss_before_kib": 10000, "rss_with_kib": 162000, "rss_after_kib": 10500},
                     {"connections": {"opened": 19000, "failed": 0, "dropped": 0, "failures": {}}}, None, None)
        self.assertAlmostEqual(x["rss_per_connection_kib"], 8.0)
        self.assertAlmostEqual(x["after_vs_before_pct"], 5.0)
        self.assertEqual(x["opened"], 19000)
        self.assertIsNone(x["failures"])


class FdBudget(unittest.TestCase):
    def test_two_descriptors_per_streaming_conversation(self):
        self.assertTrue(b.fd_budget(1000, 20000))
        self.assertTrue(b.fd_budget(9992, 20000))
        self.assertFalse(b.fd_budget(10000, 20000))


class Cpu(unittest.TestCase):
    def test_shares(self):
        before = {"t": 0.0, "hz": 100, "cores": 2, "stat": [100, 0, 100, 800, 0, 0, 0, 0], "pids": {"7": 10, "8": 0}}
        after = {"t": 10.0, "hz": 100, "cores": 2, "stat": [700, 0, 500, 1800, 0, 0, 0, 0], "pids": {"7": 510, "8": 100}}
        c = b.cpu_share(before, after, [7, 8, 9])
        self.assertAlmostEqual(c["machine_busy_pct"], 2 * 100.0 * 1000 / 2000)
        self.assertAlmostEqual(c["processes_pct"], 100.0)
        self.assertAlmostEqual(c["softirq_pct"], 0.0)
        self.assertAlmostEqual(c["7"], 50.0)
        self.assertAlmostEqual(c["8"], 10.0)
        self.assertNotIn("9", c)
        run = {"cpu": c, "params": {"server_pid": 7, "mock_pid": 8},
               "load": {"load_process": {"cpu_user_s": 2.0, "cpu_system_s": 1.0}}}
        self.assertAlmostEqual(b.other_cpu(run), 100.0 - 50.0 - 10.0 - 30.0)


class Chart(unittest.TestCase):
    def test_svg_is_well_formed_and_has_every_point(self):
        svg = b.latency_svg([100, 1000, 10000],
                            [("first chunk", {"p50": [0.2, 0.5, 3.0], "p90": [0.4, 0.9, None], "p99": [0.0, 2.0, 40.0]}),
                             ("gap", {"p50": [0.01, 0.02, 0.03], "p90": [0.1, 0.2, 0.3], "p99": [1.0, 2.0, 3.0]})],
                            target_ms=1.0, title="t & <t>", note="n")
        root = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        self.assertEqual(root.tag, ns + "svg")
        self.assertEqual(len(root.findall(f"{ns}circle")), 8 + 9)
        self.assertEqual(len(root.findall(f"{ns}polyline")), 6)
        texts = "".join(t.text or "" for t in root.iter(f"{ns}text"))
        self.assertIn("10,000", texts)
        self.assertIn("t & <t>", texts)
        self.assertIn("target: p99 < 1 ms", texts)
        self.assertIn("hollow: 0", texts)

    def test_log_ticks(self):
        self.assertEqual(b._log_ticks(0.01, 10), [0.01, 0.1, 1, 10])


def slow_run(connections, per_client, duration=60, read_per_s=81920.0, name=None):
    """A slow run as load_run() gives it: per_client(t) is the server's RSS per slow client (KiB)."""
    samples = [{"t_s": 0.0, "rss_kib": 10000, "open": 0, "bytes_read": 0, "per_client_kib": None}]
    for t in range(1, duration + 1):
        pc = per_client(t)
        samples.append({"t_s": t + 0.001, "rss_kib": int(10000 + pc * connections), "open": connections,
                        "bytes_read": int(t * connections * read_per_s), "per_client_kib": pc})
    load = {"elapsed_s": float(duration), "slow": {
        "read_bytes": 8192, "read_interval_ms": 100, "pace_bytes_per_s": 81920.0,
        "bytes_read": int(duration * connections * read_per_s), "bytes_read_per_client_per_s": read_per_s,
        "requests": connections, "replies": 0, "reply_errors": 0, "rss_samples": samples,
        "rss_start_kib": 10000, "rss_stop_kib": samples[-1]["rss_kib"], "per_client_stop_kib": per_client(duration),
        "slope_kib_per_s": (per_client(duration) - per_client(duration // 2)) / (duration - duration // 2),
        "slope_from_s": duration / 2, "slope_to_s": float(duration)}}
    params = {"part": "slow", "connections": connections, "duration_s": duration, "read_bytes": 8192,
              "read_interval_ms": 100, "tokens": 20000, "token_bytes": 1000, "max_tokens": 1000000,
              "outbox_limit_bytes": 262144, "order": connections}
    return {"name": name or f"slow-{connections:05d}", "params": params, "load": load, "server_state": "alive",
            "cmd": "brandchat-load --scenario slow --json", "cpu": None}


class SlowReaders(unittest.TestCase):
    def test_marks_and_the_nearest_sample(self):
        self.assertEqual(b.slow_mark_step(60), 10)
        self.assertEqual(b.slow_mark_step(10), 2)
        self.assertEqual(b.slow_mark_step(3), 1)
        self.assertEqual(b.slow_mark_step(None), 1)
        samples = [{"t_s": 0.0, "per_client_kib": None}, {"t_s": 1.0, "per_client_kib": 5.0},
                   {"t_s": 2.0, "per_client_kib": 7.0}, {"t_s": 30.2, "per_client_kib": 9.0}]
        self.assertEqual(b.per_client_near(samples, 0), 5.0)       # the baseline has nobody open
        self.assertEqual(b.per_client_near(samples, 1.5), 7.0)     # a tie goes to the later one
        self.assertEqual(b.per_client_near(samples, 30), 9.0)
        self.assertIsNone(b.per_client_near(samples, 10))          # nothing within 1.5 s
        self.assertIsNone(b.per_client_near([], 10))

    def test_figures_flat_and_growing(self):
        flat = b.slow_figures(slow_run(10, lambda t: 330.0)["load"], slow_run(10, lambda t: 330.0)["params"])
        self.assertEqual([t for t, _ in flat["marks"]], [10, 20, 30, 40, 50, 60])
        self.assertEqual([v for _, v in flat["marks"]], [330.0] * 6)
        self.assertAlmostEqual(flat["slope_kib_per_s"], 0.0)
        self.assertAlmostEqual(flat["growth_of_read_pct"], 0.0)
        self.assertEqual(flat["verdict"], "flat")
        self.assertAlmostEqual(flat["read_per_client_kib_per_s"], 80.0)
        self.assertAlmostEqual(flat["read_of_pace_pct"], 100.0)
        self.assertEqual(flat["open_at_stop"], 10)
        # one byte kept per byte read: growth is the read rate
        r = slow_run(100, lambda t: 300.0 + 80.0 * t, read_per_s=40960.0)
        grow = b.slow_figures(r["load"], r["params"])
        self.assertAlmostEqual(grow["slope_kib_per_s"], 80.0)
        self.assertAlmostEqual(grow["growth_of_read_pct"], 200.0)  # it read at half the pace
        self.assertAlmostEqual(grow["read_of_pace_pct"], 50.0)
        self.assertEqual(grow["verdict"], "grows")
        edge = slow_run(10, lambda t: 300.0 + 8.0 * t)  # 10 % of 80 KiB/s: still flat
        self.assertEqual(b.slow_figures(edge["load"], edge["params"])["verdict"], "flat")
        self.assertEqual(dict(grow["marks"])[30], 300.0 + 80.0 * 30)
        # a run with no load report
        empty = b.slow_figures(None, {"duration_s": 10})
        self.assertEqual([v for _, v in empty["marks"]], [None] * 5)
        self.assertIsNone(empty["growth_of_read_pct"])
        self.assertIsNone(empty["verdict"])

    def test_section(self):
        runs = [slow_run(10, lambda t: 330.0), slow_run(100, lambda t: 300.0 + 80.0 * t)]
        lines = b.slow_section(runs, {"machine": {"date": "D"}, "server_version": "brandchat 2", "server_sha256": "ab" * 32})
        text = "\n".join(lines)
        self.assertEqual(lines[0], b.SLOW_HEADING)
        self.assertNotIn("Run alone", text)
        self.assertIn("| per slow client (KiB) at 10 s | 20 s | 30 s | 40 s | 50 s | 60 s |", text)
        self.assertIn("| 10 | 60.0 | 80.0 KiB/s (100 % of the pace) | 330 | 330 | 330 | 330 | 330 | 330 | **+0.00** | 0 % | flat |", text)
        self.assertIn("| 100 | 60.0 | 80.0 KiB/s (100 % of the pace) | 1,100 | 1,900 | 2,700 | 3,500 | 4,300 | 5,100 | **+80.00** | 100 % | grows |", text)
        self.assertIn("`--outbox-limit-bytes` (262,144)", text)
        self.assertNotIn("send buffer grow", text)  # the kernel's limit was not recorded
        runs[0]["params"]["tcp_wmem"] = "4096\t16384\t4194304"
        self.assertIn("send buffer grow to 4.0 MiB (`net.ipv4.tcp_wmem` 4096 16384 4194304)",
                      "\n".join(b.slow_section(runs, {})))
        self.assertIn("| t (s) | 10 clients: RSS | per client | read | 100 clients: RSS | per client | read |", text)
        self.assertIn("| 30 | ", text)
        self.assertIn("# slow-00010", text)
        self.assertIn("The server was alive at the end of every run; its log had 0 warnings and 0 errors; "
                      "connections failed 0, dropped 0.", text)
        runs[1]["server_state"] = "died during the run (exit status 139; last log line: x)"
        self.assertIn("slow-00100: the server died during the run (exit status 139", "\n".join(b.slow_section(runs, {})))
        alone = "\n".join(b.slow_section(runs[:1], {"mode": "quick", "machine": {"date": "D", "nproc": 2}, "server_sha256": "ab" * 32}, standalone=True))
        self.assertIn("Run alone (`tools/bench --quick --only slow`) on D, 2 cores", alone)
        self.assertNotIn("commit", alone)
        meta = {"machine": {}, "code": "commit 8242e99", "server_source": "build/brandchat"}
        self.assertEqual(b.parse_kv(["code=commit 8242e99"])["code"], "commit 8242e99")  # as tools/bench writes it
        self.assertIn("… (commit 8242e99); the other parts", "\n".join(b.slow_section(runs[:1], meta, standalone=True)))
        meta["server_source"] = "/tmp/old/brandchat"
        self.assertIn("(commit 8242e99, server binary `/tmp/old/brandchat`)", "\n".join(b.slow_section(runs[:1], meta, standalone=True)))
        self.assertEqual(b.slow_section([], {}), [b.SLOW_HEADING, "", "Not run.", ""])

    def test_splice_replaces_inserts_or_appends(self):
        report = "# r\n\n## 6. Start-up\n\nsix\n\n## 7. Slow readers\n\nold\nolder\n\n## Server behaviour during the runs\n\nok\n"
        new = ["## 7. Slow readers", "", "new"]
        self.assertEqual(b.splice_section(report, new),
                         "# r\n\n## 6. Start-up\n\nsix\n\n## 7. Slow readers\n\nnew\n\n## Server behaviour during the runs\n\nok\n")
        without = "# r\n\n## 6. Start-up\n\nsix\n\n## Server behaviour during the runs\n\nok\n"
        self.assertEqual(b.splice_section(without, new),
                         "# r\n\n## 6. Start-up\n\nsix\n\n## 7. Slow readers\n\nnew\n\n## Server behaviour during the runs\n\nok\n")
        self.assertEqual(b.splice_section("# r\n", new), "# r\n\n## 7. Slow readers\n\nnew\n")
        self.assertEqual(b.splice_section("", new), "## 7. Slow readers\n\nnew\n")
        # the last section of a report
        self.assertEqual(b.splice_section("# r\n\n## 7. Slow readers\n\nold\n", new), "# r\n\n## 7. Slow readers\n\nnew\n")


if __name__ == "__main__":
    unittest.main()
