// What the server measures of itself, and how it is written for Prometheus (GET /metrics,
// net/metrics_page.cpp). Counters are plain integers and histograms fixed arrays: everything
// runs on the server's one thread, and an observation costs a few comparisons and two additions.
// No Prometheus client library for C++ is packaged in Debian 12; the text format
// (prometheus.io/docs/instrumenting/exposition_formats) is what PrometheusText writes.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace brandchat {

// A latency histogram in seconds: buckets 10 µs to 10 s in steps of 1, 2 and 5, so a p99 near
// the 1 ms target is told from its neighbours (500 µs, 2 ms), and +Inf.
class Histogram {
public:
    static constexpr std::array<double, 19> bounds{1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2,
                                                   2e-2, 5e-2, 0.1,  0.2,  0.5,  1,    2,    5,    10};

    void observe(double seconds);
    void observe(std::chrono::steady_clock::duration d) { observe(std::chrono::duration<double>(d).count()); }

    // counts()[i]: observations in (bounds[i-1], bounds[i]]; the last one, those past 10 s.
    std::array<std::uint64_t, bounds.size() + 1> const& counts() const { return counts_; }
    std::uint64_t count() const { return count_; }
    double sum() const { return sum_; }

private:
    std::array<std::uint64_t, bounds.size() + 1> counts_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

// What the socket layer counts (CoalescingStream::set_meters): its writes, their bytes, and per
// write that carries a reply's text, the time from that text's arrival to the write.
struct StreamMeters {
    std::uint64_t writes = 0;
    std::uint64_t bytes = 0;
    Histogram chunk_write_delay;
};

// Prometheus' text exposition format, version 0.0.4: a family's HELP and TYPE lines, then its
// samples. Label values are escaped (backslash, quote, line feed); names are the caller's
// constants.
class PrometheusText {
public:
    using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
    static constexpr char content_type[] = "text/plain; version=0.0.4; charset=utf-8";

    // type: "counter", "gauge" or "histogram".
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, Labels labels, double value);
    void sample(std::string_view name, Labels labels, std::uint64_t value);
    void sample(std::string_view name, std::uint64_t value) { sample(name, {}, value); }
    // The family must have been opened with type "histogram": its _bucket, _sum and _count lines.
    void histogram(std::string_view name, Labels labels, Histogram const& h);

    std::string take() { return std::move(text_); }

private:
    void labels(Labels labels, std::string_view extra_name = {}, std::string_view extra_value = {});
    std::string text_;
};

// Why an `error` frame was sent (brandchat_errors_sent_total{cause}). A handler that adds a
// message type passes one of these, or leaves the default.
enum class ErrorCause : std::uint8_t {
    other,             // a handler's own, or not said
    invalid_message,   // not JSON, no type, a field of the wrong kind, too long
    unknown_type,      // no handler for the message's type
    binary_frame,
    message_timeout,   // a message's frames did not all arrive in time
    handler_failed,    // a handler threw
    rate_limited,      // per connection or per address
    queue_full,        // too many chats waiting behind the reply in progress
    brand_unavailable, // the URL's brand is unknown, inactive or was withdrawn
    reply_failed,      // the model (and the built-in fallback) could not answer
    internal,          // the reply failed for a reason of the server's own
};
inline constexpr std::size_t error_cause_count = 11;
std::string_view error_cause_name(ErrorCause cause);

// Label values come from what clients and shops send (brand ids): a family keeps at most this
// many distinct values of such a label, and counts the rest under "other".
inline constexpr std::size_t max_label_values = 200;

// The entry of `map` for `key`, or, once the map holds max_label_values keys, the one for "other".
template <class Map>
auto& bounded_entry(Map& map, std::string_view key) {
    if (auto it = map.find(key); it != map.end()) return it->second;
    if (map.size() >= max_label_values) key = "other";
    return map.try_emplace(std::string(key)).first->second;
}

} // namespace brandchat
