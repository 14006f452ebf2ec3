// Logging to stderr, one line per event, filtered by a global level.
// Lines are assembled first and written with one call, so concurrent processes do not interleave.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace brandchat::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level& out);
void write(Level level, std::string_view line);

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
