#include "brandchat/reply/sse_parser.hpp"

#include <boost/json.hpp>

namespace brandchat {

namespace json = boost::json;

void SseEvents::take(SseEvent& event) {
    if (size_ == slots_.size()) slots_.emplace_back();
    auto& slot = slots_[size_++];
    std::swap(slot, event);
}

void SseParser::overflow() {
    overflowed_ = true;
    partial_ = {};
    current_ = {};
    has_data_ = false;
}

void SseParser::feed(std::string_view bytes, SseEvents& out) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < bytes.size() && !overflowed_; ++i) {
        char c = bytes[i];
        if (skip_lf_) {
            skip_lf_ = false;
            if (c == '\n') {
                start = i + 1;
                continue;
            }
        }
        if (c != '\n' && c != '\r') continue;
        if (partial_.size() + (i - start) > max_line_) return overflow();
        partial_.append(bytes.substr(start, i - start));
        line(partial_, out);
        partial_.clear();
        skip_lf_ = c == '\r';
        start = i + 1;
    }
    if (overflowed_) return;
    if (partial_.size() + (bytes.size() - start) > max_line_) return overflow();
    partial_.append(bytes.substr(start));
}

void SseParser::line(std::string_view text, SseEvents& out) {
    if (text.empty()) {
        if (has_data_) out.take(current_); // current_ now holds an old event's buffers
        current_.event.clear();
        current_.data.clear();
        has_data_ = false;
        return;
    }
    if (text.front() == ':') return; // comment, e.g. ": keep-alive"
    auto colon = text.find(':');
    std::string_view field = text.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
        if (current_.data.size() + value.size() + 1 > max_event_) return overflow();
        if (has_data_) current_.data.push_back('\n');
        current_.data.append(value);
        has_data_ = true;
    } else if (field == "event") {
        current_.event.assign(value);
    }
    // id and retry are not used by chat completions.
}

CompletionDelta read_completion_event(SseEvent const& event) {
    CompletionDelta d;
    if (event.data == "[DONE]") {
        d.kind = CompletionDelta::Kind::done;
        return d;
    }
    // One event's JSON is small: parse it into stack memory, not the heap.
    unsigned char scratch[4096];
    json::monotonic_resource memory(scratch, sizeof scratch);
    boost::system::error_code ec;
    auto v = json::parse(event.data, ec, &memory);
    auto error_message = [](json::value const* err) -> std::string {
        if (err && err->is_object())
            if (auto const* m = err->as_object().if_contains("message"); m && m->is_string()) return std::string(m->get_string());
        if (err && err->is_string()) return std::string(err->get_string());
        return "unspecified error";
    };
    if (event.event == "error") {
        d.kind = CompletionDelta::Kind::error;
        d.text = ec || !v.is_object() ? event.data : error_message(v.as_object().if_contains("error"));
        return d;
    }
    if (ec || !v.is_object()) return d; // not ours to understand: ignored
    auto const& o = v.as_object();
    if (auto const* err = o.if_contains("error"); err && !err->is_null()) {
        d.kind = CompletionDelta::Kind::error;
        d.text = error_message(err);
        return d;
    }
    if (auto const* usage = o.if_contains("usage"); usage && usage->is_object()) {
        auto const& u = usage->as_object();
        // A count that is not a whole number >= 0 (-1, 2.5, 1e30) is not one: 0, not an
        // exception that would end the reply.
        auto number = [&](char const* key) -> std::uint64_t {
            auto const* n = u.if_contains(key);
            if (!n || !n->is_number()) return 0;
            boost::system::error_code not_exact;
            auto count = n->to_number<std::uint64_t>(not_exact);
            return not_exact ? 0 : count;
        };
        d.prompt_tokens = number("prompt_tokens");
        d.completion_tokens = number("completion_tokens");
        d.total_tokens = number("total_tokens");
        d.kind = CompletionDelta::Kind::usage;
    }
    if (auto const* choices = o.if_contains("choices"); choices && choices->is_array() && !choices->as_array().empty()) {
        auto const& choice = choices->as_array().front();
        if (choice.is_object()) {
            auto const& c = choice.as_object();
            if (auto const* fr = c.if_contains("finish_reason"); fr && fr->is_string()) d.finished = true;
            if (auto const* delta = c.if_contains("delta"); delta && delta->is_object())
                if (auto const* content = delta->as_object().if_contains("content"); content && content->is_string() &&
                                                                                      !content->get_string().empty()) {
                    d.kind = CompletionDelta::Kind::content;
                    d.text = std::string(content->get_string());
                }
        }
    }
    return d;
}

} // namespace brandchat
