// Sliding-window rate limit: at most `count` events per `window` for each key. The clock is a
// parameter, so tests control time. A count of 0 turns the limit off.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>
#include <optional>
#include <string>
#include <unordered_map>

namespace brandchat {

struct RateLimit {
    std::size_t count = 0;                    // 0: unlimited
    std::chrono::seconds window{60};
    bool enabled() const { return count > 0; }
};

// For one key: the times of the accepted events inside the window.
class SlidingWindow {
public:
    using time_point = std::chrono::steady_clock::time_point;

    // Records an event at `now` and returns nullopt, or returns how long until one would be accepted.
    std::optional<std::chrono::milliseconds> try_acquire(RateLimit const& limit, time_point now);
    bool idle(RateLimit const& limit, time_point now) const;

private:
    std::vector<time_point> events_; // oldest first; a deque would cost 600 bytes per idle connection
};

// Many keys (client addresses), with stale keys dropped as time passes.
class KeyedRateLimiter {
public:
    using time_point = SlidingWindow::time_point;

    explicit KeyedRateLimiter(RateLimit limit) : limit_(limit) {}
    std::optional<std::chrono::milliseconds> try_acquire(std::string const& key, time_point now);
    std::size_t keys() const { return windows_.size(); }
    RateLimit const& limit() const { return limit_; }

private:
    void sweep(time_point now);

    RateLimit limit_;
    std::unordered_map<std::string, SlidingWindow> windows_;
    time_point next_sweep_{};
};

// "10/60" → {10, 60 s}; "0" → off. nullopt when malformed.
std::optional<RateLimit> parse_rate_limit(std::string_view text);

} // namespace brandchat
