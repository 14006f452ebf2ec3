// The wire text of Chat Completions answers, shaped like OpenAI's: the server-sent events of a
// streamed completion, the JSON of a whole completion, and the JSON of an error.
// Pure string building. Event builders append to a caller's buffer, so a stream reuses one
// buffer for all its tokens and allocates nothing per token.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace mock_llm {

// Variations of SSE framing that real servers use and clients must accept.
struct SseStyle {
    bool crlf = false;       // "\r\n" line endings
    bool comments = false;   // a ": keep-alive" comment before every event
    bool multiline = false;  // each event's JSON split over two data: lines
};

struct Usage {
    std::uint64_t prompt_tokens = 0;
    std::uint64_t completion_tokens = 0;
};

// The events of one streamed completion (one id, model and creation time).
class ChunkEvents {
public:
    ChunkEvents(std::string_view id, std::int64_t created, std::string_view model, SseStyle style);

    void append_role(std::string& out) const;
    // escaped_token must already be escaped for a JSON string (see ReplyTokens::escaped_token).
    void append_token(std::string& out, std::string_view escaped_token) const;
    void append_finish(std::string& out, std::string_view finish_reason) const;
    void append_usage(std::string& out, Usage usage) const;
    void append_done(std::string& out) const;
    // `event: error` with an error object, as some providers end a failed stream.
    void append_error_event(std::string& out) const;
    // A plain data event holding an error object, as OpenAI ends a failed stream.
    void append_error_object(std::string& out) const;

private:
    // One event whose data is the concatenation of json_parts.
    void append_event(std::string& out, std::string_view event_name,
                      std::initializer_list<std::string_view> json_parts) const;

    std::string head_;  // {"id":...,"object":"chat.completion.chunk","created":...,"model":...,
    std::string_view eol_;
    SseStyle style_;
};

// A token that carries its own timing, " @WRITTEN:DUE" (microseconds of the monotonic clock):
// when the mock wrote it and when it fell due. Needs no JSON escaping.
std::string stamped_token(std::int64_t written_us, std::int64_t due_us);

std::string completion_body(std::string_view id, std::int64_t created, std::string_view model,
                            std::string_view content, std::string_view finish_reason, Usage usage);

// {"error":{"message":...,"type":...,"param":null,"code":...}}; code null when absent.
std::string error_body(std::string_view message, std::string_view type,
                       std::optional<std::string_view> code = std::nullopt);

// The error type and code OpenAI gives with an HTTP status, e.g. 429 → requests / rate_limit_exceeded.
struct ErrorKind {
    std::string_view type;
    std::optional<std::string_view> code;
};
ErrorKind error_kind_for_status(unsigned status);

// Offset just past the first ',' (else ':') outside a string in json: where an event's JSON can
// be split into two data: lines and still parse once rejoined with "\n". npos if none.
std::size_t json_split_point(std::string_view json);

} // namespace mock_llm
