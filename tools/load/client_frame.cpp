#include "client_frame.hpp"

#include "brandchat/protocol/server_message.hpp"

namespace brandchat_load {

using brandchat::protocol::append_json_string;

std::string chat_frame(std::string_view message, std::string_view conversation_id, bool voice) {
    std::string out;
    out.reserve(message.size() + conversation_id.size() + 80);
    out += R"({"type":"chat","data":{"message":)";
    append_json_string(out, message);
    out += R"(,"conversation_id":)";
    if (conversation_id.empty()) out += "null";
    else append_json_string(out, conversation_id);
    out += voice ? R"(,"voice":true}})" : R"(,"voice":false}})";
    return out;
}

std::string_view ping_frame() { return R"({"type":"ping","data":{}})"; }

} // namespace brandchat_load
