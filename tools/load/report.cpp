#include "report.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <sstream>

namespace brandchat_load {

namespace {

struct Percentiles {
    char const* label;
    Histogram const* h;
};

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string decimal(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string ms(std::uint64_t us) {
    double v = static_cast<double>(us) / 1000.0;
    return fixed(v, v < 10 ? 3 : v < 1000 ? 1 : 0);
}

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; }
double per_second_d(double v, double seconds) { return seconds > 0 ? v / seconds : 0.0; }

std::string mib(std::uint64_t kib) { return fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB"; }

std::string human_bytes_per_s(double b) {
    if (b >= 1024.0 * 1024.0) return fixed(b / 1024.0 / 1024.0, 2) + " MiB/s";
    if (b >= 1024.0) return fixed(b / 1024.0, 1) + " KiB/s";
    return fixed(b, 0) + " B/s";
}

std::string pad(std::string s, std::size_t width, bool left = false) {
    if (s.size() >= width) return s;
    return left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

std::vector<Percentiles> latencies(RunSummary const& run) {
    auto const& s = run.stats;
    if (run.scenario == Scenario::wakeup) return {{"wake-up late", &s.wakeup_late_us}};  // it opens no connections
    std::vector<Percentiles> out = {{"connect", &s.connect_us}, {"welcome", &s.welcome_us}};
    if (run.scenario == Scenario::chat || run.scenario == Scenario::cancel || run.scenario == Scenario::slow) {
        out.push_back({"first chunk", &s.first_chunk_us});
        if (run.expect_first_token) out.push_back({"first - delay", &s.first_chunk_server_added_us});
    }
    if (run.scenario == Scenario::chat) {
        out.push_back({"chunk gap", &s.chunk_gap_us});
        if (run.expect_delay) out.push_back({"gap - delay", &s.chunk_gap_server_added_us});
        out.push_back({"complete", &s.complete_us});
    }
    if (s.transit_us.count()) {
        if (s.to_upstream_us.count()) out.push_back({"to upstream", &s.to_upstream_us});
        out.push_back({"upstream late", &s.upstream_late_us});
        out.push_back({"transit", &s.transit_us});
    }
    if (run.scenario == Scenario::ping) out.push_back({"ping rtt", &s.ping_rtt_us});
    return out;
}

void append_counts(std::ostringstream& out, char const* title, Counts const& counts) {
    if (counts.empty()) return;
    out << title << "\n";
    for (auto const& [kind, n] : counts) out << "  " << pad(std::to_string(n), 8) << "  " << kind << "\n";
}

boost::json::object histogram_json(Histogram const& h) {
    return {{"count", h.count()},        {"min", h.min()},
            {"mean", std::llround(h.mean())}, {"p50", h.percentile(50)},
            {"p90", h.percentile(90)},   {"p99", h.percentile(99)},
            {"p99_9", h.percentile(99.9)}, {"max", h.max()}};
}

boost::json::object counts_json(Counts const& counts) {
    boost::json::object o;
    for (auto const& [k, n] : counts) o[k] = n;
    return o;
}

void append_latency_table(std::ostringstream& out, RunSummary const& run) {
    out << pad("latency (ms)", 14, true) << pad("count", 10) << pad("p50", 10) << pad("p90", 10) << pad("p99", 10)
        << pad("p99.9", 10) << pad("max", 10) << "\n";
    for (auto const& [label, h] : latencies(run)) {
        out << pad(label, 14, true) << pad(std::to_string(h->count()), 10);
        if (h->count() == 0) {
            out << pad("-", 10) << pad("-", 10) << pad("-", 10) << pad("-", 10) << pad("-", 10) << "\n";
            continue;
        }
        out << pad(ms(h->percentile(50)), 10) << pad(ms(h->percentile(90)), 10) << pad(ms(h->percentile(99)), 10)
            << pad(ms(h->percentile(99.9)), 10) << pad(ms(h->max()), 10) << "\n";
    }
}

double slow_pace_bytes_per_s(SlowSummary const& slow) {
    return slow.read_interval_ms > 0 ? static_cast<double>(slow.read_bytes) * 1000.0 / slow.read_interval_ms : 0.0;
}

// Bytes per second each opened client read from its socket, over the run.
double slow_read_per_client_per_s(RunSummary const& run) {
    if (!run.slow || run.stats.opened == 0) return 0;
    return per_second(run.slow->socket_bytes_read, run.elapsed_s) / static_cast<double>(run.stats.opened);
}

// The slope's window: the second half of the series (after the first fill of buffers and outbox).
std::pair<double, double> slope_window(RssSeries const& series) {
    if (series.empty()) return {0, 0};
    auto end = series.points().back().t_s;
    return {end / 2, end};
}

std::string optional_fixed(std::optional<double> v, int decimals) { return v ? fixed(*v, decimals) : std::string("-"); }

void append_slow(std::ostringstream& out, RunSummary const& run) {
    auto const& s = run.stats;
    auto const& slow = *run.slow;
    out << "slow         requests " << s.requests << ", replies " << s.replies << ", reply errors " << s.reply_errors
        << ", unfinished at stop " << s.in_flight_at_stop;
    if (s.lost_with_connection) out << ", lost with their connection " << s.lost_with_connection;
    out << "; chunk frames " << s.chunks << "\n";
    auto pace = slow_pace_bytes_per_s(slow);
    auto each = slow_read_per_client_per_s(run);
    out << "             each client read at most " << slow.read_bytes << " bytes per " << decimal(slow.read_interval_ms)
        << " ms (" << human_bytes_per_s(pace) << "); read " << slow.socket_bytes_read << " bytes from their sockets in all, "
        << human_bytes_per_s(each) << " per client (" << fixed(pace > 0 ? 100.0 * each / pace : 0.0, 1) << " % of the pace)\n";
    auto const& series = slow.series;
    if (series.empty()) {
        out << "             (no --server-pid: no server memory figures)\n";
        return;
    }
    out << "\nserver RSS per slow client = (RSS - RSS before any connection) / clients open:\n";
    out << pad("t (s)", 12) << pad("open", 8) << pad("RSS (MiB)", 12) << pad("per client (KiB)", 19)
        << pad("read per client (KiB)", 24) << "\n";
    auto rows = series.rows(5);
    for (std::size_t k = 0; k < rows.size(); ++k) {
        auto const& p = series.points()[rows[k]];
        bool last = k + 1 == rows.size() && rows.size() > 1;
        out << pad(fixed(p.t_s, 1) + (last ? " stop" : ""), 12) << pad(std::to_string(p.open), 8)
            << pad(fixed(static_cast<double>(p.rss_kib) / 1024.0, 1), 12) << pad(optional_fixed(series.per_client_kib(p), 1), 19)
            << pad(optional_fixed(series.read_per_client_kib(p), 1), 24) << "\n";
    }
    auto [from, to] = slope_window(series);
    auto slope = series.slope_kib_per_s(from, to);
    out << "per-client growth " << (slope ? fixed(*slope, 2) + " KiB/s" : std::string("-")) << " from " << fixed(from, 1)
        << " to " << fixed(to, 1) << " s (least squares over the second half; flat = about 0)\n";
}

void append_load_process(std::ostringstream& out, RunSummary const& run) {
    if (!run.load_process) return;
    auto const& u = *run.load_process;
    out << "load tool    CPU " << fixed(u.user_s, 2) << " s user + " << fixed(u.system_s, 2) << " s system ("
        << fixed(per_second_d(u.user_s + u.system_s, run.total_s) * 100.0, 0) << " % of one core over the run), max RSS "
        << mib(u.max_rss_kib) << "\n";
    if (u.run_queue_wait_s && u.timeslices && *u.timeslices > 0)
        out << "             waited for a CPU " << fixed(*u.run_queue_wait_s * 1e3, 0) << " ms in all, "
            << fixed(*u.run_queue_wait_s * 1e6 / static_cast<double>(*u.timeslices), 0) << " us a time over " << *u.timeslices
            << " runs (/proc/self/schedstat)\n";
}

} // namespace

std::string format_table(RunSummary const& run) {
    auto const& s = run.stats;
    std::ostringstream out;
    if (run.scenario == Scenario::wakeup) {
        out << "brandchat-load: wakeup, no connections: a 1 ms sleep, again and again, for " << fixed(run.elapsed_s, 1) << " s ("
            << run.stop_reason << ")\n\n";
        append_latency_table(out, run);
        out << "(wake-up late: how long after its timer fell due the tool ran again)\n\n";
        append_load_process(out, run);
        return out.str();
    }
    out << "brandchat-load: " << scenario_name(run.scenario) << ", " << run.connections_requested << " connections to "
        << run.url << "\n";
    out << "ran " << fixed(run.elapsed_s, 1) << " s";
    if (run.scenario == Scenario::idle) out << " after the last welcome (" << fixed(run.total_s, 1) << " s in all)";
    out << " (" << run.stop_reason << "); all connections settled after " << fixed(run.settle_s, 2)
        << " s\n(rates per second are over the whole " << fixed(run.total_s, 1) << " s)\n\n";

    out << "connections  opened " << s.opened << " of " << run.connections_requested << ", failed " << s.failed
        << ", dropped " << s.dropped;
    if (s.aborted_at_stop) out << ", still connecting at stop " << s.aborted_at_stop;
    out << "\n";
    append_counts(out, "connection failures (before the welcome):", s.failures);
    append_counts(out, "connections dropped (after the welcome):", s.drops);
    out << "\n";

    append_latency_table(out, run);
    if (run.expect_first_token)
        out << "(first - delay: time to first chunk minus the " << decimal(run.expect_first_token_ms)
            << " ms first-token delay given to the upstream, i.e. what the server added)\n";
    if (run.expect_delay && run.scenario == Scenario::chat)
        out << "(gap - delay: chunk gap minus the " << decimal(run.expect_delay_ms)
            << " ms per-token delay given to the upstream, i.e. what the server added)\n";
    if (s.transit_us.count())
        out << "(from the upstream's stamped tokens: to upstream = chat message sent to the upstream beginning its\n"
               " first-token pause, once per reply; upstream late = written after falling due; transit = written by\n"
               " the upstream to read here, the server and both hops; one count per token)\n";
    out << "\n";

    if (run.scenario == Scenario::chat) {
        out << "chat         requests " << s.requests << ", replies " << s.replies << " ("
            << fixed(per_second(s.replies, run.total_s), 1) << "/s), reply errors " << s.reply_errors
            << ", unfinished at stop " << s.in_flight_at_stop;
        if (s.lost_with_connection) out << ", lost with their connection " << s.lost_with_connection;
        out << "\n";
        out << "             chunks " << s.chunks << " (" << fixed(per_second(s.chunks, run.total_s), 0) << "/s)";
        if (s.replies) out << ", " << fixed(static_cast<double>(s.chunks) / static_cast<double>(s.replies), 1) << " per reply";
        if (s.replies_without_chunks) out << ", replies without chunks " << s.replies_without_chunks;
        out << "\n";
    }
    if (run.scenario == Scenario::cancel) {
        out << "cancel       requests " << s.requests << ", cancelled on their first chunk " << s.cancellations << " ("
            << fixed(per_second(s.cancellations, run.total_s), 1) << "/s), reply errors " << s.reply_errors
            << ", replies complete before any chunk " << s.replies << ", unfinished at stop " << s.in_flight_at_stop;
        if (s.lost_with_connection) out << ", lost with their connection " << s.lost_with_connection;
        out << "\n             (--json lists each close: its tag and monotonic-clock time in ms)\n";
    }
    if (run.scenario == Scenario::slow && run.slow) append_slow(out, run);
    if (run.scenario == Scenario::ping)
        out << "ping         pings " << s.pings << ", pongs " << s.pongs << " ("
            << fixed(per_second(s.pongs, run.total_s), 1) << "/s)\n";
    out << "traffic      received " << s.frames_received << " frames, " << s.bytes_received << " bytes ("
        << human_bytes_per_s(per_second(s.bytes_received, run.total_s)) << "); sent " << s.frames_sent << " frames, "
        << s.bytes_sent << " bytes\n";
    append_counts(out, "server error messages:", s.server_errors);
    append_counts(out, "unexpected frames:", s.unexpected_frames);

    if (run.server) {
        auto const& p = *run.server;
        out << "\nserver pid " << p.pid << "  RSS start " << mib(p.rss_start_kib) << ", peak " << mib(p.rss_peak_kib)
            << " (high-water " << mib(p.rss_high_water_kib) << "), end " << mib(p.rss_end_kib) << "; CPU average "
            << fixed(p.cpu_average_percent, 0) << " %, peak " << fixed(p.cpu_peak_percent, 0) << " % (100 % = one core)";
        if (p.vanished) out << "; the process went away during the run";
        out << "\n";
    }
    append_load_process(out, run);
    return out.str();
}

std::string format_json(RunSummary const& run) {
    auto const& s = run.stats;
    boost::json::object o;
    o["scenario"] = scenario_name(run.scenario);
    o["url"] = run.url;
    o["elapsed_s"] = run.elapsed_s;
    o["total_s"] = run.total_s;
    o["settle_s"] = run.settle_s;
    o["stop_reason"] = run.stop_reason;
    o["clock_ms"] = {{"start", run.start_clock_ms}, {"stop", run.stop_clock_ms}};
    o["connections"] = {{"requested", run.connections_requested}, {"attempted", s.attempted},
                        {"opened", s.opened},                     {"failed", s.failed},
                        {"failures", counts_json(s.failures)},    {"dropped", s.dropped},
                        {"drops", counts_json(s.drops)},          {"aborted_at_stop", s.aborted_at_stop}};
    boost::json::object lat;
    if (run.scenario == Scenario::wakeup) {
        lat["wakeup_late"] = histogram_json(s.wakeup_late_us);  // it opens no connections
    } else {
        lat["connect"] = histogram_json(s.connect_us);
        lat["welcome"] = histogram_json(s.welcome_us);
    }
    if (run.scenario == Scenario::chat) {
        lat["first_chunk"] = histogram_json(s.first_chunk_us);
        if (run.expect_first_token) lat["first_chunk_server_added"] = histogram_json(s.first_chunk_server_added_us);
        lat["chunk_gap"] = histogram_json(s.chunk_gap_us);
        if (run.expect_delay) lat["chunk_gap_server_added"] = histogram_json(s.chunk_gap_server_added_us);
        lat["complete"] = histogram_json(s.complete_us);
    }
    if (run.scenario == Scenario::cancel || run.scenario == Scenario::slow) {
        lat["first_chunk"] = histogram_json(s.first_chunk_us);
        if (run.expect_first_token) lat["first_chunk_server_added"] = histogram_json(s.first_chunk_server_added_us);
    }
    if (run.scenario == Scenario::ping) lat["ping_rtt"] = histogram_json(s.ping_rtt_us);
    if (s.transit_us.count()) {
        if (s.to_upstream_us.count()) lat["to_upstream"] = histogram_json(s.to_upstream_us);
        lat["upstream_late"] = histogram_json(s.upstream_late_us);
        lat["transit"] = histogram_json(s.transit_us);
    }
    o["latency_us"] = std::move(lat);
    if (run.scenario == Scenario::chat)
        o["chat"] = {{"requests", s.requests},
                     {"replies", s.replies},
                     {"reply_errors", s.reply_errors},
                     {"in_flight_at_stop", s.in_flight_at_stop},
                     {"lost_with_connection", s.lost_with_connection},
                     {"chunks", s.chunks},
                     {"replies_without_chunks", s.replies_without_chunks},
                     {"replies_per_s", per_second(s.replies, run.total_s)},
                     {"chunks_per_s", per_second(s.chunks, run.total_s)}};
    if (run.scenario == Scenario::cancel) {
        boost::json::array closes;
        closes.reserve(s.cancels.size());
        for (auto const& c : s.cancels)
            closes.push_back(
                {{"tag", c.tag}, {"sent_ms", c.sent_ms}, {"first_chunk_ms", c.first_chunk_ms}, {"closed_ms", c.closed_ms}});
        o["cancel"] = {{"requests", s.requests},
                       {"cancellations", s.cancellations},
                       {"cancellations_per_s", per_second(s.cancellations, run.total_s)},
                       {"reply_errors", s.reply_errors},
                       {"replies_before_any_chunk", s.replies},
                       {"in_flight_at_stop", s.in_flight_at_stop},
                       {"lost_with_connection", s.lost_with_connection},
                       {"closes", std::move(closes)}};
    }
    if (run.scenario == Scenario::slow && run.slow) {
        auto const& slow = *run.slow;
        auto const& series = slow.series;
        auto or_null = [](std::optional<double> v) -> boost::json::value {
            if (v) return *v;
            return nullptr;
        };
        boost::json::array samples;
        samples.reserve(series.points().size());
        for (auto const& p : series.points())
            samples.push_back({{"t_s", p.t_s},
                               {"rss_kib", p.rss_kib},
                               {"open", p.open},
                               {"bytes_read", p.bytes_read},
                               {"per_client_kib", or_null(series.per_client_kib(p))}});
        auto [from, to] = slope_window(series);
        boost::json::object o_slow{{"read_bytes", slow.read_bytes},
                                   {"read_interval_ms", slow.read_interval_ms},
                                   {"pace_bytes_per_s", slow_pace_bytes_per_s(slow)},
                                   {"bytes_read", slow.socket_bytes_read},
                                   {"bytes_read_per_client_per_s", slow_read_per_client_per_s(run)},
                                   {"requests", s.requests},
                                   {"replies", s.replies},
                                   {"reply_errors", s.reply_errors},
                                   {"in_flight_at_stop", s.in_flight_at_stop},
                                   {"lost_with_connection", s.lost_with_connection},
                                   {"chunks", s.chunks},
                                   {"rss_samples", std::move(samples)}};
        if (!series.empty()) {
            o_slow["rss_start_kib"] = series.points().front().rss_kib;
            o_slow["rss_stop_kib"] = series.points().back().rss_kib;
            o_slow["per_client_stop_kib"] = or_null(series.per_client_kib(series.points().back()));
            o_slow["slope_kib_per_s"] = or_null(series.slope_kib_per_s(from, to));
            o_slow["slope_from_s"] = from;
            o_slow["slope_to_s"] = to;
        }
        o["slow"] = std::move(o_slow);
    }
    if (run.scenario == Scenario::ping)
        o["ping"] = {{"pings", s.pings}, {"pongs", s.pongs}, {"pongs_per_s", per_second(s.pongs, run.total_s)}};
    o["traffic"] = {{"frames_received", s.frames_received},
                    {"bytes_received", s.bytes_received},
                    {"bytes_received_per_s", per_second(s.bytes_received, run.total_s)},
                    {"frames_sent", s.frames_sent},
                    {"bytes_sent", s.bytes_sent}};
    o["errors"] = {{"server", counts_json(s.server_errors)},
                   {"connection", counts_json(s.failures)},
                   {"dropped", counts_json(s.drops)},
                   {"unexpected_frames", counts_json(s.unexpected_frames)}};
    if (run.expect_delay) o["expect_delay_ms"] = run.expect_delay_ms;
    if (run.expect_first_token) o["expect_first_token_ms"] = run.expect_first_token_ms;
    if (run.server) {
        auto const& p = *run.server;
        o["server_process"] = {{"pid", p.pid},
                               {"samples", p.samples},
                               {"rss_start_kib", p.rss_start_kib},
                               {"rss_peak_kib", p.rss_peak_kib},
                               {"rss_high_water_kib", p.rss_high_water_kib},
                               {"rss_end_kib", p.rss_end_kib},
                               {"cpu_average_percent", p.cpu_average_percent},
                               {"cpu_peak_percent", p.cpu_peak_percent},
                               {"vanished", p.vanished}};
    } else {
        o["server_process"] = nullptr;
    }
    if (run.load_process) {
        auto const& u = *run.load_process;
        boost::json::object self{{"cpu_user_s", u.user_s}, {"cpu_system_s", u.system_s}, {"max_rss_kib", u.max_rss_kib}};
        if (u.run_queue_wait_s && u.timeslices) {
            self["run_queue_wait_s"] = *u.run_queue_wait_s;
            self["timeslices"] = *u.timeslices;
        }
        o["load_process"] = std::move(self);
    } else
        o["load_process"] = nullptr;
    return boost::json::serialize(o) + "\n";
}

std::string format_progress(ProgressLine const& p) {
    auto const& s = *p.now;
    std::ostringstream out;
    out << "[" << fixed(p.elapsed_s, 0) << "s] open " << p.open << "/" << p.connections_requested;
    if (s.failed) out << " failed " << s.failed;
    if (s.dropped) out << " dropped " << s.dropped;
    if (p.scenario == Scenario::chat) {
        out << " | replies " << s.replies << " (" << fixed(per_second(s.replies - p.replies_before, p.interval_s), 0)
            << "/s) chunks/s " << fixed(per_second(s.chunks - p.chunks_before, p.interval_s), 0);
        if (s.reply_errors) out << " errors " << s.reply_errors;
        if (s.first_chunk_us.count()) out << " first-chunk p99 " << ms(s.first_chunk_us.percentile(99)) << " ms";
    }
    if (p.scenario == Scenario::cancel)
        out << " | cancelled " << s.cancellations << " errors " << s.reply_errors;
    if (p.scenario == Scenario::slow)
        out << " | replies " << s.replies << " chunks " << s.chunks << (s.reply_errors ? " errors " + std::to_string(s.reply_errors) : "");
    if (p.scenario == Scenario::ping)
        out << " | pongs " << s.pongs << " (" << fixed(per_second(s.pongs - p.pongs_before, p.interval_s), 0)
            << "/s) rtt p99 " << ms(s.ping_rtt_us.percentile(99)) << " ms";
    if (p.scenario == Scenario::wakeup && s.wakeup_late_us.count())
        out << " | wake-ups " << s.wakeup_late_us.count() << " late p99 " << ms(s.wakeup_late_us.percentile(99)) << " ms";
    out << " | in " << human_bytes_per_s(per_second(s.bytes_received - p.bytes_before, p.interval_s));
    if (p.server)
        out << " | server " << mib(p.server->rss_kib) << " cpu " << fixed(p.server_cpu_percent, 0) << "%";
    return out.str();
}

} // namespace brandchat_load
