#include "brandchat/protocol/client_message.hpp"

#include "brandchat/language/text.hpp"

#include <boost/json/parse.hpp>

namespace brandchat::protocol {

namespace json = boost::json;

Decoded<Envelope> decode_envelope(std::string_view frame) {
    boost::system::error_code ec;
    json::value doc = json::parse(frame, ec);
    if (ec) return DecodeError{"Invalid message: not valid JSON (" + ec.message() + ")"};
    if (!doc.is_object()) return DecodeError{"Invalid message: expected a JSON object with \"type\" and \"data\""};
    auto& o = doc.get_object();
    auto* type = o.if_contains("type");
    if (!type) return DecodeError{"Invalid message: missing \"type\""};
    if (!type->is_string()) return DecodeError{"Invalid message: \"type\" must be a string"};
    Envelope env;
    env.type = std::string(type->get_string());
    auto* data = o.if_contains("data");
    if (!data) return DecodeError{"Invalid message: missing \"data\" (send an object, e.g. \"data\": {})"};
    if (!data->is_object()) return DecodeError{"Invalid message: \"data\" must be an object"};
    env.data = std::move(data->get_object());
    return env;
}

namespace {
// Counts characters (UTF-8 code points), not bytes, so the limit means what a user sees.
std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::optional<DecodeError> optional_id(json::object const& data, std::string_view key, std::optional<std::string>& out) {
    auto const* v = data.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) return DecodeError{"Invalid chat message: \"" + std::string(key) + "\" must be a string or null"};
    // Characters, as for the message (code points; JSON text is valid UTF-8 once parsed).
    if (utf8_length(v->get_string()) > 200) return DecodeError{"Invalid chat message: \"" + std::string(key) + "\" is longer than 200 characters"};
    if (!v->get_string().empty()) out = std::string(v->get_string());
    return std::nullopt;
}
} // namespace

Decoded<ChatRequest> decode_chat(json::object const& data, std::size_t max_message_chars) {
    ChatRequest req;
    auto const* message = data.if_contains("message");
    if (!message) return DecodeError{"Invalid chat message: \"data.message\" is required"};
    if (!message->is_string()) return DecodeError{"Invalid chat message: \"message\" must be a string"};
    std::string_view text = message->get_string();
    if (is_blank(text)) return DecodeError{"Invalid chat message: \"message\" must not be empty"};
    if (utf8_length(text) > max_message_chars)
        return DecodeError{"Invalid chat message: \"message\" is longer than " + std::to_string(max_message_chars) + " characters", true};
    req.message = trim(text);
    if (auto err = optional_id(data, "conversation_id", req.conversation_id)) return *err;
    if (auto err = optional_id(data, "user_id", req.user_id)) return *err;
    if (auto const* voice = data.if_contains("voice"); voice && !voice->is_null()) {
        if (!voice->is_bool()) return DecodeError{"Invalid chat message: \"voice\" must be a boolean"};
        req.voice = voice->get_bool();
    }
    return req;
}

} // namespace brandchat::protocol
