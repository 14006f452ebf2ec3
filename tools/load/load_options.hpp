// The command line of brandchat-load: settings, --help text and validation.
// Pure: arguments in, settings or an error message out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat_load {

enum class Scenario { idle, chat, ping, cancel, wakeup, slow };

std::string_view scenario_name(Scenario s);

// Where a ws:// URL points: host (brackets removed from IPv6), port, and request target.
struct WsTarget {
    std::string host;
    std::string port;
    std::string target;  // path and query, at least "/"
};

// ws://HOST[:PORT][/PATH]; empty optional and `error` set when the URL is not one.
std::optional<WsTarget> parse_ws_url(std::string_view url, std::string& error);

// When, in seconds from the start, connection i (0, 1, ...) of a ramp of `per_second` starts:
// evenly, i / per_second; with `draws`, connection i - 1's start (`previous`) plus an exponential
// gap of mean 1 / per_second. Seeded with arrival_seed, the starts are the same every run.
double arrival_offset(std::size_t i, double previous, double per_second, std::mt19937_64* draws);
constexpr std::uint64_t arrival_seed = 20261127;

// 127.0.0.1, 127.0.0.2, ... (count of them), counting on through 127.0.1.0 and so on.
std::vector<std::string> loopback_range(std::size_t count);

struct LoadOptions {
    std::string url = "ws://127.0.0.1:8000/ws/chat/techpro";
    WsTarget target{"127.0.0.1", "8000", "/ws/chat/techpro"};
    Scenario scenario = Scenario::chat;
    std::size_t connections = 10;
    double duration_s = 10;
    double ramp_per_second = 2000;
    // Connection starts: evenly spaced at 1/ramp_per_second, or at random like independent
    // customers (exponential gaps of that mean, the same sequence every run).
    bool random_arrivals = false;
    std::string message = "I need a laptop for business work";
    double rate = 0;                 // requests per second per client; 0 = back to back
    bool continue_conversation = false;
    bool voice = false;
    std::vector<std::string> source_addresses;  // local bind addresses, used round-robin
    int server_pid = 0;              // 0 = do not sample a server process
    bool json = false;
    std::uint64_t max_replies = 0;   // 0 = no limit
    std::optional<double> expect_delay_ms;
    std::optional<double> expect_first_token_ms;  // the upstream's pause before its first token
    std::uint64_t cancellations = 0;  // cancel: stop after this many; 0 = no limit
    // slow: each connection reads at most read_bytes from its socket per read_interval_ms.
    std::size_t read_bytes = 8192;
    double read_interval_ms = 100;
    double connect_timeout_s = 10;   // connect + handshake + welcome
};

struct CommandLine {
    LoadOptions options;
    bool help = false;
    std::string error;  // empty when the command line is valid
};

CommandLine parse_command_line(std::vector<std::string_view> const& args);

std::string help_text();

} // namespace brandchat_load
