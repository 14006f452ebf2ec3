// Reading what the server sends, cheaply. Chunks arrive by the hundred thousand, so the type
// is read from the frame's first bytes when the server writes "type" first (brandchat does);
// anything else, and the rare frames whose fields we need, go through a full JSON parse.
#pragma once

#include <cstdint>
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

// A token of brandchat-mock-llm --stamp-tokens, " @WRITTEN:DUE": when the mock wrote it and
// when it fell due, in microseconds of the monotonic clock (this tool's Clock too).
struct TokenStamp {
    std::int64_t written_us = 0, due_us = 0;
};

// The next stamp in `rest` (a chunk frame's text; merged chunks carry several): true and `rest`
// moved past it, or false when there is none left. Stamps need no JSON escaping, so they are
// found in the raw text without parsing it.
bool next_token_stamp(std::string_view& rest, TokenStamp& stamp);

// The key errors are counted under: the text before the first ':' (so "Rate limit exceeded: at
// most 10 ..." and "... 20 ..." count together), cut to 60 characters.
std::string error_group(std::string_view message);

} // namespace brandchat_load
