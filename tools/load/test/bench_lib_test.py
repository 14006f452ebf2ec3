#!/usr/bin/env python3
"""Unit tests of tools/load/bench_lib.py's pure parts (ctest: load_bench_lib)."""

import os
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import bench_lib as b  # noqa: E402
import make_catalog as mc  # noqa: E402


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


PAGE = """# HELP brandchat_first_chunk_added_seconds x
# TYPE brandchat_first_chunk_added_seconds histogram
brandchat_first_chunk_added_seconds_bucket{le="0.0005"} 50
brandchat_first_chunk_added_seconds_bucket{le="0.001"} 90
brandchat_first_chunk_added_seconds_bucket{le="0.002"} 100
brandchat_first_chunk_added_seconds_bucket{le="+Inf"} 100
brandchat_first_chunk_added_seconds_sum 0.07
brandchat_first_chunk_added_seconds_count 100
brandchat_replies_total{brand="a",outcome="complete"} 3
"""


class ServerHistograms(unittest.TestCase):
    def test_parse_and_quantiles(self):
        h = b.parse_histograms(PAGE)["brandchat_first_chunk_added_seconds"]
        self.assertEqual(h["count"], 100)
        self.assertAlmostEqual(h["sum"], 0.07)
        self.assertEqual(h["buckets"][-1], (float("inf"), 100))
        # rank 50 is the first bucket's top; rank 99 is 9/10 of the way through (1 ms, 2 ms]
        self.assertAlmostEqual(b.histogram_quantile(0.5, h), 0.0005)
        self.assertAlmostEqual(b.histogram_quantile(0.99, h), 0.0019)
        self.assertAlmostEqual(b.histogram_quantile(0.25, h), 0.00025)
        self.assertAlmostEqual(b.share_within(h, 0.001), 0.9)

    def test_past_the_last_bound_and_empty(self):
        h = {"buckets": [(0.001, 0), (float("inf"), 4)], "count": 4, "sum": 1}
        self.assertEqual(b.histogram_quantile(0.99, h), 0.001)
        self.assertEqual(b.share_within(h, 0.001), 0)
        self.assertIsNone(b.histogram_quantile(0.5, {"buckets": [], "count": 0}))
        self.assertEqual(b.server_latency(""), {})

    def test_server_latency(self):
        s = b.server_latency(PAGE)["brandchat_first_chunk_added_seconds"]
        self.assertAlmostEqual(s["p99"], 1900)
        self.assertAlmostEqual(s["within_1ms"], 0.9)
        self.assertNotIn("brandchat_upstream_request_delay_seconds", b.server_latency(PAGE))


def chat_run(series, repeat, order, steal, within):
    lat = {"brandchat_chunk_write_delay_seconds": {"count": 1000, "p50": 50.0, "p99": 900.0 if within >= 0.99 else 3000.0,
                                                   "within_1ms": within}}
    return {"name": f"chat-01000-{series}-{repeat}", "load": {"chat": {}},
            "params": {"part": "chat", "series": series, "repeat": repeat, "order": order, "connections": 1000},
            "cpu": {"steal_pct": steal}, "server_latency": lat}


class InServerJudgement(unittest.TestCase):
    NAME = "brandchat_chunk_write_delay_seconds"

    def runs(self):
        return [chat_run("main", 1, 1, 30.0, 0.95), chat_run("main", 2, 2, 1.0, 0.995),
                chat_run("quiet", 1, 5, 4.9, 0.993), chat_run("quiet", 2, 6, 5.0, 0.90),
                chat_run("pace", 1, 3, 0.0, 0.5)]

    def test_only_main_and_quiet_runs_of_1000_count_in_order(self):
        runs = self.runs() + [dict(chat_run("main", 1, 0, 0.0, 1.0), params={"part": "chat", "series": "main", "connections": 100})]
        picked = b.in_server_runs(runs)
        self.assertEqual([r["name"] for r in picked],
                         ["chat-01000-main-1", "chat-01000-main-2", "chat-01000-quiet-1", "chat-01000-quiet-2"])

    def test_judged_on_runs_below_the_steal_bound(self):
        runs = b.in_server_runs(self.runs())
        judged, bound = b.judged_in_server_runs(runs, {"quiet_steal_pct": 5})
        self.assertEqual(bound, 5)
        self.assertEqual([r["name"] for r in judged], ["chat-01000-main-2", "chat-01000-quiet-1"])  # 5.0 is not below 5
        row = b.in_server_target_row(self.NAME, "x", judged, len(runs), bound)
        self.assertIn("median of the 2 runs with steal < 5 %", row)
        self.assertIn("**met**", row)
        # the noisy runs alone would miss it
        noisy = [r for r in runs if r not in judged]
        self.assertIn("**missed**", b.in_server_target_row(self.NAME, "x", noisy, len(runs), None))

    def test_not_judged_without_a_quiet_run(self):
        runs = [chat_run("main", 1, 1, 30.0, 0.995)]
        judged, bound = b.judged_in_server_runs(runs, {"quiet_steal_pct": 5})
        self.assertEqual(judged, [])
        self.assertIn("**not judged**", b.in_server_target_row(self.NAME, "x", judged, 1, bound))

    def test_older_results_are_judged_on_every_run(self):
        runs = b.in_server_runs(self.runs())
        judged, bound = b.judged_in_server_runs(runs, {})
        self.assertIsNone(bound)
        self.assertEqual(len(judged), 4)

    def test_section_lists_every_run_with_its_steal(self):
        runs = b.in_server_runs(self.runs())
        judged, bound = b.judged_in_server_runs(runs, {"quiet_steal_pct": 5, "quiet_extra_max": 6, "quiet_needed": 3})
        lines = b.in_server_section(runs, judged, bound, {"quiet_extra_max": 6, "quiet_needed": 3})
        rows = [line for line in lines if line.startswith("| ") and "%" in line and "steal" not in line]
        self.assertEqual([row.split(" | ")[0] for row in rows], ["| 1", "| 2", "| quiet-1", "| quiet-2"])
        self.assertEqual([row.split(" | ")[2] for row in rows], ["no", "yes", "yes", "no"])


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


def store_run(pair, stage, database, replies_per_s, ttfc_p50, server_pct=90.0, seconds=10.0, written=None, commits=None):
    """A part-8 run as load_run() gives it."""
    replies = int(replies_per_s * seconds)
    health = {"store": {"exchanges_written": written, "commits": commits, "write_errors": 0}} if written is not None else {}
    return {"name": f"store-{pair}-{stage}-{database}", "dir": "",
            "params": {"part": "store", "pair": pair, "stage": stage, "database": database, "connections": 100,
                       "tokens": 64, "token_delay_ms": 0 if stage == "saturation" else 20, "duration_s": seconds,
                       "ramp_per_s": 2000, "server_pid": 11, "mock_pid": 12, "order": pair},
            "load": {"total_s": seconds, "chat": {"replies": replies, "replies_per_s": replies_per_s, "reply_errors": 0},
                     "latency_us": {"first_chunk_server_added": {"count": replies, "p50": ttfc_p50, "p90": ttfc_p50 * 2, "p99": ttfc_p50 * 4},
                                    "chunk_gap_server_added": {"count": replies, "p50": 10, "p99": 100}}},
            "mock_stats": {"completed": replies}, "health": health, "cpu": {"seconds": seconds, "11": server_pct, "processes_pct": server_pct + 5.0, "machine_busy_pct": 100.0},
            "extra": {"db_bytes": 3 * 1048576 if database == "file" else 0}, "server_state": "alive",
            "cmd": f"brandchat --database {database}"}


class Store(unittest.TestCase):
    def test_within(self):
        self.assertEqual(b.within(0.1, 0.1), "met")
        self.assertEqual(b.within(-3.0, 0.1), "met")
        self.assertEqual(b.within(0.11, 0.1), "missed")
        self.assertEqual(b.within(None, 0.1), "not measured")

    def test_figures(self):
        f = b.store_figures(store_run(1, "saturation", "file", 2000.0, 5000, server_pct=80.0, written=20050, commits=4010))
        self.assertEqual(f["replies"], 20000)
        self.assertAlmostEqual(f["cpu_per_reply_us"], 400.0)  # 0.8 core × 10 s / 20,000 replies
        self.assertAlmostEqual(f["upstream_tokens_per_s"], 128000.0)
        self.assertAlmostEqual(f["mean_batch"], 5.0)
        self.assertEqual((f["ttfc_p50"], f["ttfc_p99"]), (5000, 20000))
        self.assertEqual(f["write_errors"], 0)
        m = b.store_figures(store_run(1, "saturation", "memory", 2000.0, 5000))
        self.assertIsNone(m["mean_batch"])
        self.assertIsNone(m["exchanges_written"])
        self.assertIsNone(m["db_bytes"])
        empty = b.store_figures({"params": {"part": "store"}, "load": None, "cpu": None, "health": None})
        self.assertIsNone(empty["cpu_per_reply_us"])
        self.assertIsNone(empty["upstream_tokens_per_s"])

    def test_summary_and_verdicts(self):
        runs = []
        for pair, (mem, fil) in enumerate([(2000.0, 1900.0), (2100.0, 1700.0), (1900.0, 1850.0)], start=1):
            runs.append(store_run(pair, "saturation", "memory", mem, 4000))
            runs.append(store_run(pair, "saturation", "file", fil, 4500, written=100, commits=10))
            runs.append(store_run(pair, "paced", "memory", 300.0, 200 + pair))
            runs.append(store_run(pair, "paced", "file", 300.0, 250 + pair, written=100, commits=50))
        s = b.store_summary([b.store_figures(r) for r in runs])
        self.assertEqual(s[("saturation", "memory")]["replies_per_s"], 2000.0)
        self.assertEqual(s[("saturation", "file")]["replies_per_s"], 1850.0)
        self.assertAlmostEqual(s["throughput_ratio"], 0.925)
        self.assertEqual(s["throughput_verdict"], "met")
        self.assertAlmostEqual(s["ttfc_diff_ms_saturation"], 0.5)
        self.assertEqual(s["ttfc_verdict_saturation"], "missed")
        self.assertAlmostEqual(s["ttfc_diff_ms_paced"], 0.05)
        self.assertEqual(s["ttfc_verdict_paced"], "met")
        self.assertEqual(s[("paced", "file")]["mean_batch"], 2.0)
        slow = b.store_summary([b.store_figures(store_run(1, "saturation", "memory", 2000.0, 1)),
                                b.store_figures(store_run(1, "saturation", "file", 1799.0, 1))])
        self.assertEqual(slow["throughput_verdict"], "missed")
        self.assertEqual(slow["ttfc_verdict_paced"], "not measured")

    def test_section(self):
        runs = [store_run(1, "saturation", "memory", 2000.0, 4000), store_run(1, "saturation", "file", 1900.0, 4100, written=19000, commits=3800),
                store_run(1, "paced", "memory", 300.0, 200), store_run(1, "paced", "file", 300.0, 230, written=3000, commits=2900)]
        lines = b.store_section(runs, {"mode": "quick"})
        text = "\n".join(lines)
        self.assertEqual(lines[0], b.STORE_HEADING)
        self.assertIn("Quick mode", text)
        self.assertIn("1 pair of each stage", text)
        self.assertIn("| 1 | file | 10.0 | 1,900 | 121,600 | 0 | 90 % | 474 µs | 4.100 ms | 16.4 ms | 19,000 | 3,800 | 5.0 | 0 | 3.0 MiB | 5 % |", text)
        self.assertIn("| 1 | memory | 3,000 | 0.200 | 0.400 | 0.800 | 0.010 | 0.100 | 90 % | 3,000 µs | – | – | – | – | 5 % |", text)
        self.assertIn("| saturation throughput, file / memory ≥ 0.90 (median replies/s) | 2,000 | 1,900 | 0.950 | **met** |", text)
        self.assertIn("100 conversations at 20 ms per token (median of the runs' p50) | 0.200 ms | 0.230 ms | +0.030 ms | **met** |", text)
        self.assertIn("at saturation (median of the runs' p50) | 4.000 ms | 4.100 ms | +0.100 ms | **met** |", text)
        self.assertIn("The server was alive at the end of every run; its log had 0 warnings and 0 errors; "
                      "the store counted 0 write errors; every file run wrote at least as many exchanges", text)
        self.assertIn("# store-1-paced-file", text)
        self.assertNotIn("Run alone", text)
        runs[3]["health"]["store"]["exchanges_written"] = 10
        alone = "\n".join(b.store_section(runs, {"machine": {"date": "D", "nproc": 2}}, standalone=True))
        self.assertIn("Run alone (`tools/bench --only store`) on D, 2 cores", alone)
        self.assertIn("in 1 paced it wrote fewer exchanges than the clients got replies", alone)
        self.assertEqual(b.store_section([], {}), [b.STORE_HEADING, "", "Not run.", ""])


def chat(brand, message, ms, error=None, products=3):
    return {"brand": brand, "message": message, "ms": ms, "first_chunk_ms": ms / 2, "chunks": 5,
            "products": None if error else products, "error": error}


def catalog_run(techpro_ms, bigshop_ms, reopen_ms=(900.0, 1100.0, 1000.0), hwm_kib=200 * 1024):
    chats = [chat("techpro", "cheapest phone", v) for v in techpro_ms] + [chat("bigshop", "cheapest phone", v) for v in bigshop_ms]
    return {"name": "catalog", "dir": "", "params": {"part": "catalog", "products": 100000, "chats": 3, "server_pid": 11, "order": 1},
            "extra": {"catalog_bytes": 57 * 1048576, "catalog_sha256": "sha256 " + "ab" * 32, "generate_s": 3.2,
                      "small_products": 47, "small_brand": "techpro", "big_brand": "bigshop",
                      "rss_after_start_kib": 150 * 1024, "rss_after_chats_kib": 160 * 1024, "hwm_kib": hwm_kib, "db_bytes": 90 * 1048576,
                      "startup_import": {"runs": [{"ms": 12000.0, "rss_kib": 400 * 1024, "hwm_kib": 500 * 1024}], "timeout_s": 600},
                      "startup_reopen": {"runs": [{"ms": v, "rss_kib": 150 * 1024, "hwm_kib": 160 * 1024} for v in reopen_ms],
                                         "median_ms": sorted(reopen_ms)[len(reopen_ms) // 2],
                                         "min_ms": min(reopen_ms), "max_ms": max(reopen_ms)},
                      "chats": {"brands": ["techpro", "bigshop"], "messages": ["cheapest phone", "What's the price?"],
                                "chats_per_brand": 3, "warmup": 1, "stopped_early": False, "elapsed_s": 4.0, "chats": chats}},
            "cpu": {"seconds": 4.0, "11": 50.0, "processes_pct": 80.0, "machine_busy_pct": 90.0}, "load": None, "server_state": "alive",
            "cmd": "tools/load/make_catalog.py --out $RUN/brands --products 100000 --brand-id bigshop"}


class Catalog(unittest.TestCase):
    def test_round_trip_summary(self):
        chats = [chat("a", "x", 1.0), chat("a", "x", 3.0), chat("a", "y", 2.0), chat("a", "y", 9.0, error="boom"),
                 chat("b", "x", 10.0, products=0)]
        s = b.round_trip_summary(chats, ["a", "b", "c"])
        self.assertEqual((s["a"]["chats"], s["a"]["errors"]), (4, 1))
        self.assertEqual(s["a"]["median_ms"], 2.0)
        self.assertEqual(s["a"]["p90_ms"], 3.0)
        self.assertEqual(s["a"]["max_ms"], 3.0)
        self.assertEqual(s["a"]["first_chunk_median_ms"], 1.0)
        self.assertEqual(s["a"]["products_mean"], 3.0)
        self.assertEqual(s["a"]["by_message"], {"x": 2.0, "y": 2.0})
        self.assertEqual(s["b"]["products_mean"], 0.0)
        self.assertEqual(s["c"]["chats"], 0)
        self.assertIsNone(s["c"]["median_ms"])

    def test_figures_and_verdicts(self):
        f = b.catalog_figures(catalog_run([10.0, 12.0, 11.0], [20.0, 24.0, 22.0]))
        self.assertAlmostEqual(f["ratio"], 2.0)
        self.assertEqual(f["rtt_verdict"], "met")       # at most 2 ×
        self.assertEqual(f["startup_verdict"], "met")
        self.assertEqual(f["rss_verdict"], "met")
        self.assertEqual(f["rss_judged_kib"], 200 * 1024)
        self.assertEqual(f["first_ms"], 12000.0)
        self.assertEqual(f["reopen_rss_median_kib"], 150 * 1024)
        f = b.catalog_figures(catalog_run([10.0], [25.0], reopen_ms=(3000.0,), hwm_kib=292_969))
        self.assertEqual((f["rtt_verdict"], f["startup_verdict"], f["rss_verdict"]), ("missed", "missed", "missed"))
        f = b.catalog_figures({"params": {"part": "catalog"}, "extra": {}})
        self.assertEqual((f["rtt_verdict"], f["startup_verdict"], f["rss_verdict"]), ("not measured",) * 3)

    def test_section(self):
        lines = b.catalog_section(catalog_run([10.0, 12.0, 11.0], [30.0, 36.0, 33.0]), {})
        text = "\n".join(lines)
        self.assertEqual(lines[0], b.CATALOG_HEADING)
        self.assertNotIn("Quick mode", text)
        self.assertIn("sha256 `abababababababab`…): 57.0 MiB of JSON, written in 3.2 s", text)
        self.assertIn("| first, `--import-brands` (100,000 + the bundled brand's products) | 1 | **12,000 ms** |", text)
        self.assertIn("| again on the file | 3 | **1,000 ms** | 900 ms | 1,100 ms | 900, 1,100, 1,000 |", text)
        self.assertIn("| techpro | 47 | 3 | 0 | **11.00 ms** | 12.00 ms | 12.00 ms | 12.00 ms | 5.50 ms | 3.0 |", text)
        self.assertIn("| bigshop | 100,000 | 3 | 0 | **33.00 ms** |", text)
        self.assertIn("| cheapest phone | 11.00 | 33.00 |", text)
        self.assertIn("| What's the price? | – | – |", text)
        self.assertIn("| bigshop median round trip ≤ 2 × techpro's | 33.00 ms / 11.00 ms = 3.00 × | **missed** |", text)
        self.assertIn("| start-up after the first import < 3 s | median 1,000 ms (first start, importing: 12,000 ms) | **met** |", text)
        self.assertIn("| server RSS < 300 MB (292,969 KiB) | 200.0 MiB (204,800 KiB)", text)
        self.assertIn("the importing start peaked at 500.0 MiB", text)
        self.assertIn("the server used 50 % of a core, and all other processes (this client among them) 30 %", text)
        self.assertIn("$RUN/brands", text)
        quick = "\n".join(b.catalog_section(catalog_run([1.0], [1.0]), {"mode": "quick", "machine": {"date": "D"}}, standalone=True))
        self.assertIn("*Quick mode: a brand of 100,000 products", quick)
        self.assertIn("Run alone (`tools/bench --quick --only catalog`) on D", quick)
        self.assertEqual(b.catalog_section(None, {}), [b.CATALOG_HEADING, "", "Not run.", ""])

    def test_parts_go_in_order(self):
        report = "# r\n\n## 7. Slow readers\n\nseven\n\n## Server behaviour during the runs\n\nok\n"
        nine = b.splice_section(report, [b.CATALOG_HEADING, "", "nine"], heading=b.CATALOG_HEADING,
                                before=b.PART_AFTER[b.CATALOG_HEADING])
        eight = b.splice_section(nine, [b.STORE_HEADING, "", "eight"], heading=b.STORE_HEADING, before=b.PART_AFTER[b.STORE_HEADING])
        self.assertEqual(eight, "# r\n\n## 7. Slow readers\n\nseven\n\n## 8. Persistence\n\neight\n\n"
                                "## 9. A large catalog\n\nnine\n\n## Server behaviour during the runs\n\nok\n")
        without_seven = "# r\n\n## 8. Persistence\n\neight\n\n## Server behaviour during the runs\n\nok\n"
        self.assertEqual(b.splice_section(without_seven, [b.SLOW_HEADING, "", "seven"], before=b.PART_AFTER[b.SLOW_HEADING]),
                         "# r\n\n## 7. Slow readers\n\nseven\n\n## 8. Persistence\n\neight\n\n"
                         "## Server behaviour during the runs\n\nok\n")


class MakeCatalog(unittest.TestCase):
    BASE = [{"id": "laptop-001", "name": "Book", "category": "Laptop", "price": 10_000_000.0, "description": "d",
             "features": ["f"], "specifications": {"memory": "16GB"}, "availability": True},
            {"id": "phone-001", "name": "Fon", "category": "Smartphone", "price": 3_000_000.0,
             "features": [], "specifications": {}, "availability": False}]

    def test_products(self):
        products = mc.make_products(self.BASE, 1000, seed=3)
        self.assertEqual(len(products), 1000)
        self.assertEqual(len({p["id"] for p in products}), 1000)
        self.assertEqual(products[0]["id"], "laptop-000001")
        self.assertEqual(products[1]["id"], "phone-000002")
        self.assertTrue(products[0]["name"].startswith("Book "))
        self.assertEqual([p["category"] for p in products[:2]], ["Laptop", "Smartphone"])
        self.assertEqual(products[0]["specifications"], {"memory": "16GB"})
        self.assertGreater(len({p["name"] for p in products}), 900)
        self.assertGreater(len({p["price"] for p in products}), 50)
        for p in products:
            self.assertEqual(p["price"] % 100_000, 99_000)
        self.assertTrue(0.05 < sum(not p["availability"] for p in products) / 1000 < 0.25)
        self.assertEqual(products, mc.make_products(self.BASE, 1000, seed=3))   # the same seed, the same products
        self.assertNotEqual(products, mc.make_products(self.BASE, 1000, seed=4))

    def test_prices_and_brand(self):
        self.assertEqual(mc.scaled_price(19_999_000.0, 1.0), 19_999_000.0)
        self.assertEqual(mc.scaled_price(5_999_000.0, 0.7), 4_199_000.0)
        self.assertEqual(mc.scaled_price(100_000.0, 0.55), 99_000.0)
        brand = mc.make_brand({"id": "techpro", "name": "TechPro", "welcome_message": "Welcome to TechPro!",
                               "company_info": {"about": "TechPro sells"}, "is_active": False, "products": self.BASE},
                              5, "bigshop", "BigShop", seed=1)
        self.assertEqual((brand["id"], brand["name"], brand["is_active"]), ("bigshop", "BigShop", True))
        self.assertEqual(brand["welcome_message"], "Welcome to BigShop!")
        self.assertEqual(brand["company_info"], {"about": "BigShop sells"})
        self.assertEqual(len(brand["products"]), 5)


if __name__ == "__main__":
    unittest.main()
