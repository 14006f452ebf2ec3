// Server-sent events, parsed incrementally from bytes as they arrive, in any split: LF, CRLF or
// CR line ends, comment lines, `event:` names, multi-line `data:` joined with "\n". Never touches
// a socket. Then OpenAI's chat-completion chunks read from each event's data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

struct SseEvent {
    std::string event; // empty means "message"
    std::string data;
};

// The events completed by one or more feeds. clear() keeps every event's buffers, so a stream
// that is read event by event allocates nothing once its first events have been seen.
class SseEvents {
public:
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    SseEvent const& operator[](std::size_t i) const { return slots_[i]; }
    SseEvent const* begin() const { return slots_.data(); }
    SseEvent const* end() const { return slots_.data() + size_; }
    void clear() { size_ = 0; }

private:
    friend class SseParser;
    // Takes `event`'s text, handing back an old event's buffers in its place.
    void take(SseEvent& event);

    std::vector<SseEvent> slots_;
    std::size_t size_ = 0;
};

// A line longer than `max_line_bytes` or an event whose data outgrows `max_event_bytes` stops
// the parser: overflowed() turns true and later feeds add nothing, so a peer that never ends a
// line cannot make the parser hold more than the limits.
class SseParser {
public:
    SseParser() = default;
    SseParser(std::size_t max_line_bytes, std::size_t max_event_bytes) : max_line_(max_line_bytes), max_event_(max_event_bytes) {}

    // Appends the events completed by `bytes` to `out`.
    void feed(std::string_view bytes, SseEvents& out);
    bool overflowed() const { return overflowed_; }

private:
    void line(std::string_view text, SseEvents& out);
    void overflow();

    std::size_t max_line_ = static_cast<std::size_t>(-1);
    std::size_t max_event_ = static_cast<std::size_t>(-1);
    bool overflowed_ = false;
    std::string partial_;      // an unfinished line
    bool skip_lf_ = false;     // the last byte was CR: a following LF belongs to it
    SseEvent current_;
    bool has_data_ = false;
};

// What one event of an OpenAI-compatible stream says.
struct CompletionDelta {
    enum class Kind { content, usage, done, error, other };
    Kind kind = Kind::other;
    std::string text;                       // content, or the error's message
    std::uint64_t prompt_tokens = 0, completion_tokens = 0, total_tokens = 0;
    bool finished = false;                  // a choice carried a finish_reason
};

// Reads one event. A chunk may carry both content and usage; content wins, usage is kept in
// the same delta's counters with `usage_present` set via total_tokens > 0.
CompletionDelta read_completion_event(SseEvent const& event);

} // namespace brandchat
