// Reading what the server sends, cheaply. Chunks arrive by the hundred thousand, so the type
// is read from the frame's first bytes when the server writes "type" first (brandchat does);
// anything else, and the rare frames whose fields we need, go through a full JSON parse.
#pragma once

#include <string>
#include <string_view>

namespace brandchat_load {

enum class FrameKind { welcome, chunk, complete, error, pong, other, malformed };

std::string_view frame_kind_name(FrameKind kind);

FrameKind classify_frame(std::string_view frame);

// data.message of an `error` frame; "" when absent.
std::string error_message_of(std::string_view frame);

// data.conversation_id of a `chunk` or `complete` frame; "" when absent or null.
std::string conversation_id_of(std::string_view frame);

// The key errors are counted under: the text before the first ':' (so "Rate limit exceeded: at
// most 10 ..." and "... 20 ..." count together), cut to 60 characters.
std::string error_group(std::string_view message);

} // namespace brandchat_load
