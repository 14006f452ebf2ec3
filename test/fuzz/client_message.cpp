// The client message decoder: one WebSocket text frame as the session gets it, through
// decode_envelope and (for any envelope, whatever its type) decode_chat, then the frames the
// server would answer with. Checks, beyond not crashing:
// - a refused frame gets a non-empty reason, and the error frame sent for it is valid JSON;
// - an accepted chat message is non-blank, trimmed, a piece of what was sent, valid UTF-8, and
//   within the character limit counted as code points by a decoder written apart from the
//   project's; the limit holds exactly: the same data passes with the limit set to its length
//   and fails, for its length, with one less;
// - conversation_id and user_id are absent or non-empty, as sent, at most 200 characters;
// - `voice` is the boolean sent, false when absent or null;
// - the frames built from the decoded parts (a chunk echoing the message, the "unknown type"
//   error that shows the first 40 bytes of the type) parse as JSON and carry the text unchanged
//   when it is valid UTF-8; and any bytes at all, encoded as a chunk, make valid JSON.
#include "brandchat/protocol/client_message.hpp"
#include "brandchat/protocol/server_message.hpp"
#include "fuzz_check.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdint>
#include <string>
#include <variant>

using namespace brandchat;
namespace json = boost::json;

namespace {

constexpr std::size_t max_message_chars = 1000; // the server's default (--max-message-chars)

// The frame parses as JSON and its data.<field> is `expected` when that is valid UTF-8.
void check_frame(std::string const& frame, std::string_view field, std::string_view expected) {
    boost::system::error_code ec;
    auto v = json::parse(frame, ec);
    FUZZ_CHECK(!ec);
    auto const& data = v.at("data").as_object();
    auto const& text = data.at(field).as_string();
    FUZZ_CHECK(fuzz::valid_utf8(text));
    if (fuzz::valid_utf8(expected)) FUZZ_CHECK(text == expected);
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

void check_id(json::object const& data, char const* key, std::optional<std::string> const& id) {
    if (!id) return;
    auto chars = fuzz::utf8_code_points(*id);
    FUZZ_CHECK(!id->empty() && chars && *chars <= 200);
    FUZZ_CHECK(data.at(key).as_string() == *id);
}

void check_chat(json::object const& data) {
    auto decoded = protocol::decode_chat(data, max_message_chars);
    if (auto const* err = std::get_if<protocol::DecodeError>(&decoded)) {
        FUZZ_CHECK(!err->message.empty());
        check_frame(protocol::error(err->message), "message", err->message);
        return;
    }
    auto const& req = std::get<protocol::ChatRequest>(decoded);
    std::string_view sent = data.at("message").as_string();
    FUZZ_CHECK(!req.message.empty());
    FUZZ_CHECK(!is_space(req.message.front()) && !is_space(req.message.back()));
    FUZZ_CHECK(sent.find(req.message) != std::string_view::npos);
    auto chars = fuzz::utf8_code_points(req.message);
    FUZZ_CHECK(chars && *chars <= max_message_chars);
    check_id(data, "conversation_id", req.conversation_id);
    check_id(data, "user_id", req.user_id);
    auto const* voice = data.if_contains("voice");
    FUZZ_CHECK(req.voice == (voice && voice->is_bool() && voice->get_bool()));
    check_frame(protocol::chunk(req.message, req.conversation_id.value_or("conv-1")), "content", req.message);

    // The limit is exact: the untrimmed message's length in code points passes, one less fails.
    auto sent_chars = fuzz::utf8_code_points(sent);
    FUZZ_CHECK(sent_chars.has_value());
    auto at_limit = protocol::decode_chat(data, *sent_chars);
    FUZZ_CHECK(std::holds_alternative<protocol::ChatRequest>(at_limit));
    FUZZ_CHECK(std::get<protocol::ChatRequest>(at_limit).message == req.message);
    if (*sent_chars > 0) {
        auto over = protocol::decode_chat(data, *sent_chars - 1);
        auto const* err = std::get_if<protocol::DecodeError>(&over);
        FUZZ_CHECK(err && err->message.find("is longer than") != std::string::npos);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    std::string_view frame(reinterpret_cast<char const*>(bytes), size);

    // Whatever the bytes, the chunk that would carry them is valid JSON (invalid UTF-8 replaced).
    check_frame(protocol::chunk(frame, "conv-1"), "content", frame);

    auto decoded = protocol::decode_envelope(frame);
    if (auto const* err = std::get_if<protocol::DecodeError>(&decoded)) {
        FUZZ_CHECK(!err->message.empty());
        check_frame(protocol::error(err->message), "message", err->message);
        return 0;
    }
    auto const& envelope = std::get<protocol::Envelope>(decoded);
    // What Session::dispatch shows of a type it does not know.
    std::string shown = envelope.type.size() > 40 ? envelope.type.substr(0, 40) + "..." : envelope.type;
    auto unknown = "Unknown message type '" + shown + "'";
    check_frame(protocol::error(unknown), "message", unknown);
    check_chat(envelope.data);
    return 0;
}
