// Turning a run's numbers into text: the final table, the --json object, and the one-line
// progress report. Pure: numbers in, strings out.
#pragma once

#include "load_accounting.hpp"
#include "load_options.hpp"
#include "process_sampler.hpp"
#include "slow_reading.hpp"

#include <optional>
#include <string>

namespace brandchat_load {

struct SelfUsage {
    double user_s = 0, system_s = 0;
    std::uint64_t max_rss_kib = 0;
    // Over the run, from /proc/self/schedstat: time spent runnable but waiting for a CPU, and
    // how many times the tool was run. Absent where the kernel does not keep them.
    std::optional<double> run_queue_wait_s;
    std::optional<std::uint64_t> timeslices;
};

// The slow scenario: the pace asked for, what the clients read from their sockets until the stop,
// and the server's RSS every second (the first sample before any connection; empty without
// --server-pid).
struct SlowSummary {
    std::size_t read_bytes = 0;
    double read_interval_ms = 0;
    std::uint64_t socket_bytes_read = 0;
    RssSeries series;
};

struct RunSummary {
    Scenario scenario = Scenario::chat;
    std::string url;
    std::uint64_t connections_requested = 0;
    double elapsed_s = 0;        // the scenario's window: chat/ping from the first attempt, idle the hold
    double total_s = 0;          // first attempt to stop; the per-second rates are over this
    double settle_s = 0;         // from the first attempt until every connection opened or failed
    std::string stop_reason;     // duration, max-replies, cancellations, interrupted, no connections left
    double start_clock_ms = 0;   // first attempt and stop on the monotonic clock (steady_ms), to line
    double stop_clock_ms = 0;    // the run up with other processes' records
    bool expect_delay = false;   // report the server-added chunk gap
    double expect_delay_ms = 0;
    bool expect_first_token = false;  // report the server-added time to first chunk
    double expect_first_token_ms = 0;
    LoadStats stats;
    std::optional<ProcessSummary> server;
    std::optional<SelfUsage> load_process;  // this tool's own CPU and memory (getrusage)
    std::optional<SlowSummary> slow;        // --scenario slow only
};

std::string format_table(RunSummary const& run);
std::string format_json(RunSummary const& run);

struct ProgressLine {
    Scenario scenario = Scenario::chat;
    double elapsed_s = 0;
    std::uint64_t connections_requested = 0;
    std::uint64_t open = 0;  // opened and not dropped
    LoadStats const* now = nullptr;
    // Counters one second earlier, for per-second rates.
    std::uint64_t replies_before = 0, chunks_before = 0, pongs_before = 0, bytes_before = 0;
    double interval_s = 1;
    std::optional<ProcessSample> server;
    double server_cpu_percent = 0;
};

std::string format_progress(ProgressLine const& p);

} // namespace brandchat_load
