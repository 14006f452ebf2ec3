// The layer between Beast's WebSocket stream and the TCP socket that turns many small frames into
// one write.
//
// A streaming reply is many small frames (a chunk per model token) that are produced together:
// one read from the model can hold a dozen tokens. Written one by one, each costs a sendmsg(2)
// and, on loopback or a LAN, a trip through the receiver's network stack. This stream accepts
// writes into memory, like a socket buffer, and writes them with one write: at once when the
// producer asks (flush(), as a reply does after each batch of chunks), or else from a post, after
// the code that produced them yields (the session's other frames). Nothing waits on a timer.
// While a write is on the wire, new bytes collect for the next one.
//
// Every byte for the socket goes through here, in order: the session's own frames (write_frame),
// and whatever Beast writes (the handshake response, pongs, close frames) through
// async_write_some. So Beast's control frames can never land inside one of ours.
//
// Writes complete once accepted. Backpressure is the caller's job: buffered() tells how much is
// waiting and async_drained() waits until it has all left. A failed write closes the socket, so
// the session's read loop ends with the error; later writes fail at once.
//
// Lifetime: a posted or running write holds the owner (set_owner) alive, so the stream, which the
// owner contains, outlives it.
//
// This layer is where the project writes initiation functions and completion handlers instead of
// coroutines: Beast's stream concept (AsyncReadStream, AsyncWriteStream, teardown) requires them of
// whatever sits under its WebSocket stream. Everywhere else, asynchronous work is a coroutine.
#pragma once

#include "brandchat/metrics/metrics.hpp"
#include "brandchat/net/frame_guard.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

class CoalescingStream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using error_code = boost::system::error_code;

    explicit CoalescingStream(boost::beast::tcp_stream next) : next_(std::move(next)) {}

    executor_type get_executor() noexcept { return next_.get_executor(); }
    boost::beast::tcp_stream& next_layer() noexcept { return next_; }
    boost::beast::tcp_stream const& next_layer() const noexcept { return next_; }

    // What keeps this stream alive while a write is posted or in flight (the owning session).
    void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }
    // Where writes, bytes and chunk delays are counted (the server's; it outlives the stream).
    void set_meters(StreamMeters* meters) { meters_ = meters; }
    // The bytes written next (until the next write starts) carry text that arrived at `source`:
    // that write's start is timed from the earliest such source (StreamMeters::chunk_write_delay).
    void stamp(std::chrono::steady_clock::time_point source);

    // Queues one complete, unmasked WebSocket text frame (server to client, RFC 6455 5.2).
    void write_frame(std::string_view payload);
    // Queues a close frame, for when Beast's stream can no longer send one (a frame guard
    // violation fails the stream before Beast sees the frame).
    void write_close(std::uint16_t code, std::string_view reason);

    // Starts writing what is waiting now, unless a write is already on the wire.
    void flush();

    std::size_t buffered() const noexcept { return out_ ? out_->waiting.size() + out_->in_flight.size() : 0; }
    bool failed() const noexcept { return static_cast<bool>(error_); }

    // Completes when every byte accepted so far has been written, or with the error that
    // stopped the writing.
    template <class Token>
    auto async_drained(Token&& token) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [this](auto handler) {
                if (error_ || buffered() == 0) {
                    boost::asio::post(get_executor(), boost::asio::append(std::move(handler), error_));
                    return;
                }
                out_->drained.emplace_back(std::move(handler));
            },
            token);
    }

    // AsyncReadStream: straight through, each read's bytes shown to the frame guard before
    // Beast sees them; a violation fails the read (frame_guard.hpp) and the session answers 1002.
    template <class MutableBuffers, class Token>
    auto async_read_some(MutableBuffers const& buffers, Token&& token) {
        return boost::asio::async_compose<Token, void(error_code, std::size_t)>(GuardedRead<MutableBuffers>{*this, buffers}, token,
                                                                                 next_);
    }

    // AsyncWriteStream, for Beast: accepts everything, completes by post.
    template <class ConstBuffers, class Token>
    auto async_write_some(ConstBuffers const& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, ConstBuffers const& buffers) {
                std::size_t n = 0;
                if (!error_) {
                    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
                        boost::asio::const_buffer b(*it);
                        append({static_cast<char const*>(b.data()), b.size()});
                        n += b.size();
                    }
                }
                boost::asio::post(get_executor(), boost::asio::append(std::move(handler), error_, n));
            },
            token, buffers);
    }

    // Beast's close handshake ends with a teardown of the next layer: first let our bytes (the
    // close frame among them) leave.
    friend void teardown(boost::beast::role_type role, CoalescingStream& stream, error_code& ec);

    template <class Handler>
    friend void async_teardown(boost::beast::role_type role, CoalescingStream& stream, Handler&& handler) {
        stream.async_drained([&stream, role, handler = std::forward<Handler>(handler)](error_code) mutable {
            using boost::beast::websocket::async_teardown;
            async_teardown(role, stream.next_, std::move(handler));
        });
    }

private:
    template <class MutableBuffers>
    struct GuardedRead {
        CoalescingStream& stream;
        MutableBuffers buffers;
        bool started = false;
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (!started) {
                started = true;
                return stream.next_.async_read_some(buffers, std::move(self));
            }
            std::size_t left = ec ? 0 : n;
            for (auto it = boost::asio::buffer_sequence_begin(buffers); left > 0 && it != boost::asio::buffer_sequence_end(buffers); ++it) {
                boost::asio::mutable_buffer b(*it);
                std::size_t part = std::min(left, b.size());
                if (stream.guard_.feed({static_cast<char const*>(b.data()), part}) != ClientFrameGuard::Violation::none)
                    return self.complete(make_error_code(stream.guard_.violation()), 0);
                left -= part;
            }
            self.complete(ec, n);
        }
    };

    struct Output {
        std::string waiting;    // accepted since the last write started
        std::chrono::steady_clock::time_point stamp{}; // the earliest stamp() on `waiting`; zero: none
        std::string in_flight;  // being written
        bool writing = false;   // a write is on the wire
        bool posted = false;    // a flush is posted
        std::vector<boost::asio::any_completion_handler<void(error_code)>> drained;
    };

    void append(std::string_view bytes);
    void start_write(std::shared_ptr<void> owner);
    void written(error_code ec, std::shared_ptr<void> owner);
    void release_if_idle();

    boost::beast::tcp_stream next_;
    ClientFrameGuard guard_;
    std::unique_ptr<Output> out_; // only while bytes wait: an idle connection holds no buffers
    error_code error_;
    std::weak_ptr<void> owner_;
    StreamMeters* meters_ = nullptr;
};

} // namespace brandchat
