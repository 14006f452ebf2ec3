#include "brandchat/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace brandchat {

void Histogram::observe(double seconds) {
    if (!(seconds >= 0)) seconds = 0; // a clock read out of order, or NaN, counts as no time
    auto at = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
    ++counts_[static_cast<std::size_t>(at)];
    ++count_;
    sum_ += seconds;
}

std::string_view error_cause_name(ErrorCause cause) {
    switch (cause) {
    case ErrorCause::other: return "other";
    case ErrorCause::invalid_message: return "invalid_message";
    case ErrorCause::unknown_type: return "unknown_type";
    case ErrorCause::binary_frame: return "binary_frame";
    case ErrorCause::message_timeout: return "message_timeout";
    case ErrorCause::handler_failed: return "handler_failed";
    case ErrorCause::rate_limited: return "rate_limited";
    case ErrorCause::queue_full: return "queue_full";
    case ErrorCause::brand_unavailable: return "brand_unavailable";
    case ErrorCause::reply_failed: return "reply_failed";
    case ErrorCause::internal: return "internal";
    }
    return "other";
}

namespace {

void append_number(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
}

void append_number(std::string& out, std::uint64_t value) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
}

void append_escaped(std::string& out, std::string_view text, bool quotes) {
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quotes) out += "\\\"";
        else out += c;
    }
}

} // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
    text_.append("# HELP ").append(name).append(" ");
    append_escaped(text_, help, false);
    text_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::labels(Labels labels, std::string_view extra_name, std::string_view extra_value) {
    if (labels.size() == 0 && extra_name.empty()) return;
    text_ += '{';
    bool first = true;
    auto one = [&](std::string_view name, std::string_view value) {
        if (!first) text_ += ',';
        first = false;
        text_.append(name).append("=\"");
        append_escaped(text_, value, true);
        text_ += '"';
    };
    for (auto const& [name, value] : labels) one(name, value);
    if (!extra_name.empty()) one(extra_name, extra_value);
    text_ += '}';
}

void PrometheusText::sample(std::string_view name, Labels l, double value) {
    text_.append(name);
    labels(l);
    text_ += ' ';
    append_number(text_, value);
    text_ += '\n';
}

void PrometheusText::sample(std::string_view name, Labels l, std::uint64_t value) {
    text_.append(name);
    labels(l);
    text_ += ' ';
    append_number(text_, value);
    text_ += '\n';
}

void PrometheusText::histogram(std::string_view name, Labels l, Histogram const& h) {
    std::uint64_t cumulative = 0;
    std::string bound;
    for (std::size_t i = 0; i <= Histogram::bounds.size(); ++i) {
        cumulative += h.counts()[i];
        bound.clear();
        append_number(bound, i < Histogram::bounds.size() ? Histogram::bounds[i] : HUGE_VAL);
        text_.append(name).append("_bucket");
        labels(l, "le", bound);
        text_ += ' ';
        append_number(text_, cumulative);
        text_ += '\n';
    }
    text_.append(name).append("_sum");
    labels(l);
    text_ += ' ';
    append_number(text_, h.sum());
    text_.append("\n").append(name).append("_count");
    labels(l);
    text_ += ' ';
    append_number(text_, h.count());
    text_ += '\n';
}

} // namespace brandchat
