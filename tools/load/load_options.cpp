#include "load_options.hpp"

#include <arpa/inet.h>

#include "brandchat/config/parse_number.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <type_traits>

namespace brandchat_load {

using brandchat::parse_number;

namespace {

bool is_ip_literal(std::string const& text) {
    unsigned char buf[16];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::vector<std::string> split_commas(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto comma = text.find(',');
        auto item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

} // namespace

std::string_view scenario_name(Scenario s) {
    switch (s) {
    case Scenario::idle: return "idle";
    case Scenario::chat: return "chat";
    case Scenario::ping: return "ping";
    case Scenario::cancel: return "cancel";
    case Scenario::wakeup: return "wakeup";
    case Scenario::slow: return "slow";
    }
    return "?";
}

std::optional<WsTarget> parse_ws_url(std::string_view url, std::string& error) {
    if (url.starts_with("wss://")) {
        error = "wss:// is not supported: point --url at the server's plain ws:// listener";
        return std::nullopt;
    }
    if (!url.starts_with("ws://")) {
        error = "--url must start with ws:// (got '" + std::string(url) + "')";
        return std::nullopt;
    }
    auto rest = url.substr(5);
    auto slash = rest.find_first_of("/?");
    auto authority = rest.substr(0, slash);
    WsTarget t;
    t.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (t.target.front() == '?') t.target = "/" + t.target;
    std::string_view port;
    if (authority.starts_with("[")) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "--url: unclosed '[' in the host";
            return std::nullopt;
        }
        t.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                error = "--url: expected ':PORT' after ']'";
                return std::nullopt;
            }
            port = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        t.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (t.host.empty()) {
        error = "--url: no host in '" + std::string(url) + "'";
        return std::nullopt;
    }
    if (port.empty()) {
        t.port = "80";
    } else {
        auto n = parse_number<unsigned>(port);
        if (!n || *n == 0 || *n > 65535) {
            error = "--url: port must be 1..65535, got '" + std::string(port) + "'";
            return std::nullopt;
        }
        t.port = std::string(port);
    }
    return t;
}

std::vector<std::string> loopback_range(std::size_t count) {
    std::vector<std::string> out;
    out.reserve(count);
    std::uint32_t first = (127u << 24) | 1u;
    for (std::size_t i = 0; i < count; ++i) {
        auto a = first + static_cast<std::uint32_t>(i);
        out.push_back(std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
                      std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff));
    }
    return out;
}

CommandLine parse_command_line(std::vector<std::string_view> const& args) {
    CommandLine cl;
    auto& o = cl.options;
    bool source_range_given = false;
    bool source_addresses_given = false;
    bool max_replies_given = false;
    bool cancellations_given = false;
    bool read_pace_given = false;
    auto fail = [&](std::string message) {
        cl.error = std::move(message);
        return cl;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view name = args[i];
        std::optional<std::string_view> inline_value;
        if (auto eq = name.find('='); name.starts_with("--") && eq != std::string_view::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (name == "--help" || name == "-h") {
            cl.help = true;
            continue;
        }
        static constexpr std::string_view flags[] = {"--continue", "--voice", "--json"};
        if (std::find(std::begin(flags), std::end(flags), name) != std::end(flags)) {
            if (inline_value) return fail("option " + std::string(name) + " takes no value");
            if (name == "--continue") o.continue_conversation = true;
            else if (name == "--voice") o.voice = true;
            else o.json = true;
            continue;
        }
        static constexpr std::string_view valued[] = {
            "--url", "--scenario", "--connections", "--duration", "--ramp-per-second", "--ramp-arrivals", "--message", "--rate",
            "--source-addresses", "--source-range", "--server-pid", "--max-replies", "--expect-delay-ms",
            "--expect-first-token-ms", "--connect-timeout", "--cancellations", "--read-bytes", "--read-interval-ms"};
        if (std::find(std::begin(valued), std::end(valued), name) == std::end(valued))
            return fail("unknown option " + std::string(name) + " (see --help)");
        std::string_view value;
        if (inline_value) value = *inline_value;
        else if (i + 1 < args.size()) value = args[++i];
        else return fail("option " + std::string(name) + " needs a value");

        auto whole = [&](auto& field, std::uint64_t low, std::uint64_t high) -> bool {
            auto n = parse_number<std::uint64_t>(value);
            if (!n || *n < low || *n > high) {
                cl.error = std::string(name) + ": expected a whole number " + std::to_string(low) + ".." +
                           std::to_string(high) + ", got '" + std::string(value) + "'";
                return false;
            }
            field = static_cast<std::remove_reference_t<decltype(field)>>(*n);
            return true;
        };
        auto real = [&](double& field, double low, bool low_inclusive) -> bool {
            auto d = parse_number<double>(value);
            if (!d || !std::isfinite(*d) || *d < low || (!low_inclusive && *d == low)) {
                cl.error = std::string(name) + ": expected a number " + (low_inclusive ? ">= " : "> ") +
                           std::to_string(static_cast<long long>(low)) + ", got '" + std::string(value) + "'";
                return false;
            }
            field = *d;
            return true;
        };

        if (name == "--url") {
            auto t = parse_ws_url(value, cl.error);
            if (!t) return cl;
            o.url = std::string(value);
            o.target = std::move(*t);
        } else if (name == "--scenario") {
            if (value == "idle") o.scenario = Scenario::idle;
            else if (value == "chat") o.scenario = Scenario::chat;
            else if (value == "ping") o.scenario = Scenario::ping;
            else if (value == "cancel") o.scenario = Scenario::cancel;
            else if (value == "wakeup") o.scenario = Scenario::wakeup;
            else if (value == "slow") o.scenario = Scenario::slow;
            else return fail("--scenario: expected idle, chat, ping, cancel, wakeup or slow, got '" + std::string(value) + "'");
        } else if (name == "--connections") {
            if (!whole(o.connections, 1, 1'000'000)) return cl;
        } else if (name == "--duration") {
            if (!real(o.duration_s, 0, false)) return cl;
        } else if (name == "--ramp-per-second") {
            if (!real(o.ramp_per_second, 0, false)) return cl;
        } else if (name == "--ramp-arrivals") {
            if (value == "even") o.random_arrivals = false;
            else if (value == "random") o.random_arrivals = true;
            else return fail("--ramp-arrivals: expected even or random, got '" + std::string(value) + "'");
        } else if (name == "--message") {
            if (value.empty()) return fail("--message: must not be empty");
            o.message = std::string(value);
        } else if (name == "--rate") {
            if (!real(o.rate, 0, true)) return cl;
        } else if (name == "--source-addresses") {
            o.source_addresses = split_commas(value);
            if (o.source_addresses.empty()) return fail("--source-addresses: expected a comma-separated list of IP addresses");
            for (auto const& a : o.source_addresses)
                if (!is_ip_literal(a)) return fail("--source-addresses: '" + a + "' is not an IP address");
            source_addresses_given = true;
        } else if (name == "--source-range") {
            std::size_t n = 0;
            if (!whole(n, 1, 65534)) return cl;
            o.source_addresses = loopback_range(n);
            source_range_given = true;
        } else if (name == "--server-pid") {
            if (!whole(o.server_pid, 1, 4'194'304)) return cl;
        } else if (name == "--max-replies") {
            if (!whole(o.max_replies, 1, UINT64_MAX)) return cl;
            max_replies_given = true;
        } else if (name == "--expect-delay-ms") {
            double d = 0;
            if (!real(d, 0, true)) return cl;
            o.expect_delay_ms = d;
        } else if (name == "--expect-first-token-ms") {
            double d = 0;
            if (!real(d, 0, true)) return cl;
            o.expect_first_token_ms = d;
        } else if (name == "--cancellations") {
            if (!whole(o.cancellations, 1, UINT64_MAX)) return cl;
            cancellations_given = true;
        } else if (name == "--connect-timeout") {
            if (!real(o.connect_timeout_s, 0, false)) return cl;
        } else if (name == "--read-bytes") {
            if (!whole(o.read_bytes, 1, 64u << 20)) return cl;
            read_pace_given = true;
        } else if (name == "--read-interval-ms") {
            if (!real(o.read_interval_ms, 0, false)) return cl;
            read_pace_given = true;
        }
    }
    if (source_range_given && source_addresses_given)
        return fail("--source-addresses and --source-range both choose local addresses: give one of them");
    if (max_replies_given && o.scenario != Scenario::chat) return fail("--max-replies applies to --scenario chat only");
    if (cancellations_given && o.scenario != Scenario::cancel)
        return fail("--cancellations applies to --scenario cancel only");
    if (read_pace_given && o.scenario != Scenario::slow)
        return fail("--read-bytes and --read-interval-ms apply to --scenario slow only");
    if (o.scenario == Scenario::wakeup) o.connections = 0;  // it opens none
    return cl;
}

std::string help_text() {
    return R"(brandchat-load: drive many WebSocket clients against a brandchat server and report latencies.

usage: brandchat-load [options]

  --url URL                 ws://HOST:PORT/ws/chat/BRAND to connect to
                            (default ws://127.0.0.1:8000/ws/chat/techpro)
  --scenario NAME           idle: connect, wait for the welcome, hold the connection open
                            chat: send chat messages and time the streamed replies (default)
                            ping: send pings and time the pongs
                            cancel: connect, send a chat message, close the socket as soon as
                            the first chunk arrives, reconnect and repeat; --json lists every
                            close with its monotonic-clock time and the tag in its message
                            wakeup: no server, no connections: sleep 1 ms at a time and time
                            how late each wake-up is, the floor under every latency this
                            machine can measure (run it beside a load to see that load's)
                            slow: send a chat message whose reply should be long, and read it
                            from the socket at a fixed slow pace (--read-bytes per
                            --read-interval-ms), so the server must hold the rest; the next
                            message goes when a reply ends. With --server-pid the report
                            follows the server's RSS per slow client over the run
  --connections N           concurrent connections (default 10)
  --duration SECONDS        chat/ping/cancel/slow: how long to run, from the first connection attempt;
                            idle: how long to hold once every connection has its welcome
                            (default 10)
  --ramp-per-second N       connections opened per second: at most, or on average with
                            --ramp-arrivals random (default 2000)
  --ramp-arrivals even|random
                            even: one every 1/N s (default); random: exponential gaps of mean
                            1/N s, a fixed sequence, like independent customers. Evenly spaced
                            chats against a model with a fixed token delay D line their tokens
                            up: with N = 500 and D = 200 ms, every 100th conversation's tokens
                            fall due together, in bursts
  --message TEXT            the chat message (default "I need a laptop for business work")
  --rate N                  chat/ping: requests per second per client, 0 = send the next one as
                            soon as the previous reply ends (default 0)
  --continue                chat: send the conversation_id of the previous reply
  --voice                   chat: ask for voice-optimised replies ("voice": true)
  --source-addresses LIST   local addresses to connect from, comma-separated, used round-robin
                            (one address has ~28k ephemeral ports towards one server port)
  --source-range N          same as --source-addresses 127.0.0.1,127.0.0.2,...,127.0.0.N
                            (loopback only: the server must listen on 127.0.0.1 or 0.0.0.0)
  --server-pid PID          sample /proc/PID every second: resident memory (start, peak, end)
                            and CPU use of the server process
  --json                    print the final report as one JSON object instead of a table
  --max-replies N           chat: stop after N complete replies
  --cancellations N         cancel: stop after N cancellations (default: run for --duration)
  --expect-delay-ms MS      the per-token delay the upstream (mock) model was given; chunk
                            gaps are also reported minus this, as "server-added" time
  --expect-first-token-ms MS  the upstream model's pause before its first token; time to first
                            chunk is also reported minus this, as "server-added" time
  --connect-timeout SECONDS connect + WebSocket handshake + welcome, per connection (default 10)
  --read-bytes N            slow: bytes each connection reads from its TCP socket per interval,
                            at most, below the WebSocket layer (default 8192)
  --read-interval-ms MS     slow: the interval (default 100); 8192 per 100 ms is 80 KiB/s a client.
                            Point the server at a model streaming a long reply fast, e.g.
                            brandchat-mock-llm --tokens 20000 --token-delay-ms 0 (and give the
                            server --max-tokens above that), or the reply ends before memory shows
  --help                    this text

Latencies are measured on this machine's monotonic clock, in a log-bucketed histogram
(0.8 % precision): connect = TCP connect; welcome = connect start to the welcome message;
first chunk, complete = from sending the chat message; chunk gap = between consecutive chunks
of one reply; ping rtt = ping sent to pong received; wake-up late = how long after its 1 ms
timer fell due the tool was running again.

A progress line is printed on stderr every second when stderr is a terminal.
Exit status: 0 after a run (whatever it measured), 1 when the run could not start,
2 for a bad command line or too low an open-file limit.
)";
}

double arrival_offset(std::size_t i, double previous, double per_second, std::mt19937_64* draws) {
    if (!draws) return static_cast<double>(i) / per_second;
    if (i == 0) return 0;
    return previous + std::exponential_distribution<double>(per_second)(*draws);
}

} // namespace brandchat_load
