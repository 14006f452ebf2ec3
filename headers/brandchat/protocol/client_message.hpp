// Decoding what a client sends: the envelope {"type": ..., "data": {...}} and the chat request
// inside it. Pure functions over text: every way a frame can be wrong yields an error whose
// message says what was wrong, for the client's `error` message.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace brandchat::protocol {

struct Envelope {
    std::string type;
    boost::json::object data;
};

struct DecodeError {
    std::string message;
    bool message_too_long = false; // the chat's message is over the limit: a customer's, not a client's, mistake
};

template <class T>
using Decoded = std::variant<T, DecodeError>;

// Parses a text frame into its type and data object. Unknown types are the dispatcher's call.
Decoded<Envelope> decode_envelope(std::string_view frame);

struct ChatRequest {
    std::string message;                          // trimmed
    std::optional<std::string> conversation_id;   // absent or null: a new conversation
    std::optional<std::string> user_id;
    bool voice = false;
    // Not part of the message: when the server had read it (the session sets it; zero in tests),
    // where the latency histograms start (chat/reply_pipeline.cpp).
    std::chrono::steady_clock::time_point received{};
};

Decoded<ChatRequest> decode_chat(boost::json::object const& data, std::size_t max_message_chars);

} // namespace brandchat::protocol
