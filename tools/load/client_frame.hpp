// What the load clients send: the protocol's chat and ping messages, built as strings.
#pragma once

#include <string>
#include <string_view>

namespace brandchat_load {

// {"type":"chat","data":{"message":...,"conversation_id":null|"...","voice":false|true}};
// an empty conversation_id is sent as null.
std::string chat_frame(std::string_view message, std::string_view conversation_id, bool voice);

// {"type":"ping","data":{}}
std::string_view ping_frame();

// Appends text as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

} // namespace brandchat_load
