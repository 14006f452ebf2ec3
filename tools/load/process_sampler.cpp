#include "process_sampler.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace brandchat_load {

namespace {

std::optional<std::uint64_t> number_at(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    return value;
}

std::optional<std::string> read_whole(std::string const& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

double percent(std::uint64_t ticks, std::chrono::steady_clock::duration over, long ticks_per_second) {
    double seconds = std::chrono::duration<double>(over).count();
    if (seconds <= 0 || ticks_per_second <= 0) return 0;
    return 100.0 * static_cast<double>(ticks) / static_cast<double>(ticks_per_second) / seconds;
}

} // namespace

std::optional<std::uint64_t> parse_status_kib(std::string_view status, std::string_view key) {
    std::size_t pos = 0;
    while (pos < status.size()) {
        auto end = status.find('\n', pos);
        auto line = status.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':') {
            line.remove_prefix(key.size() + 1);
            while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
            return number_at(line);  // the unit is always kB
        }
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_cpu_ticks(std::string_view stat) {
    auto paren = stat.rfind(')');
    if (paren == std::string_view::npos) return std::nullopt;
    auto rest = stat.substr(paren + 1);
    // After ')': field 3 (state) is the first; utime is field 14, stime field 15.
    int field = 2;
    std::optional<std::uint64_t> utime, stime;
    std::size_t i = 0;
    while (i < rest.size()) {
        while (i < rest.size() && rest[i] == ' ') ++i;
        if (i >= rest.size()) break;
        auto end = rest.find(' ', i);
        auto token = rest.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        ++field;
        if (field == 14) utime = number_at(token);
        if (field == 15) {
            stime = number_at(token);
            break;
        }
        if (end == std::string_view::npos) break;
        i = end;
    }
    if (!utime || !stime) return std::nullopt;
    return *utime + *stime;
}

std::optional<SchedStat> parse_schedstat(std::string_view text) {
    std::uint64_t values[3];
    for (auto& v : values) {
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end == text.data()) return std::nullopt;
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    }
    return SchedStat{values[0], values[1], values[2]};
}

std::optional<SchedStat> read_schedstat(std::string const& pid_or_self) {
    auto text = read_whole("/proc/" + pid_or_self + "/schedstat");
    return text ? parse_schedstat(*text) : std::nullopt;
}

std::optional<ProcessSample> sample_process(int pid) {
    auto base = "/proc/" + std::to_string(pid);
    auto status = read_whole(base + "/status");
    auto stat = read_whole(base + "/stat");
    if (!status || !stat) return std::nullopt;
    auto rss = parse_status_kib(*status, "VmRSS");
    auto ticks = parse_cpu_ticks(*stat);
    if (!rss || !ticks) return std::nullopt;
    return ProcessSample{std::chrono::steady_clock::now(), *rss, parse_status_kib(*status, "VmHWM").value_or(*rss), *ticks};
}

ProcessWatch::ProcessWatch(int pid, long ticks_per_second) : ticks_per_second_(ticks_per_second) { summary_.pid = pid; }

void ProcessWatch::add(ProcessSample const& s) {
    if (!first_) {
        first_ = s;
        summary_.rss_start_kib = s.rss_kib;
    }
    if (previous_ && s.at > previous_->at) {
        last_percent_ = percent(s.cpu_ticks - std::min(s.cpu_ticks, previous_->cpu_ticks), s.at - previous_->at, ticks_per_second_);
        summary_.cpu_peak_percent = std::max(summary_.cpu_peak_percent, last_percent_);
    }
    if (s.at > first_->at)
        summary_.cpu_average_percent =
            percent(s.cpu_ticks - std::min(s.cpu_ticks, first_->cpu_ticks), s.at - first_->at, ticks_per_second_);
    summary_.rss_peak_kib = std::max(summary_.rss_peak_kib, s.rss_kib);
    summary_.rss_end_kib = s.rss_kib;
    summary_.rss_high_water_kib = std::max(summary_.rss_high_water_kib, s.rss_high_water_kib);
    ++summary_.samples;
    previous_ = s;
}

} // namespace brandchat_load
