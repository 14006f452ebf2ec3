// What a run counted and measured, and the rules that turn client events into those numbers.
// Pure: callers pass the frames they read and the times they read them at; tests feed
// synthetic timelines. One Accounting per run; one ReplyState/PingState per connection.
#pragma once

#include "histogram.hpp"
#include "server_frame.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat_load {

using Clock = std::chrono::steady_clock;
using Counts = std::map<std::string, std::uint64_t>;

// One cancellation: the tag in the chat message (so the upstream's record of the request can
// be found), and when the message was sent, its first chunk read and the socket closed, in
// milliseconds on the monotonic clock (CLOCK_MONOTONIC, as every process on the machine sees it).
struct CancelRecord {
    std::string tag;
    double sent_ms = 0, first_chunk_ms = 0, closed_ms = 0;
};

struct LoadStats {
    // Connections. `failed` never reached the welcome; `dropped` lost it afterwards (not by our
    // stop); `aborted_at_stop` were still connecting when the run ended.
    std::uint64_t attempted = 0, opened = 0, failed = 0, dropped = 0, aborted_at_stop = 0;
    Counts failures, drops;
    Histogram connect_us, welcome_us;

    // Chat. A request ends as a reply (`complete`) or a reply error (an `error` frame).
    // `lost_with_connection`: its connection dropped mid-reply.
    std::uint64_t requests = 0, replies = 0, reply_errors = 0, in_flight_at_stop = 0, lost_with_connection = 0, chunks = 0;
    std::uint64_t replies_without_chunks = 0;
    Histogram first_chunk_us, chunk_gap_us, chunk_gap_server_added_us, complete_us;
    // First chunk minus the upstream's first-token pause (--expect-first-token-ms).
    Histogram first_chunk_server_added_us;
    // From stamped tokens (brandchat-mock-llm --stamp-tokens), one per token: how late the
    // upstream wrote it after it fell due, and its transit from that write to this tool's read.
    Histogram upstream_late_us, transit_us;
    // With --expect-first-token-ms, one per reply: from sending the chat message to the upstream
    // beginning its first-token pause (the first token's due time minus the pause).
    Histogram to_upstream_us;

    // Cancel: replies whose socket was closed on their first chunk, in the order closed.
    std::uint64_t cancellations = 0;
    std::vector<CancelRecord> cancels;

    // Ping.
    std::uint64_t pings = 0, pongs = 0;
    Histogram ping_rtt_us;

    // Wakeup: how late each 1 ms sleep ended.
    Histogram wakeup_late_us;

    // Every `error` frame, by error_group(); frames nobody waited for, by kind.
    Counts server_errors, unexpected_frames;
    std::uint64_t frames_received = 0, bytes_received = 0, frames_sent = 0, bytes_sent = 0;
};

struct ReplyState {
    Clock::time_point sent{};
    Clock::time_point last_chunk{};
    std::uint32_t chunks = 0;
    bool awaiting = false;
};

struct PingState {
    Clock::time_point sent{};
    bool awaiting = false;
};

enum class Progress { waiting, done, failed };

class Accounting {
public:
    explicit Accounting(std::optional<double> expect_delay_ms = std::nullopt,
                        std::optional<double> expect_first_token_ms = std::nullopt);

    LoadStats const& stats() const { return stats_; }

    void connection_attempted() { ++stats_.attempted; }
    void connection_failed(std::string const& kind);
    void connection_opened(Clock::duration connect, Clock::duration to_welcome);
    void connection_dropped(std::string const& kind);
    void connection_aborted_at_stop() { ++stats_.aborted_at_stop; }

    void frame_sent(std::size_t bytes);
    void frame_received(std::size_t bytes);

    void chat_sent(ReplyState& reply, Clock::time_point now);
    // A frame read while `reply` may be awaited: chunks and the complete are timed; an error
    // ends the request; anything else is counted as unexpected.
    Progress chat_frame_received(ReplyState& reply, FrameKind kind, std::string_view frame, Clock::time_point now);
    // The run ended with this reply unfinished.
    void chat_interrupted(ReplyState& reply);
    // The connection failed with this reply unfinished.
    void chat_lost(ReplyState& reply);

    // Cancel: `reply` got its first chunk (already fed to chat_frame_received) and its socket
    // is being closed at `closed_at`. Ends the request; counted once.
    void cancel_closed(ReplyState& reply, std::string tag, Clock::time_point closed_at);

    void ping_sent(PingState& ping, Clock::time_point now);
    Progress ping_frame_received(PingState& ping, FrameKind kind, std::string_view frame, Clock::time_point now);

    // Wakeup: a timer due at `due` let the tool run again at `now`.
    void wakeup_measured(Clock::time_point due, Clock::time_point now);

    // A frame that arrived when nothing was awaited (idle connections, or after a reply).
    void unsolicited_frame(FrameKind kind, std::string_view frame);

private:
    void count_server_error(std::string_view frame);
    // `first_of`: the reply whose first chunk this is, or null.
    void record_token_stamps(std::string_view frame, Clock::time_point now, ReplyState const* first_of);

    LoadStats stats_;
    std::optional<std::uint64_t> expect_delay_us_;
    std::optional<std::uint64_t> expect_first_token_us_;
};

std::uint64_t to_us(Clock::duration d);

// Milliseconds since the clock's epoch, with microsecond precision: the scale of the mock
// model's started_ms/ended_ms (steady_clock::now().time_since_epoch() in milliseconds).
double steady_ms(Clock::time_point t);

// The tag of the n-th cancellation, and the chat message that carries it: "MESSAGE [ref TAG]".
std::string cancel_tag(std::uint64_t n);
std::string tagged_message(std::string_view message, std::string_view tag);

} // namespace brandchat_load
