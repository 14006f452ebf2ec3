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

} // namespace brandchat_load
