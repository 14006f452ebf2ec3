#include "brandchat/log.hpp"

#include "brandchat/protocol/json_text.hpp"
#include "brandchat/protocol/server_message.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace brandchat::log {
namespace {
Level current = Level::info;
Format current_format = Format::text;
constexpr std::string_view names[] = {"debug", "info", "warn", "error", "off"};
// Fields shown at the top of a JSON line, beside time, level and event.
constexpr std::string_view id_fields[] = {"brand", "conversation", "connection", "request"};

std::string timestamp() {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[96];
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return stamp;
}

// One write(2) per line keeps lines whole when several processes share stderr.
void put(std::string& out) {
    out += '\n';
    [[maybe_unused]] auto n = ::write(2, out.data(), out.size());
}

void append_value(std::string& out, Value const& value, bool json) {
    std::visit(
        [&](auto const& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                if (json) return protocol::append_json_string(out, v);
                bool quote = v.empty() || std::any_of(v.begin(), v.end(), [](char c) {
                    return c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                });
                if (!quote) return void(out.append(v));
                protocol::append_json_string(out, v); // quoted and escaped the JSON way: one line, readable
            } else if constexpr (std::is_same_v<T, bool>) {
                out += v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                protocol::append_json_number(out, v);
            } else {
                char buffer[24];
                auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
                out.append(buffer, end);
            }
        },
        value.get());
}

bool is_id(std::string_view key) {
    for (auto id : id_fields)
        if (key == id) return true;
    return false;
}

} // namespace

void set_level(Level l) { current = l; }
Level level() { return current; }
void set_format(Format f) { current_format = f; }
Format format() { return current_format; }

bool parse_level(std::string_view text, Level& out) {
    for (int i = 0; i < 5; ++i)
        if (text == names[i]) {
            out = static_cast<Level>(i);
            return true;
        }
    return false;
}

bool parse_format(std::string_view text, Format& out) {
    if (text == "text") out = Format::text;
    else if (text == "json") out = Format::json;
    else return false;
    return true;
}

void write(Level at, std::string_view line) {
    if (current_format == Format::json) return write_event(at, "message", {{"text", line}});
    std::string out;
    out.reserve(line.size() + 64);
    out.append(timestamp()).append(" ").append(names[static_cast<int>(at)]).append(" ").append(line);
    put(out);
}

void write_event(Level at, std::string_view name, Fields fields) {
    std::string out;
    out.reserve(256);
    if (current_format == Format::text) {
        out.append(timestamp()).append(" ").append(names[static_cast<int>(at)]).append(" ").append(name).append(":");
        for (auto const& [key, value] : fields) {
            out.append(" ").append(key).append("=");
            append_value(out, value, false);
        }
        return put(out);
    }
    out.append(R"({"time":")").append(timestamp()).append(R"(","level":")").append(names[static_cast<int>(at)]).append(R"(","event":)");
    protocol::append_json_string(out, name);
    for (auto const& [key, value] : fields) {
        if (!is_id(key)) continue;
        out.append(",\"").append(key).append("\":");
        append_value(out, value, true);
    }
    out.append(R"(,"fields":{)");
    bool first = true;
    for (auto const& [key, value] : fields) {
        if (is_id(key)) continue;
        if (!first) out += ',';
        first = false;
        protocol::append_json_string(out, key);
        out += ':';
        append_value(out, value, true);
    }
    out.append("}}");
    put(out);
}

} // namespace brandchat::log
