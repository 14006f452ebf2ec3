#include "brandchat/chat/rate_limiter.hpp"

#include "brandchat/config/parse_number.hpp"

#include <algorithm>
#include <charconv>

namespace brandchat {

std::optional<std::chrono::milliseconds> SlidingWindow::try_acquire(RateLimit const& limit, time_point now) {
    if (!limit.enabled()) return std::nullopt;
    auto expired = std::find_if(events_.begin(), events_.end(), [&](time_point t) { return now - t < limit.window; });
    events_.erase(events_.begin(), expired);
    if (events_.size() >= limit.count) {
        auto wait = events_.front() + limit.window - now;
        return std::chrono::ceil<std::chrono::milliseconds>(wait);
    }
    events_.push_back(now);
    return std::nullopt;
}

bool SlidingWindow::idle(RateLimit const& limit, time_point now) const {
    return events_.empty() || now - events_.back() >= limit.window;
}

std::optional<std::chrono::milliseconds> KeyedRateLimiter::try_acquire(std::string const& key, time_point now) {
    if (!limit_.enabled()) return std::nullopt;
    sweep(now);
    return windows_[key].try_acquire(limit_, now);
}

void KeyedRateLimiter::sweep(time_point now) {
    if (now < next_sweep_) return;
    next_sweep_ = now + limit_.window;
    std::erase_if(windows_, [&](auto const& entry) { return entry.second.idle(limit_, now); });
}

std::optional<RateLimit> parse_rate_limit(std::string_view text) {
    auto number = [](std::string_view s, std::size_t& out) {
        auto n = parse_number<std::size_t>(s);
        if (n) out = *n;
        return n.has_value();
    };
    RateLimit limit;
    auto slash = text.find('/');
    std::size_t count = 0, seconds = 60;
    if (!number(text.substr(0, slash), count)) return std::nullopt;
    if (slash != std::string_view::npos && (!number(text.substr(slash + 1), seconds) || seconds == 0)) return std::nullopt;
    limit.count = count;
    limit.window = std::chrono::seconds(seconds);
    return limit;
}

} // namespace brandchat
