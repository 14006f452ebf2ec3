// The SSE parser and read_completion_event: the bytes of an upstream model's response body, as
// OpenAiResponder reads them. Checks, beyond not crashing:
// - the events are the same whether the bytes arrive in one piece, one byte at a time (with
//   SseEvents::clear() between feeds, so reused buffers must carry nothing over), or split in
//   two at a point picked from the bytes;
// - they are the events a plain reference parser written from the WHATWG rules (LF, CRLF or CR
//   line ends, comments, `event:`, `data:` lines joined with "\n", dispatch on a blank line,
//   an unterminated last line or event held back) reads from the whole input;
// - read_completion_event never throws, says `done` exactly for "[DONE]", gives content only
//   non-empty and valid UTF-8, and the chunk frame carrying that content (and the error frame
//   for an error event, cut to 200 bytes as the responder does) is valid JSON with the text.
#include "brandchat/protocol/server_message.hpp"
#include "brandchat/reply/sse_parser.hpp"
#include "fuzz_check.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace brandchat;
namespace json = boost::json;

namespace {

using Events = std::vector<std::pair<std::string, std::string>>; // (event, data)

void collect(SseEvents const& events, Events& out) {
    for (auto const& e : events) out.emplace_back(e.event, e.data);
}

Events reference(std::string_view s) {
    Events out;
    std::string event, data;
    bool has_data = false;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t end = s.find_first_of("\r\n", i);
        if (end == std::string_view::npos) break; // unterminated: not a line yet
        std::string_view line = s.substr(i, end - i);
        i = end + 1;
        if (s[end] == '\r' && i < s.size() && s[i] == '\n') ++i;
        if (line.empty()) {
            if (has_data) out.emplace_back(event, data);
            event.clear();
            data.clear();
            has_data = false;
            continue;
        }
        if (line[0] == ':') continue;
        auto colon = line.find(':');
        auto field = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
        if (field == "data") {
            if (has_data) data += '\n';
            data += value;
            has_data = true;
        } else if (field == "event") {
            event = value;
        }
    }
    return out;
}

void check_frame(std::string const& frame, std::string_view field, std::string_view expected) {
    boost::system::error_code ec;
    auto v = json::parse(frame, ec);
    FUZZ_CHECK(!ec);
    auto const& text = v.at("data").at(field).as_string();
    if (fuzz::valid_utf8(expected)) FUZZ_CHECK(text == expected);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(bytes), size);

    Events whole;
    {
        SseParser parser;
        SseEvents events;
        parser.feed(input, events);
        collect(events, whole);
    }
    FUZZ_CHECK(whole == reference(input));

    Events by_byte;
    {
        SseParser parser;
        SseEvents events;
        for (std::size_t i = 0; i < size; ++i) {
            events.clear();
            parser.feed(input.substr(i, 1), events);
            collect(events, by_byte);
        }
    }
    FUZZ_CHECK(by_byte == whole);

    Events in_two;
    {
        std::size_t hash = 0;
        for (auto c : input) hash = hash * 31 + static_cast<unsigned char>(c);
        std::size_t cut = size ? hash % (size + 1) : 0;
        SseParser parser;
        SseEvents events;
        parser.feed(input.substr(0, cut), events);
        parser.feed(input.substr(cut), events);
        collect(events, in_two);
    }
    FUZZ_CHECK(in_two == whole);

    for (auto const& [name, data] : whole) {
        auto delta = read_completion_event(SseEvent{name, data});
        FUZZ_CHECK((delta.kind == CompletionDelta::Kind::done) == (data == "[DONE]"));
        if (delta.kind == CompletionDelta::Kind::content) {
            FUZZ_CHECK(!delta.text.empty() && fuzz::valid_utf8(delta.text));
            check_frame(protocol::chunk(delta.text, "conv-1"), "content", delta.text);
        }
        if (delta.kind == CompletionDelta::Kind::error) {
            auto message = "The model failed: error event in the stream: " + delta.text.substr(0, 200);
            check_frame(protocol::error(message), "message", message);
        }
    }
    return 0;
}
