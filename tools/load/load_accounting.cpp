#include "load_accounting.hpp"

#include <cmath>

namespace brandchat_load {

std::uint64_t to_us(Clock::duration d) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}

double steady_ms(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

std::string cancel_tag(std::uint64_t n) { return "cancel-" + std::to_string(n); }

std::string tagged_message(std::string_view message, std::string_view tag) {
    std::string out(message);
    out += " [ref ";
    out += tag;
    out += "]";
    return out;
}

Accounting::Accounting(std::optional<double> expect_delay_ms, std::optional<double> expect_first_token_ms) {
    if (expect_delay_ms) expect_delay_us_ = static_cast<std::uint64_t>(std::llround(*expect_delay_ms * 1000.0));
    if (expect_first_token_ms)
        expect_first_token_us_ = static_cast<std::uint64_t>(std::llround(*expect_first_token_ms * 1000.0));
}

void Accounting::connection_failed(std::string const& kind) {
    ++stats_.failed;
    ++stats_.failures[kind];
}

void Accounting::connection_opened(Clock::duration connect, Clock::duration to_welcome) {
    ++stats_.opened;
    stats_.connect_us.record(to_us(connect));
    stats_.welcome_us.record(to_us(to_welcome));
}

void Accounting::connection_dropped(std::string const& kind) {
    ++stats_.dropped;
    ++stats_.drops[kind];
}

void Accounting::frame_sent(std::size_t bytes) {
    ++stats_.frames_sent;
    stats_.bytes_sent += bytes;
}

void Accounting::frame_received(std::size_t bytes) {
    ++stats_.frames_received;
    stats_.bytes_received += bytes;
}

void Accounting::chat_sent(ReplyState& reply, Clock::time_point now) {
    reply = ReplyState{now, now, 0, true};
    ++stats_.requests;
}

Progress Accounting::chat_frame_received(ReplyState& reply, FrameKind kind, std::string_view frame,
                                         Clock::time_point now) {
    if (!reply.awaiting) {
        unsolicited_frame(kind, frame);
        return Progress::waiting;
    }
    switch (kind) {
    case FrameKind::chunk:
        ++stats_.chunks;
        record_token_stamps(frame, now, reply.chunks == 0 ? &reply : nullptr);
        if (reply.chunks == 0) {
            auto first = to_us(now - reply.sent);
            stats_.first_chunk_us.record(first);
            if (expect_first_token_us_)
                stats_.first_chunk_server_added_us.record(first > *expect_first_token_us_ ? first - *expect_first_token_us_ : 0);
        } else {
            auto gap = to_us(now - reply.last_chunk);
            stats_.chunk_gap_us.record(gap);
            if (expect_delay_us_) stats_.chunk_gap_server_added_us.record(gap > *expect_delay_us_ ? gap - *expect_delay_us_ : 0);
        }
        ++reply.chunks;
        reply.last_chunk = now;
        return Progress::waiting;
    case FrameKind::complete:
        ++stats_.replies;
        if (reply.chunks == 0) ++stats_.replies_without_chunks;
        stats_.complete_us.record(to_us(now - reply.sent));
        reply.awaiting = false;
        return Progress::done;
    case FrameKind::error:
        ++stats_.reply_errors;
        count_server_error(frame);
        reply.awaiting = false;
        return Progress::failed;
    default:
        unsolicited_frame(kind, frame);
        return Progress::waiting;
    }
}

void Accounting::chat_interrupted(ReplyState& reply) {
    if (!reply.awaiting) return;
    ++stats_.in_flight_at_stop;
    reply.awaiting = false;
}

void Accounting::chat_lost(ReplyState& reply) {
    if (!reply.awaiting) return;
    ++stats_.lost_with_connection;
    reply.awaiting = false;
}

void Accounting::cancel_closed(ReplyState& reply, std::string tag, Clock::time_point closed_at) {
    if (!reply.awaiting) return;
    reply.awaiting = false;
    ++stats_.cancellations;
    stats_.cancels.push_back({std::move(tag), steady_ms(reply.sent), steady_ms(reply.last_chunk), steady_ms(closed_at)});
}

void Accounting::record_token_stamps(std::string_view frame, Clock::time_point now, ReplyState const* first_of) {
    auto now_us = static_cast<std::int64_t>(to_us(now.time_since_epoch()));
    TokenStamp stamp;
    while (next_token_stamp(frame, stamp)) {
        if (first_of && expect_first_token_us_) {
            // The first token fell due its pause after the upstream began it: the rest since
            // our send is the way there.
            auto began = stamp.due_us - static_cast<std::int64_t>(*expect_first_token_us_);
            auto sent_us = static_cast<std::int64_t>(to_us(first_of->sent.time_since_epoch()));
            stats_.to_upstream_us.record(began > sent_us ? static_cast<std::uint64_t>(began - sent_us) : 0);
            first_of = nullptr;
        }
        stats_.upstream_late_us.record(stamp.written_us > stamp.due_us ? static_cast<std::uint64_t>(stamp.written_us - stamp.due_us) : 0);
        stats_.transit_us.record(now_us > stamp.written_us ? static_cast<std::uint64_t>(now_us - stamp.written_us) : 0);
    }
}

void Accounting::wakeup_measured(Clock::time_point due, Clock::time_point now) {
    stats_.wakeup_late_us.record(now > due ? to_us(now - due) : 0);
}

void Accounting::ping_sent(PingState& ping, Clock::time_point now) {
    ping = PingState{now, true};
    ++stats_.pings;
}

Progress Accounting::ping_frame_received(PingState& ping, FrameKind kind, std::string_view frame, Clock::time_point now) {
    if (ping.awaiting && kind == FrameKind::pong) {
        ++stats_.pongs;
        stats_.ping_rtt_us.record(to_us(now - ping.sent));
        ping.awaiting = false;
        return Progress::done;
    }
    if (ping.awaiting && kind == FrameKind::error) {
        count_server_error(frame);
        ping.awaiting = false;
        return Progress::failed;
    }
    unsolicited_frame(kind, frame);
    return Progress::waiting;
}

void Accounting::unsolicited_frame(FrameKind kind, std::string_view frame) {
    if (kind == FrameKind::error) count_server_error(frame);
    else ++stats_.unexpected_frames[std::string(frame_kind_name(kind))];
}

void Accounting::count_server_error(std::string_view frame) { ++stats_.server_errors[error_group(error_message_of(frame))]; }

} // namespace brandchat_load
