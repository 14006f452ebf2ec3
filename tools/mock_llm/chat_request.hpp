// The parts of an OpenAI Chat Completions request body that shape the mock's answer.
// Pure: a parsed JSON value in, the request or a client-facing error message out.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace mock_llm {

struct ChatRequest {
    std::string model;                       // "mock-llm" when the body names none
    bool stream = false;
    bool include_usage = false;              // stream_options.include_usage
    std::optional<std::uint64_t> max_tokens; // max_tokens or max_completion_tokens
    std::string last_user_text;              // where [[mock:SPEC]] markers are looked for
    std::uint64_t prompt_tokens = 0;         // words in all messages, a stand-in for real tokens
};

struct ChatRequestParse {
    ChatRequest request;
    std::string error;  // empty when the body is a usable request
};

ChatRequestParse read_chat_request(const boost::json::value& body);

} // namespace mock_llm
