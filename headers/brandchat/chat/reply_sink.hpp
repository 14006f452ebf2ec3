// What the reply pipeline (reply_pipeline.hpp) needs of the connection a chat came on: where the
// reply's frames go, how fast the client reads them, and whether the reply was cancelled. The
// WebSocket Session implements it; the pipeline's unit tests use one in memory.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/metrics/metrics.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace brandchat {

struct ServerContext;

class ReplySink {
public:
    virtual ~ReplySink() = default;

    virtual boost::asio::any_io_executor executor() const = 0;
    virtual ServerContext& server() = 0;
    virtual std::shared_ptr<Brand const> const& brand_ptr() const = 0;
    virtual bool voice_forced() const = 0;
    virtual bool open() const = 0;                 // false once the client is gone or the connection closing
    virtual std::uint64_t connection_id() const { return 0; } // for log lines (the session's number)
    // Chunks reach a socket as they are sent (a WebSocket), not gathered into one answer (POST
    // /chat): only then is the time to the first chunk's write measured.
    virtual bool streams() const { return true; }

    virtual void send(std::string frame) = 0;
    virtual void send_chunk(std::string_view content, std::string const& conversation_id) = 0;
    virtual void send_error(std::string_view message, ErrorCause cause = ErrorCause::other) = 0;
    virtual void flush() = 0;                      // write what is gathered now (a batch of chunks)
    // The chunks sent next carry text that arrived at `when` (ReplyTimes::batch_arrived): the
    // time until their socket write is counted (GET /metrics, brandchat_chunk_write_delay_seconds).
    virtual void text_arrived(std::chrono::steady_clock::time_point when) = 0;

    virtual bool outbox_full() const = 0;          // the client is behind
    // Returns when woken: the client caught up, the reply was cancelled, or the connection is
    // closing (then false). The caller checks outbox_full() again.
    virtual boost::asio::awaitable<bool> wait_until_woken() = 0;

    // A terminal cancellation is emitted on this slot when the reply is cancelled (the `cancel`
    // message, the client leaving, shutdown); reply_cancelled() stays true for the rest of it.
    virtual boost::asio::cancellation_slot reply_cancellation() = 0;
    virtual bool reply_cancelled() const = 0;
};

} // namespace brandchat
