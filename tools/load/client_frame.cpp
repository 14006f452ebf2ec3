#include "client_frame.hpp"

namespace brandchat_load {

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xF]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

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
