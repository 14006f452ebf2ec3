// Logging to stderr, one line per event, filtered by a global level, as text or as JSON
// (--log-format). Lines are assembled first and written with one call, so concurrent processes do
// not interleave.
//
// Two ways to log:
//  - log::event(level, "reply", {{"brand", id}, {"conversation", cid}, {"connection", n}, {"duration_ms", ms}}):
//    a named event and its fields. As text: `reply: brand=techpro conversation=… duration_ms=12`;
//    as JSON: {"time","level","event","brand","conversation","connection","fields":{…}}, the
//    ids at the top so a log search finds every line about a conversation or a connection.
//  - log::info("free text ", n, " parts"): a line of text; as JSON, event "message" and the text
//    in fields.text.
// What a customer wrote is logged only at debug (event "chat message"); keys never are.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace brandchat::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };
enum class Format { text, json };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level& out);
void set_format(Format format);
Format format();
bool parse_format(std::string_view text, Format& out);
void write(Level level, std::string_view line);

// One field's value: text, a whole number, a fraction or a yes/no. It refers to what it was made
// from, so it lives only as long as the call.
class Value {
public:
    Value(std::string_view text) : v_(text) {}
    Value(char const* text) : v_(std::string_view(text)) {}
    Value(std::string const& text) : v_(std::string_view(text)) {}
    Value(bool b) : v_(b) {}
    Value(double d) : v_(d) {}
    template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool> && !std::is_same_v<Int, char>, int> = 0>
    Value(Int n) {
        if constexpr (std::is_signed_v<Int>) v_ = static_cast<std::int64_t>(n);
        else v_ = static_cast<std::uint64_t>(n);
    }
    std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool> const& get() const { return v_; }

private:
    std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool> v_;
};

using Fields = std::initializer_list<std::pair<std::string_view, Value>>;

void write_event(Level at, std::string_view name, Fields fields);

inline void event(Level at, std::string_view name, Fields fields) {
    if (at < level()) return;
    write_event(at, name, fields);
}

template <class... Parts>
void emit(Level at, Parts const&... parts) {
    if (at < level()) return;
    std::ostringstream line;
    (line << ... << parts);
    write(at, line.str());
}

template <class... Parts> void debug(Parts const&... p) { emit(Level::debug, p...); }
template <class... Parts> void info(Parts const&... p) { emit(Level::info, p...); }
template <class... Parts> void warn(Parts const&... p) { emit(Level::warn, p...); }
template <class... Parts> void error(Parts const&... p) { emit(Level::error, p...); }

} // namespace brandchat::log
