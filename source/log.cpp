#include "brandchat/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace brandchat::log {
namespace {
Level current = Level::info;
constexpr std::string_view names[] = {"debug", "info", "warn", "error", "off"};
} // namespace

void set_level(Level l) { current = l; }
Level level() { return current; }

bool parse_level(std::string_view text, Level& out) {
    for (int i = 0; i < 5; ++i)
        if (text == names[i]) {
            out = static_cast<Level>(i);
            return true;
        }
    return false;
}

void write(Level at, std::string_view line) {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[96];
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    std::string out;
    out.reserve(line.size() + 64);
    out.append(stamp).append(" ").append(names[static_cast<int>(at)]).append(" ").append(line).append("\n");
    // One write(2) per line keeps lines whole when several processes share stderr.
    [[maybe_unused]] auto n = ::write(2, out.data(), out.size());
}

} // namespace brandchat::log
