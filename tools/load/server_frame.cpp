#include "server_frame.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cstdint>

namespace brandchat_load {

namespace {

FrameKind kind_of_type(std::string_view type) {
    if (type == "chunk") return FrameKind::chunk;
    if (type == "complete") return FrameKind::complete;
    if (type == "welcome") return FrameKind::welcome;
    if (type == "error") return FrameKind::error;
    if (type == "pong") return FrameKind::pong;
    return FrameKind::other;
}

// data.<key> as a string, or "" when the frame is not JSON or has no such string.
std::string data_string(std::string_view frame, std::string_view key) {
    boost::system::error_code ec;
    auto v = boost::json::parse(frame, ec);
    if (ec || !v.is_object()) return {};
    auto const* data = v.get_object().if_contains("data");
    if (!data || !data->is_object()) return {};
    auto const* field = data->get_object().if_contains(key);
    if (!field || !field->is_string()) return {};
    return std::string(field->get_string());
}

// Digits at the front of `s` as a number, and `s` moved past them; false when there are none
// (no sign is taken) or they do not fit.
bool take_number(std::string_view& s, std::int64_t& n) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || value > static_cast<std::uint64_t>(INT64_MAX)) return false;
    s.remove_prefix(static_cast<std::size_t>(end - s.data()));
    n = static_cast<std::int64_t>(value);
    return true;
}

} // namespace

bool next_token_stamp(std::string_view& rest, TokenStamp& stamp) {
    for (auto at = rest.find(" @"); at != std::string_view::npos; at = rest.find(" @")) {
        rest.remove_prefix(at + 2);
        auto s = rest;
        if (take_number(s, stamp.written_us) && !s.empty() && s.front() == ':') {
            s.remove_prefix(1);
            if (take_number(s, stamp.due_us)) {
                rest = s;
                return true;
            }
        }
    }
    rest = {};
    return false;
}

std::string_view frame_kind_name(FrameKind kind) {
    switch (kind) {
    case FrameKind::welcome: return "welcome";
    case FrameKind::chunk: return "chunk";
    case FrameKind::complete: return "complete";
    case FrameKind::error: return "error";
    case FrameKind::pong: return "pong";
    case FrameKind::other: return "other";
    case FrameKind::malformed: return "malformed";
    }
    return "?";
}

FrameKind classify_frame(std::string_view frame) {
    constexpr std::string_view lead = R"({"type":")";
    if (frame.starts_with(lead)) {
        auto rest = frame.substr(lead.size());
        auto end = rest.find_first_of("\"\\");
        if (end != std::string_view::npos && rest[end] == '"') return kind_of_type(rest.substr(0, end));
    }
    // Whitespace, another key order or an escaped type: read it properly.
    boost::system::error_code ec;
    auto v = boost::json::parse(frame, ec);
    if (ec || !v.is_object()) return FrameKind::malformed;
    auto const* type = v.get_object().if_contains("type");
    if (!type || !type->is_string()) return FrameKind::malformed;
    return kind_of_type(type->get_string());
}

std::string error_message_of(std::string_view frame) { return data_string(frame, "message"); }

std::string conversation_id_of(std::string_view frame) { return data_string(frame, "conversation_id"); }

std::string error_group(std::string_view message) {
    constexpr std::size_t longest = 60;
    auto colon = message.find(':');
    auto group = message.substr(0, colon);
    if (group.size() > longest) return std::string(group.substr(0, longest)) + "...";
    if (group.empty()) return "(empty message)";
    return std::string(group);
}

} // namespace brandchat_load
