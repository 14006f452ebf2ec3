// What a message handler may do with the connection its message came on: the whole surface a
// handler author needs (README, "Adding a message type"). The WebSocket Session implements it;
// nothing here blocks, and every call is made on the server's one thread.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/chat/rate_limiter.hpp"
#include "brandchat/metrics/metrics.hpp"
#include "brandchat/protocol/client_message.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

namespace brandchat {

struct ServerContext;

class Connection {
public:
    virtual ~Connection() = default;

    virtual ServerContext& server() = 0;                      // settings, brands, conversations, counters
    virtual Brand const& brand() const = 0;                   // the brand the URL named
    virtual std::string const& remote_address() const = 0;    // the client's address
    virtual bool voice_forced() const = 0;                    // connected on /ws/voice/

    virtual void send(std::string frame) = 0;                 // queue a text frame (protocol/server_message.hpp)
    // An `error` frame; the connection stays open. The cause is counted (GET /metrics).
    virtual void send_error(std::string_view message, ErrorCause cause = ErrorCause::other) = 0;
    // Waits while the client is behind (more than --outbox-limit-bytes queued); false once the
    // connection is closing. For a handler that sends much: respect the client's reading pace.
    virtual boost::asio::awaitable<bool> wait_for_room() = 0;

    virtual SlidingWindow& chat_window() = 0;                 // this connection's chat rate limit
    // Chats are answered one at a time, in order, from a small bounded queue (--queue-limit):
    // long work is queued here, so the handler returns and pings and cancels stay responsive.
    virtual void queue_chat(protocol::ChatRequest request) = 0;
    virtual void cancel_reply() = 0;                          // stop the reply being streamed
};

} // namespace brandchat
