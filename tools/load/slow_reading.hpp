// The slow scenario's arithmetic (--scenario slow): how many bytes a slow reader may take from its
// socket now, and the server's memory over the run, per slow client. Pure: callers pass the clock
// readings and the samples; tests feed synthetic ones.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace brandchat_load {

// At most `bytes` per window of `interval`, windows counted from `start`. A reader asks for its
// allowance before each read of the socket and reports what the read took; with none left it
// waits until next_window().
class ReadPace {
public:
    using Clock = std::chrono::steady_clock;

    ReadPace(std::size_t bytes, Clock::duration interval, Clock::time_point start);

    // What is left of the budget of the window `now` is in (a new window starts with all of it).
    std::size_t allowance(Clock::time_point now);
    // The start of the window after the one `now` is in.
    Clock::time_point next_window(Clock::time_point now) const;
    // A read at `now` took `n` bytes (at most the allowance it was given).
    void consumed(std::size_t n);

    std::size_t bytes_per_window() const { return bytes_; }
    Clock::duration interval() const { return interval_; }

private:
    std::int64_t window_of(Clock::time_point now) const;

    std::size_t bytes_;
    Clock::duration interval_;
    Clock::time_point start_;
    std::int64_t window_ = -1;
    std::size_t used_ = 0;
};

// One sample of the server during a slow run: seconds since the run started, its RSS, how many
// slow clients were connected, and how many bytes they had read from their sockets in all.
struct RssPoint {
    double t_s = 0;
    std::uint64_t rss_kib = 0;
    std::uint64_t open = 0;
    std::uint64_t bytes_read = 0;
};

// The samples of one run, the first being the baseline (taken before any connection).
// Per slow client = (RSS - baseline RSS) / clients open at that sample.
class RssSeries {
public:
    void add(RssPoint p) { points_.push_back(p); }
    std::vector<RssPoint> const& points() const { return points_; }
    bool empty() const { return points_.empty(); }

    // (rss - baseline) / open in KiB (negative when the server shrank); empty with nobody open.
    std::optional<double> per_client_kib(RssPoint const& p) const;
    // Bytes read per open client at p, in KiB.
    std::optional<double> read_per_client_kib(RssPoint const& p) const;
    // Least-squares slope of the per-client figure against time, KiB per second, over the samples
    // with from_s <= t_s <= to_s that have clients open; empty with fewer than two of them.
    std::optional<double> slope_kib_per_s(double from_s, double to_s) const;
    // Which samples a table shows: the first, the first at or after each multiple of every_s,
    // and the last.
    std::vector<std::size_t> rows(double every_s) const;

private:
    std::vector<RssPoint> points_;
};

} // namespace brandchat_load
