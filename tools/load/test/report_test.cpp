#include "report.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace brandchat_load;
using namespace std::chrono_literals;

namespace {

RunSummary sample_chat_run() {
    Accounting a(10.0);
    auto t0 = Clock::time_point{} + 1h;
    for (int i = 0; i < 2; ++i) {
        a.connection_attempted();
        a.connection_opened(1ms, 2ms);
    }
    a.connection_attempted();
    a.connection_failed("connect: Connection refused");
    ReplyState r;
    a.chat_sent(r, t0);
    std::string_view chunk = R"({"type":"chunk","data":{}})";
    a.chat_frame_received(r, FrameKind::chunk, chunk, t0 + 5ms);
    a.chat_frame_received(r, FrameKind::chunk, chunk, t0 + 17ms);
    a.chat_frame_received(r, FrameKind::complete, "{}", t0 + 18ms);
    a.chat_sent(r, t0 + 20ms);
    a.chat_frame_received(r, FrameKind::error, R"({"type":"error","data":{"message":"Rate limit exceeded: x"}})", t0 + 21ms);

    RunSummary run;
    run.scenario = Scenario::chat;
    run.url = "ws://127.0.0.1:8000/ws/chat/techpro";
    run.connections_requested = 3;
    run.elapsed_s = 2;
    run.total_s = 2;
    run.settle_s = 0.01;
    run.stop_reason = "duration";
    run.expect_delay = true;
    run.expect_delay_ms = 10;
    run.stats = a.stats();
    ProcessSummary p;
    p.pid = 99;
    p.samples = 3;
    p.rss_start_kib = 10240;
    p.rss_peak_kib = 20480;
    p.rss_end_kib = 15360;
    p.cpu_average_percent = 42;
    run.server = p;
    return run;
}

} // namespace

TEST_CASE("the JSON report has what scripts assert on") {
    auto v = boost::json::parse(format_json(sample_chat_run()));
    CHECK(v.at("scenario") == "chat");
    CHECK(v.at("connections").at("requested") == 3);
    CHECK(v.at("connections").at("opened") == 2);
    CHECK(v.at("connections").at("failed") == 1);
    CHECK(v.at("connections").at("failures").at("connect: Connection refused") == 1);
    CHECK(v.at("chat").at("replies") == 1);
    CHECK(v.at("chat").at("reply_errors") == 1);
    CHECK(v.at("chat").at("chunks") == 2);
    CHECK(v.at("chat").at("replies_per_s").as_double() == doctest::Approx(0.5));
    CHECK(v.at("latency_us").at("first_chunk").at("p50") == 5000);
    CHECK(v.at("latency_us").at("chunk_gap").at("max") == 12000);
    CHECK(v.at("latency_us").at("chunk_gap_server_added").at("max") == 2000);
    CHECK(v.at("latency_us").at("complete").at("p99") == 18000);
    CHECK(!v.at("latency_us").as_object().contains("ping_rtt"));
    CHECK(v.at("errors").at("server").at("Rate limit exceeded") == 1);
    CHECK(v.at("server_process").at("rss_peak_kib") == 20480);
    CHECK(v.at("load_process").is_null());
    auto with_self = sample_chat_run();
    with_self.load_process = SelfUsage{1.5, 0.5, 4096, std::nullopt, std::nullopt};
    auto w = boost::json::parse(format_json(with_self));
    CHECK(w.at("load_process").at("cpu_user_s").as_double() == doctest::Approx(1.5));
    CHECK(w.at("load_process").at("max_rss_kib") == 4096);
    CHECK(format_table(with_self).find("load tool    CPU 1.50 s user + 0.50 s system (100 % of one core") != std::string::npos);
    CHECK(!w.at("load_process").as_object().contains("run_queue_wait_s")); // not measured: not shown
    CHECK(format_table(with_self).find("waited for a CPU") == std::string::npos);
    with_self.load_process->run_queue_wait_s = 0.25;
    with_self.load_process->timeslices = 5000;
    auto waited = boost::json::parse(format_json(with_self));
    CHECK(waited.at("load_process").at("run_queue_wait_s").as_double() == doctest::Approx(0.25));
    CHECK(waited.at("load_process").at("timeslices") == 5000);
    CHECK(format_table(with_self).find("waited for a CPU 250 ms in all, 50 us a time over 5000 runs") != std::string::npos);
}

TEST_CASE("the table shows the latencies in ms and the errors") {
    auto text = format_table(sample_chat_run());
    CHECK(text.find("opened 2 of 3, failed 1") != std::string::npos);
    CHECK(text.find("first chunk") != std::string::npos);
    CHECK(text.find("5.000") != std::string::npos);  // first chunk p50 in ms
    CHECK(text.find("gap - delay") != std::string::npos);
    CHECK(text.find("Rate limit exceeded") != std::string::npos);
    CHECK(text.find("connect: Connection refused") != std::string::npos);
    CHECK(text.find("RSS start 10.0 MiB, peak 20.0 MiB") != std::string::npos);
}

TEST_CASE("ping and idle runs report their own sections") {
    RunSummary run;
    run.scenario = Scenario::ping;
    run.connections_requested = 1;
    run.elapsed_s = 1;
    run.total_s = 1;
    auto v = boost::json::parse(format_json(run));
    CHECK(v.at("ping").at("pongs") == 0);
    CHECK(v.at("latency_us").as_object().contains("ping_rtt"));
    CHECK(!v.as_object().contains("chat"));
    CHECK(v.at("server_process").is_null());
    run.scenario = Scenario::idle;
    auto idle = boost::json::parse(format_json(run));
    CHECK(!idle.as_object().contains("ping"));
    CHECK(format_table(run).find("first chunk") == std::string::npos);
}

TEST_CASE("stamped tokens add their two rows, and only then") {
    auto run = sample_chat_run();
    CHECK(format_table(run).find("transit") == std::string::npos);
    CHECK(!boost::json::parse(format_json(run)).at("latency_us").as_object().contains("transit"));
    Accounting a;
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{"content":" @3599999000:3599998000"}})", t0);
    run.stats = a.stats();
    auto table = format_table(run);
    CHECK(table.find("upstream late") != std::string::npos);
    CHECK(table.find("to upstream  ") == std::string::npos);  // no expected first-token pause given
    CHECK(table.find("transit") != std::string::npos);
    auto lat = boost::json::parse(format_json(run)).at("latency_us");
    CHECK(lat.at("transit").at("max") == 1000);
    CHECK(lat.at("upstream_late").at("max") == 1000);
}

TEST_CASE("a wakeup run reports its wake-ups and nothing about connections") {
    Accounting a;
    auto due = Clock::time_point{} + 1h;
    for (int i = 1; i <= 100; ++i) a.wakeup_measured(due, due + std::chrono::microseconds(i * 10));
    RunSummary run;
    run.scenario = Scenario::wakeup;
    run.elapsed_s = run.total_s = 0.1;
    run.stop_reason = "duration";
    run.stats = a.stats();
    auto v = boost::json::parse(format_json(run));
    CHECK(v.at("scenario") == "wakeup");
    auto const& lat = v.at("latency_us").as_object();
    CHECK(lat.size() == 1);
    CHECK(lat.at("wakeup_late").at("count") == 100);
    CHECK(lat.at("wakeup_late").at("max") == 1000);
    auto table = format_table(run);
    CHECK(table.find("wake-up late") != std::string::npos);
    CHECK(table.find("1.000") != std::string::npos);  // the max, in ms
    CHECK(table.find("opened") == std::string::npos);
    ProgressLine p;
    p.scenario = Scenario::wakeup;
    p.now = &run.stats;
    CHECK(format_progress(p).find("wake-ups 100") != std::string::npos);
}

TEST_CASE("the progress line") {
    auto run = sample_chat_run();
    ProgressLine p;
    p.scenario = Scenario::chat;
    p.elapsed_s = 3;
    p.connections_requested = 3;
    p.open = 2;
    p.now = &run.stats;
    auto line = format_progress(p);
    CHECK(line.find("[3s] open 2/3 failed 1") == 0);
    CHECK(line.find("replies 1") != std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("a cancel run lists every close, and the server-added first chunk when asked") {
    Accounting a(std::nullopt, 10.0);
    auto t0 = Clock::time_point{} + 1h;
    a.connection_attempted();
    a.connection_opened(1ms, 2ms);
    ReplyState r;
    a.chat_sent(r, t0);
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{}})", t0 + 13ms);
    a.cancel_closed(r, cancel_tag(1), t0 + 13ms);
    RunSummary run;
    run.scenario = Scenario::cancel;
    run.connections_requested = 1;
    run.elapsed_s = 1;
    run.total_s = 1;
    run.stop_reason = "cancellations";
    run.start_clock_ms = 5.5;
    run.stop_clock_ms = 1005.5;
    run.expect_first_token = true;
    run.expect_first_token_ms = 10;
    run.stats = a.stats();
    auto v = boost::json::parse(format_json(run));
    CHECK(v.at("scenario") == "cancel");
    CHECK(v.at("clock_ms").at("start").as_double() == doctest::Approx(5.5));
    CHECK(v.at("clock_ms").at("stop").as_double() == doctest::Approx(1005.5));
    CHECK(v.at("cancel").at("cancellations") == 1);
    auto const& closes = v.at("cancel").at("closes").as_array();
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].at("tag") == "cancel-1");
    CHECK(closes[0].at("closed_ms").as_double() == doctest::Approx(3'600'013.0));
    CHECK(v.at("latency_us").at("first_chunk").at("max") == 13000);
    CHECK(v.at("latency_us").at("first_chunk_server_added").at("max") == 3000);
    CHECK(v.at("expect_first_token_ms").as_double() == doctest::Approx(10.0));
    CHECK(!v.as_object().contains("chat"));
    auto text = format_table(run);
    CHECK(text.find("cancelled on their first chunk 1") != std::string::npos);
    CHECK(text.find("first - delay") != std::string::npos);
    CHECK(text.find("chunk gap") == std::string::npos);
}

TEST_CASE("a slow run reports what its clients read and the server's RSS per slow client over time") {
    Accounting a;
    auto t0 = Clock::time_point{} + 1h;
    for (int i = 0; i < 10; ++i) {
        a.connection_attempted();
        a.connection_opened(1ms, 2ms);
        ReplyState r;
        a.chat_sent(r, t0);
        a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{}})", t0 + 4ms);
        a.chat_interrupted(r);  // still streaming at the stop
    }
    RunSummary run;
    run.scenario = Scenario::slow;
    run.connections_requested = 10;
    run.elapsed_s = run.total_s = 20;
    run.stop_reason = "duration";
    run.stats = a.stats();
    SlowSummary slow;
    slow.read_bytes = 8192;
    slow.read_interval_ms = 100;
    slow.socket_bytes_read = 10ull * 20 * 81920;  // each client at the full pace for 20 s
    slow.series.add({0.0, 4096, 0, 0});
    for (int t = 1; t <= 20; ++t)  // 10 clients, 300 KiB each, flat
        slow.series.add({static_cast<double>(t), static_cast<std::uint64_t>(4096 + 3000 + (t % 2) * 10), 10, static_cast<std::uint64_t>(t) * 10 * 81920});
    run.slow = slow;

    auto v = boost::json::parse(format_json(run));
    CHECK(v.at("scenario") == "slow");
    auto const& s = v.at("slow");
    CHECK(s.at("read_bytes") == 8192);
    CHECK(s.at("read_interval_ms").as_double() == doctest::Approx(100));
    CHECK(s.at("pace_bytes_per_s").as_double() == doctest::Approx(81920));
    CHECK(s.at("bytes_read") == 10ull * 20 * 81920);
    CHECK(s.at("bytes_read_per_client_per_s").as_double() == doctest::Approx(81920));
    CHECK(s.at("in_flight_at_stop") == 10);
    CHECK(s.at("chunks") == 10);
    CHECK(s.at("rss_start_kib") == 4096);
    CHECK(s.at("rss_stop_kib") == 4096 + 3000);
    CHECK(s.at("per_client_stop_kib").as_double() == doctest::Approx(300));
    CHECK(std::abs(s.at("slope_kib_per_s").as_double()) < 0.1);
    CHECK(s.at("slope_from_s").as_double() == doctest::Approx(10));
    CHECK(s.at("slope_to_s").as_double() == doctest::Approx(20));
    auto const& samples = s.at("rss_samples").as_array();
    REQUIRE(samples.size() == 21);
    CHECK(samples[0].at("per_client_kib").is_null());  // before any connection
    CHECK(samples[0].at("open") == 0);
    CHECK(samples[1].at("per_client_kib").as_double() == doctest::Approx(301));
    CHECK(samples[20].at("bytes_read") == 20ull * 10 * 81920);
    CHECK(v.at("latency_us").as_object().contains("first_chunk"));
    CHECK(!v.at("latency_us").as_object().contains("chunk_gap"));
    CHECK(!v.as_object().contains("chat"));

    auto text = format_table(run);
    CHECK(text.find("each client read at most 8192 bytes per 100 ms (80.0 KiB/s)") != std::string::npos);
    CHECK(text.find("80.0 KiB/s per client (100.0 % of the pace)") != std::string::npos);
    CHECK(text.find("unfinished at stop 10") != std::string::npos);
    CHECK(text.find("per client (KiB)") != std::string::npos);
    CHECK(text.find("20.0 stop") != std::string::npos);
    CHECK(text.find("1600.0") != std::string::npos);  // read per client at the stop: 20 s x 80 KiB
    CHECK(text.find("per-client growth") != std::string::npos);
    CHECK(text.find("from 10.0 to 20.0 s") != std::string::npos);

    // without --server-pid: the reads, no memory
    run.slow->series = RssSeries{};
    CHECK(format_table(run).find("no --server-pid") != std::string::npos);
    auto bare = boost::json::parse(format_json(run)).at("slow").as_object();
    CHECK(!bare.contains("slope_kib_per_s"));
    CHECK(bare.at("rss_samples").as_array().empty());

    ProgressLine p;
    p.scenario = Scenario::slow;
    p.now = &run.stats;
    CHECK(format_progress(p).find("chunks 10") != std::string::npos);
}
