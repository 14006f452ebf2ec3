// log.hpp: an event as text (key=value, quoted when it must be) and as JSON (one object per line,
// the ids at the top, the rest under "fields"), and free text as JSON. What is written to
// stderr is caught through a pipe.
#include <doctest/doctest.h>

#include "brandchat/log.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using namespace brandchat;
namespace json = boost::json;

namespace {

// Runs `write_lines` with stderr going into a pipe; returns what was written.
template <class Fn>
std::string captured(Fn write_lines) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    int saved = ::dup(2);
    ::dup2(fds[1], 2);
    write_lines();
    ::dup2(saved, 2);
    ::close(saved);
    ::close(fds[1]);
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return out;
}

struct Restore {
    ~Restore() {
        log::set_format(log::Format::text);
        log::set_level(log::Level::off);
    }
};

} // namespace

TEST_CASE("log events: text with key=value, JSON with the ids at the top; free text as JSON") {
    Restore restore;
    log::set_level(log::Level::info);
    log::set_format(log::Format::text);
    auto text = captured([] {
        log::event(log::Level::info, "reply", {{"brand", "techpro"}, {"connection", 7}, {"duration_ms", std::int64_t{-3}},
                                               {"outcome", "client left"}, {"voice", false}, {"ratio", 0.5}, {"empty", ""},
                                               {"cr", "a\rb"}});
        log::event(log::Level::debug, "chat message", {{"text", "below the level"}});
    });
    CHECK(text.find(" info reply: brand=techpro connection=7 duration_ms=-3 outcome=\"client left\" voice=false ratio=0.5 empty=\"\" cr=\"a\\rb\"\n") !=
          std::string::npos);
    CHECK(text.find("below the level") == std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);

    log::set_format(log::Format::json);
    auto lines = captured([] {
        log::event(log::Level::warn, "model request failed",
                   {{"brand", "rumah\"kita"}, {"conversation", "conv-1"}, {"connection", 3u}, {"error", "line\nbreak \xff"}, {"status", 503}});
        log::info("free ", 2, " parts");
    });
    auto cut = lines.find('\n');
    REQUIRE(cut != std::string::npos);
    auto first = json::parse(lines.substr(0, cut)).as_object();
    CHECK(first.at("level") == "warn");
    CHECK(first.at("event") == "model request failed");
    CHECK(first.at("brand") == "rumah\"kita");
    CHECK(first.at("conversation") == "conv-1");
    CHECK(first.at("connection") == 3);
    CHECK(first.at("time").as_string().size() == 24); // 2026-12-01T23:05:26.123Z
    auto const& fields = first.at("fields").as_object();
    CHECK(fields.at("status") == 503);
    CHECK(fields.at("error") == "line\nbreak \xEF\xBF\xBD"); // the invalid byte replaced: every line is valid JSON
    CHECK_FALSE(fields.contains("brand"));
    auto second = json::parse(lines.substr(cut + 1)).as_object();
    CHECK(second.at("event") == "message");
    CHECK(second.at("fields").at("text") == "free 2 parts");
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 2);

    log::Format f;
    CHECK(log::parse_format("json", f));
    CHECK(f == log::Format::json);
    CHECK_FALSE(log::parse_format("yaml", f));
}
