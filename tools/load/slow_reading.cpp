#include "slow_reading.hpp"

#include <algorithm>
#include <cmath>

namespace brandchat_load {

ReadPace::ReadPace(std::size_t bytes, Clock::duration interval, Clock::time_point start)
    : bytes_(bytes), interval_(interval), start_(start) {}

std::int64_t ReadPace::window_of(Clock::time_point now) const {
    if (now <= start_ || interval_.count() <= 0) return 0;
    return static_cast<std::int64_t>((now - start_) / interval_);
}

std::size_t ReadPace::allowance(Clock::time_point now) {
    auto w = window_of(now);
    if (w != window_) {
        window_ = w;
        used_ = 0;
    }
    return bytes_ - std::min(used_, bytes_);
}

ReadPace::Clock::time_point ReadPace::next_window(Clock::time_point now) const { return start_ + (window_of(now) + 1) * interval_; }

void ReadPace::consumed(std::size_t n) { used_ += n; }

std::optional<double> RssSeries::per_client_kib(RssPoint const& p) const {
    if (points_.empty() || p.open == 0) return std::nullopt;
    auto base = static_cast<double>(points_.front().rss_kib);
    return (static_cast<double>(p.rss_kib) - base) / static_cast<double>(p.open);
}

std::optional<double> RssSeries::read_per_client_kib(RssPoint const& p) const {
    if (p.open == 0) return std::nullopt;
    return static_cast<double>(p.bytes_read) / 1024.0 / static_cast<double>(p.open);
}

std::optional<double> RssSeries::slope_kib_per_s(double from_s, double to_s) const {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (auto const& p : points_) {
        if (p.t_s < from_s || p.t_s > to_s) continue;
        auto y = per_client_kib(p);
        if (!y) continue;
        n += 1;
        sx += p.t_s;
        sy += *y;
        sxx += p.t_s * p.t_s;
        sxy += p.t_s * *y;
    }
    double d = n * sxx - sx * sx;
    if (n < 2 || std::abs(d) < 1e-12) return std::nullopt;
    return (n * sxy - sx * sy) / d;
}

std::vector<std::size_t> RssSeries::rows(double every_s) const {
    std::vector<std::size_t> out;
    if (points_.empty()) return out;
    out.push_back(0);
    double next = every_s > 0 ? every_s : 0;
    for (std::size_t i = 1; i + 1 < points_.size(); ++i) {
        if (every_s <= 0 || points_[i].t_s + 1e-9 < next) continue;
        out.push_back(i);
        while (next <= points_[i].t_s + 1e-9) next += every_s;
    }
    if (points_.size() > 1) out.push_back(points_.size() - 1);
    return out;
}

} // namespace brandchat_load
