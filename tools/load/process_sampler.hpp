// Memory and CPU of the server under test, from /proc/PID/status (VmRSS) and /proc/PID/stat
// (utime + stime). Parsing and the running summary are pure; sample_process() reads /proc.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace brandchat_load {

struct ProcessSample {
    std::chrono::steady_clock::time_point at;
    std::uint64_t rss_kib = 0;
    std::uint64_t rss_high_water_kib = 0;  // VmHWM: the peak since the process started
    std::uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks
};

// A "Key:   123 kB" line of /proc/PID/status, e.g. key "VmRSS".
std::optional<std::uint64_t> parse_status_kib(std::string_view proc_status, std::string_view key);
// utime + stime: fields 14 and 15, counted after the ')' that ends the command name
// (which may itself hold spaces and parentheses).
std::optional<std::uint64_t> parse_cpu_ticks(std::string_view proc_stat);

// /proc/PID/schedstat (of the main thread): time on a CPU, time waiting on a run queue for one
// (runnable, not running: behind other tasks; the hypervisor's steal counts as running), and how
// many times it was run.
struct SchedStat {
    std::uint64_t running_ns = 0, waiting_ns = 0, timeslices = 0;
};
std::optional<SchedStat> parse_schedstat(std::string_view text);
std::optional<SchedStat> read_schedstat(std::string const& pid_or_self); // "self" or a pid

// Reads /proc/PID; empty when the process is gone or unreadable.
std::optional<ProcessSample> sample_process(int pid);

struct ProcessSummary {
    int pid = 0;
    std::uint64_t samples = 0;
    std::uint64_t rss_start_kib = 0, rss_peak_kib = 0, rss_end_kib = 0;  // peak: of the samples
    std::uint64_t rss_high_water_kib = 0;  // VmHWM at the last sample (catches peaks between samples)
    double cpu_average_percent = 0;  // over first..last sample; 100 = one core
    double cpu_peak_percent = 0;     // busiest interval between two samples
    bool vanished = false;           // a sample failed after the first succeeded
};

class ProcessWatch {
public:
    ProcessWatch(int pid, long ticks_per_second);
    void add(ProcessSample const& s);
    void lost() { summary_.vanished = summary_.samples > 0; }
    ProcessSummary const& summary() const { return summary_; }
    // CPU % of the most recent interval, for the progress line.
    double last_cpu_percent() const { return last_percent_; }

private:
    long ticks_per_second_;
    ProcessSummary summary_;
    std::optional<ProcessSample> first_, previous_;
    double last_percent_ = 0;
};

} // namespace brandchat_load
