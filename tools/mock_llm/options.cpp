#include "options.hpp"

#include "fault_spec.hpp"

#include "brandchat/config/parse_number.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>
#include <optional>

namespace mock_llm {

using brandchat::parse_number;
CommandLine parse_command_line(const std::vector<std::string_view>& args) {
    CommandLine cl;
    auto& s = cl.settings;
    bool reply_text_given = false;
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
        if (name == "--quiet") {
            s.quiet = true;
            continue;
        }
        if (name == "--stamp-tokens") {
            s.stamp_tokens = true;
            continue;
        }
        static constexpr std::string_view valued[] = {"--host", "--port", "--tokens", "--token-delay-ms",
                                                      "--first-token-ms", "--reply-text", "--tls-cert",
                                                      "--tls-key", "--fault", "--max-records"};
        if (std::find(std::begin(valued), std::end(valued), name) == std::end(valued)) {
            cl.error = "unknown option " + std::string(name) + " (see --help)";
            return cl;
        }
        std::string_view value;
        if (inline_value) {
            value = *inline_value;
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            cl.error = "option " + std::string(name) + " needs a value";
            return cl;
        }

        auto number_into = [&](auto& field) {
            using Field = std::remove_reference_t<decltype(field)>;
            auto n = parse_number<Field>(value);
            if (!n) cl.error = "option " + std::string(name) + " needs a non-negative integer, got '" +
                               std::string(value) + "'";
            else field = *n;
        };
        if (name == "--host") s.host = value;
        else if (name == "--port") number_into(s.port);
        else if (name == "--tokens") number_into(s.tokens);
        else if (name == "--token-delay-ms") number_into(s.token_delay_ms);
        else if (name == "--first-token-ms") number_into(s.first_token_ms);
        else if (name == "--reply-text") {
            s.reply_text = value;
            reply_text_given = true;
        }
        else if (name == "--tls-cert") s.tls_cert = value;
        else if (name == "--tls-key") s.tls_key = value;
        else if (name == "--fault") s.fault = value;
        else if (name == "--max-records") number_into(s.max_records);
        if (!cl.error.empty()) return cl;
    }

    if (s.tls_cert.empty() != s.tls_key.empty()) {
        cl.error = "--tls-cert and --tls-key go together";
    } else if (reply_text_given && s.reply_text.find_first_not_of(" \t\r\n") == std::string::npos) {
        cl.error = "--reply-text needs at least one word";
    } else if (auto fault = parse_fault_spec(s.fault); !fault.error.empty()) {
        cl.error = "--fault: " + fault.error;
    }
    return cl;
}

std::string help_text() {
    return R"(brandchat-mock-llm: an OpenAI-compatible Chat Completions server for tests, demos and benchmarks.

Usage: brandchat-mock-llm [options]

Serves POST <any prefix>/chat/completions (e.g. /v1/chat/completions), streamed (SSE) or whole.
Prints exactly one line to stdout when ready: "listening on HOST:PORT".

Options (--name VALUE or --name=VALUE):
  --host HOST            address to listen on (default 127.0.0.1)
  --port PORT            TCP port; 0 = an ephemeral port, printed on start (default 8001)
  --tokens N             content tokens per answer; the reply text repeats or is cut (default 40)
  --token-delay-ms MS    pause between streamed tokens; 0 = as fast as possible (default 20)
  --first-token-ms MS    pause before the first content token (default 0)
  --reply-text TEXT      the text to answer with, instead of the built-in passage
  --tls-cert FILE        PEM certificate chain; with --tls-key, serve HTTPS instead of HTTP
  --tls-key FILE         PEM private key for --tls-cert
  --fault SPEC           a fault applied to every chat request (syntax below)
  --max-records N        requests kept for GET /mock/requests, oldest dropped first (default 10000)
  --quiet                no log lines on stderr
  --stamp-tokens         instead of words, each token is " @WRITTEN:DUE": when it was written and
                         when it fell due, in microseconds of CLOCK_MONOTONIC; brandchat-load reads
                         them from the chunks to tell this mock's lateness from the time in transit
  --help, -h             this text

Fault SPEC: comma-separated key=value, e.g. "status=429,retry_after=2" or "drop_after=5".
  status=CODE            answer this HTTP status (400-599) with an OpenAI-style error body
  retry_after=S          with status: a Retry-After: S header
  retry_after_ms=MS      with status: a retry-after-ms: MS header
  drop_after=N           after N tokens, close the TCP connection without ending the response
  stall_after=N          after N tokens, send nothing more until the client closes
  first_byte_ms=MS       wait before sending the response headers
  first_token_ms=MS      as --first-token-ms, for this request
  token_delay_ms=MS      as --token-delay-ms, for this request
  tokens=N               as --tokens, for this request
  error_event_after=N    after N tokens, send `event: error` + an error data line, then end
  error_object_after=N   after N tokens, send a data: {"error":{...}} event, then end
  crlf=1                 CRLF line endings in the event stream
  comments=1             a ": keep-alive" comment line before every event
  multiline=1            each event's JSON split over two data: lines
A request picks faults from, later overriding earlier keys: --fault; the next fault queued
with POST /mock/faults; "[[mock:SPEC]]" in the last user message; the X-Mock-Fault header.

Control endpoints:
  GET  /mock/requests    every chat request received, oldest first, with outcome and timings
  GET  /mock/now         {"now_ms": steady-clock milliseconds, the clock of /mock/requests}
  GET  /mock/stats       counters: requests, streams_active, completed, client_closed, ...
  POST /mock/faults      {"spec":"SPEC","count":N}: apply SPEC to the next N chat requests
  GET  /mock/faults      the queued faults
  POST /mock/reset       forget recorded requests, queued faults and counters

SIGINT or SIGTERM stops the server with exit status 0.
)";
}

} // namespace mock_llm
