#include "fd_limit.hpp"
#include "load_options.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace brandchat_load;

namespace {

CommandLine parse(std::vector<std::string_view> args) { return parse_command_line(args); }

} // namespace

TEST_CASE("defaults") {
    auto cl = parse({});
    CHECK(cl.error.empty());
    CHECK(!cl.help);
    auto const& o = cl.options;
    CHECK(o.scenario == Scenario::chat);
    CHECK(o.target.host == "127.0.0.1");
    CHECK(o.target.port == "8000");
    CHECK(o.target.target == "/ws/chat/techpro");
    CHECK(o.message == "I need a laptop for business work");
    CHECK(o.rate == 0);
    CHECK(o.ramp_per_second == 2000);
    CHECK(!o.json);
    CHECK(o.source_addresses.empty());
}

TEST_CASE("every option, both spellings") {
    auto cl = parse({"--url", "ws://localhost:9000/ws/chat/rumahkita", "--scenario=ping", "--connections", "500",
                     "--duration", "2.5", "--ramp-per-second=100", "--message", "halo", "--rate", "0.5", "--continue",
                     "--voice", "--source-range", "3", "--server-pid", "1234", "--json", "--expect-delay-ms", "20",
                     "--connect-timeout", "3"});
    REQUIRE(cl.error.empty());
    auto const& o = cl.options;
    CHECK(o.scenario == Scenario::ping);
    CHECK(o.target.host == "localhost");
    CHECK(o.target.port == "9000");
    CHECK(o.target.target == "/ws/chat/rumahkita");
    CHECK(o.connections == 500);
    CHECK(o.duration_s == 2.5);
    CHECK(o.ramp_per_second == 100);
    CHECK(o.message == "halo");
    CHECK(o.rate == 0.5);
    CHECK(o.continue_conversation);
    CHECK(o.voice);
    CHECK(o.source_addresses == std::vector<std::string>{"127.0.0.1", "127.0.0.2", "127.0.0.3"});
    CHECK(o.server_pid == 1234);
    CHECK(o.json);
    CHECK(o.expect_delay_ms == 20.0);
    CHECK(o.connect_timeout_s == 3.0);
    CHECK(parse({"--scenario", "chat", "--max-replies", "7"}).options.max_replies == 7);
    CHECK(parse({"--help"}).help);
    CHECK(parse({"-h"}).help);
}

TEST_CASE("bad command lines say what is wrong") {
    auto error = [](std::vector<std::string_view> args) { return parse_command_line(args).error; };
    CHECK(error({"--bogus"}) == "unknown option --bogus (see --help)");
    CHECK(error({"--connections"}) == "option --connections needs a value");
    CHECK(error({"--connections", "0"}).find("--connections: expected a whole number 1..") == 0);
    CHECK(error({"--connections", "12x"}).find("--connections") == 0);
    CHECK(error({"--connections", "-5"}).find("--connections") == 0);
    CHECK(error({"--duration", "0"}).find("--duration: expected a number > 0") == 0);
    CHECK(error({"--duration", "abc"}).find("--duration") == 0);
    CHECK(error({"--rate", "-1"}).find("--rate: expected a number >= 0") == 0);
    CHECK(error({"--scenario", "storm"}) == "--scenario: expected idle, chat, ping, cancel, wakeup or slow, got 'storm'");
    CHECK(error({"--scenario", "chat", "--cancellations", "3"}) == "--cancellations applies to --scenario cancel only");
    CHECK(error({"--scenario", "cancel", "--cancellations", "0"}).find("--cancellations: expected a whole number 1..") == 0);
    CHECK(error({"--expect-first-token-ms", "-1"}).find("--expect-first-token-ms: expected a number >= 0") == 0);
    CHECK(error({"--url", "http://x/ws"}).find("--url must start with ws://") == 0);
    CHECK(error({"--url", "wss://x/ws"}).find("wss:// is not supported") == 0);
    CHECK(error({"--url", "ws://:80/ws"}).find("--url: no host") == 0);
    CHECK(error({"--url", "ws://h:99999/ws"}).find("--url: port must be 1..65535") == 0);
    CHECK(error({"--message", ""}) == "--message: must not be empty");
    CHECK(error({"--source-addresses", "127.0.0.1,nope"}) == "--source-addresses: 'nope' is not an IP address");
    CHECK(error({"--source-range", "0"}).find("--source-range") == 0);
    CHECK(error({"--source-range", "2", "--source-addresses", "127.0.0.1"}).find("give one of them") != std::string::npos);
    CHECK(error({"--scenario", "idle", "--max-replies", "3"}) == "--max-replies applies to --scenario chat only");
    CHECK(error({"--json=yes"}) == "option --json takes no value");
}

TEST_CASE("the cancel scenario and the expected first-token delay") {
    auto cl = parse({"--scenario", "cancel", "--cancellations", "200", "--expect-first-token-ms=12.5"});
    REQUIRE(cl.error.empty());
    CHECK(cl.options.scenario == Scenario::cancel);
    CHECK(scenario_name(cl.options.scenario) == "cancel");
    CHECK(cl.options.cancellations == 200);
    CHECK(cl.options.expect_first_token_ms == 12.5);
    auto defaults = parse({});
    CHECK(defaults.options.cancellations == 0);
    CHECK(!defaults.options.expect_first_token_ms);
    CHECK(help_text().find("--cancellations N") != std::string::npos);
    CHECK(help_text().find("--expect-first-token-ms") != std::string::npos);
}

TEST_CASE("the wakeup scenario opens no connections") {
    auto cl = parse({"--scenario", "wakeup", "--connections", "50", "--duration", "3"});
    REQUIRE(cl.error.empty());
    CHECK(cl.options.scenario == Scenario::wakeup);
    CHECK(scenario_name(cl.options.scenario) == "wakeup");
    CHECK(cl.options.connections == 0);
    CHECK(cl.options.duration_s == 3);
    CHECK(parse({"--scenario", "sleep"}).error.find("wakeup") != std::string::npos);
    CHECK(help_text().find("wakeup:") != std::string::npos);
}

TEST_CASE("ws URLs") {
    std::string error;
    auto t = parse_ws_url("ws://example.com/ws/chat/techpro?x=1", error);
    REQUIRE(t);
    CHECK(t->host == "example.com");
    CHECK(t->port == "80");
    CHECK(t->target == "/ws/chat/techpro?x=1");
    t = parse_ws_url("ws://[::1]:8000/ws", error);
    REQUIRE(t);
    CHECK(t->host == "::1");
    CHECK(t->port == "8000");
    t = parse_ws_url("ws://h:81", error);
    REQUIRE(t);
    CHECK(t->target == "/");
    CHECK(!parse_ws_url("ws://[::1/ws", error));
}

TEST_CASE("loopback ranges count on past .255") {
    auto r = loopback_range(257);
    REQUIRE(r.size() == 257);
    CHECK(r[0] == "127.0.0.1");
    CHECK(r[253] == "127.0.0.254");
    CHECK(r[254] == "127.0.0.255");
    CHECK(r[255] == "127.0.1.0");
    CHECK(r[256] == "127.0.1.1");
}

TEST_CASE("the open-file limit is judged with a margin and a clear message") {
    auto ok = judge_fd_limit(900, 1024);
    CHECK(ok.enough);
    CHECK(ok.message.empty());
    auto short_ = judge_fd_limit(10000, 1024);
    CHECK(!short_.enough);
    CHECK(short_.most_connections == 1024 - fd_margin);
    CHECK(short_.message.find("open-file limit is 1024: at most ~992 connections") == 0);
    CHECK(short_.message.find("ulimit -n") != std::string::npos);
    CHECK(!judge_fd_limit(1, 10).enough);
}

TEST_CASE("ramp arrivals: even by default, random on request") {
    CHECK_FALSE(parse_command_line({"--connections", "5"}).options.random_arrivals);
    CHECK(parse_command_line({"--ramp-arrivals", "random"}).options.random_arrivals);
    CHECK_FALSE(parse_command_line({"--ramp-arrivals", "even"}).options.random_arrivals);
    CHECK(parse_command_line({"--ramp-arrivals", "poisson"}).error.find("--ramp-arrivals: expected even or random") != std::string::npos);
}

TEST_CASE("arrival offsets: evenly spaced, or exponential gaps of the same mean from a fixed seed") {
    CHECK(arrival_offset(0, 0, 500, nullptr) == 0);
    CHECK(arrival_offset(250, 0, 500, nullptr) == doctest::Approx(0.5));
    auto starts = [](std::size_t n) {
        std::mt19937_64 draws(arrival_seed);
        std::vector<double> at;
        double offset = 0;
        for (std::size_t i = 0; i < n; ++i) at.push_back(offset = arrival_offset(i, offset, 500, &draws));
        return at;
    };
    auto a = starts(20000);
    CHECK(a.front() == 0);
    CHECK(std::is_sorted(a.begin(), a.end()));
    CHECK(a == starts(20000)); // the same every run
    // Mean gap 1/500 s; about 63 % of exponential gaps are shorter than the mean.
    CHECK(a.back() / 19999 == doctest::Approx(0.002).epsilon(0.03));
    std::size_t shorter = 0;
    for (std::size_t i = 1; i < a.size(); ++i) shorter += (a[i] - a[i - 1] < 0.002) ? 1 : 0;
    CHECK(static_cast<double>(shorter) / 19999 == doctest::Approx(0.632).epsilon(0.03));
    // Against a 200 ms token delay the phases spread out: no 2 ms-wide slot of the 200 ms cycle
    // holds the tenth of the starts that even spacing puts in every slot.
    std::vector<int> slots(100);
    for (std::size_t i = 0; i < 1000; ++i) ++slots[static_cast<std::size_t>(std::fmod(a[i], 0.2) / 0.002) % 100];
    CHECK(*std::max_element(slots.begin(), slots.end()) < 30);
    CHECK(std::count(slots.begin(), slots.end(), 10) < 50);
}

TEST_CASE("slow: the read pace, its defaults, and where it applies") {
    auto cl = parse({"--scenario", "slow"});
    REQUIRE(cl.error.empty());
    CHECK(cl.options.scenario == Scenario::slow);
    CHECK(cl.options.read_bytes == 8192);
    CHECK(cl.options.read_interval_ms == 100);
    CHECK(cl.options.connections == 10);
    CHECK(scenario_name(Scenario::slow) == "slow");

    cl = parse({"--scenario=slow", "--read-bytes", "4096", "--read-interval-ms=250", "--connections", "100"});
    REQUIRE(cl.error.empty());
    CHECK(cl.options.read_bytes == 4096);
    CHECK(cl.options.read_interval_ms == 250);
    CHECK(cl.options.connections == 100);
    CHECK(parse({"--read-interval-ms", "0.5", "--scenario", "slow"}).options.read_interval_ms == 0.5);  // any order

    auto error = [](std::vector<std::string_view> args) { return parse_command_line(args).error; };
    CHECK(error({"--scenario", "slow", "--read-bytes", "0"}).find("--read-bytes: expected a whole number 1..") == 0);
    CHECK(error({"--scenario", "slow", "--read-bytes", "1e3"}).find("--read-bytes") == 0);
    CHECK(error({"--scenario", "slow", "--read-bytes", "99999999999"}).find("--read-bytes: expected a whole number 1..67108864") == 0);
    CHECK(error({"--scenario", "slow", "--read-interval-ms", "0"}).find("--read-interval-ms: expected a number > 0") == 0);
    CHECK(error({"--scenario", "slow", "--read-interval-ms", "-3"}).find("--read-interval-ms") == 0);
    CHECK(error({"--scenario", "slow", "--read-bytes"}) == "option --read-bytes needs a value");
    CHECK(error({"--read-bytes", "100"}) == "--read-bytes and --read-interval-ms apply to --scenario slow only");
    CHECK(error({"--scenario", "chat", "--read-interval-ms", "10"}) ==
          "--read-bytes and --read-interval-ms apply to --scenario slow only");
}

TEST_CASE("help describes the slow scenario and its options") {
    auto help = help_text();
    CHECK(help.find("slow: send a chat message") != std::string::npos);
    CHECK(help.find("--read-bytes N") != std::string::npos);
    CHECK(help.find("--read-interval-ms MS") != std::string::npos);
    CHECK(help.find("(default 8192)") != std::string::npos);
}
