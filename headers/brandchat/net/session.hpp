// One WebSocket connection: where a client's frames enter and where replies leave.
//   run(): accept → welcome → loop { read frame → decode → dispatch to handler }.
// Outgoing frames are written into the socket's batch (CoalescingStream), which leaves in one
// write per turn of the event loop; when a client falls behind they queue in the outbox,
// which one writer drains as the socket takes them. Chats are answered one at a time, in order,
// from a small bounded queue. When the client leaves, the reply in progress is cancelled
// (its upstream request closed, its timers stopped) before the session ends.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/chat/reply_sink.hpp"
#include "brandchat/handlers/connection.hpp"
#include "brandchat/chat/rate_limiter.hpp"
#include "brandchat/net/outbox.hpp"
#include "brandchat/protocol/client_message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <memory>
#include <vector>
#include <string>

namespace brandchat {

struct ServerContext;

class Session final : public Connection, public ReplySink, public std::enable_shared_from_this<Session> {
public:
    struct Transport; // the Beast WebSocket stream, kept out of this header

    Session(ServerContext& server, std::unique_ptr<Transport> transport, std::shared_ptr<Brand const> brand,
            std::string requested_brand, bool voice_forced, std::string remote_address);
    ~Session() override;

    // Runs the connection to its end. `upgrade` is the HTTP upgrade request (Transport-owned).
    boost::asio::awaitable<void> run();
    void shutdown(); // server stopping: cancel, close with 1001
    std::string const& brand_id() const { return requested_brand_; }
    std::size_t queued_chats() const { return chats_.size(); }     // for GET /metrics
    std::size_t backlog_bytes() const { return queued_bytes(); }   // the outbox and the socket's batch
    // The brand was deleted or deactivated (net/brand_changes.hpp): the reply in flight finishes,
    // queued messages are dropped, then the documented error and a close with 1008.
    void withdraw_brand();

    // For handlers (Connection) and the reply pipeline (ReplySink).
    ServerContext& server() override { return server_; }
    bool voice_forced() const override { return voice_forced_; }
    void send(std::string frame) override;
    void send_error(std::string_view message, ErrorCause cause = ErrorCause::other) override;

    // Connection.
    Brand const& brand() const override { return *brand_; }
    std::string const& remote_address() const override { return remote_address_; }
    boost::asio::awaitable<bool> wait_for_room() override;
    SlidingWindow& chat_window() override { return chat_window_; }
    void queue_chat(protocol::ChatRequest request) override;
    void cancel_reply() override;

    // ReplySink.
    boost::asio::any_io_executor executor() const override;
    std::shared_ptr<Brand const> const& brand_ptr() const override { return brand_; }
    bool open() const override { return !closing_; }
    std::uint64_t connection_id() const override { return connection_id_; }
    void send_chunk(std::string_view content, std::string const& conversation_id) override; // may merge (outbox.hpp)
    void flush() override;                           // write what is gathered now (coalescing_stream.hpp)
    void text_arrived(std::chrono::steady_clock::time_point when) override { text_arrived_ = when; }
    bool outbox_full() const override;
    boost::asio::awaitable<bool> wait_until_woken() override;
    boost::asio::cancellation_slot reply_cancellation() override { return reply_signal_.slot(); }
    bool reply_cancelled() const override { return reply_cancelled_; }

private:
    void send_one_chunk(std::string_view content, std::string const& conversation_id);
    boost::asio::awaitable<void> write_pump();
    boost::asio::awaitable<void> reply_pump();
    boost::asio::awaitable<void> dispatch(std::string_view frame);
    void watch_message_assembly();
    boost::asio::awaitable<void> message_watchdog();
    boost::asio::awaitable<void> close_after_violation();
    void close_soon(std::uint16_t code, std::string reason);
    void start_writing();
    bool can_write_now() const;
    std::size_t batch_limit() const;
    std::size_t queued_bytes() const;   // outbox + the socket's batch
    void wake_room_waiters();
    void close_for_withdrawn_brand();
    Language chat_language(protocol::ChatRequest const& request) const; // for what the customer is told

    ServerContext& server_;
    std::unique_ptr<Transport> transport_;
    std::shared_ptr<Brand const> brand_;
    std::string requested_brand_;
    bool voice_forced_;
    std::string remote_address_;
    std::uint64_t connection_id_ = 0;   // this server's count of connections when it opened: in its log lines

    Outbox outbox_;
    bool writing_ = false;
    bool closing_ = false;              // no more input is handled; replies stop
    std::uint16_t close_code_ = 0;      // nonzero: send a close frame after the outbox drains
    std::string close_reason_;
    bool assembling_ = false;           // a message's first frames are in, the rest is awaited
    bool assembly_watched_ = false;     // its watchdog is running

    std::chrono::steady_clock::time_point text_arrived_{};  // for the next chunk written at once; zero: none
    std::chrono::steady_clock::time_point message_read_{};  // the last message's last frame was read
    std::chrono::steady_clock::time_point reply_ended_{};   // the last reply's end: a queued chat's wait starts then

    std::vector<protocol::ChatRequest> chats_; // a few at most; a deque would cost 600 bytes idle
    bool replying_ = false;
    bool reply_cancelled_ = false;
    bool brand_withdrawn_ = false;
    boost::asio::cancellation_signal reply_signal_;
    SlidingWindow chat_window_;
};

} // namespace brandchat
