#include "brandchat/net/coalescing_stream.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <atomic>
#include <utility>

namespace brandchat {

namespace asio = boost::asio;

namespace {
std::atomic<std::uint64_t> writes_total{0}; // atomic only because tests run servers on several threads
}

std::uint64_t socket_writes_total() { return writes_total.load(std::memory_order_relaxed); }

void CoalescingStream::write_close(std::uint16_t code, std::string_view reason) {
    reason = reason.substr(0, 123); // a control frame's payload is at most 125 bytes
    char frame[4] = {static_cast<char>(0x88), static_cast<char>(2 + reason.size()), static_cast<char>(code >> 8),
                     static_cast<char>(code & 0xff)};
    append({frame, sizeof frame});
    append(reason);
}

void CoalescingStream::write_frame(std::string_view payload) {
    // FIN + text opcode; a server's frames are not masked; the shortest length encoding.
    char header[10];
    std::size_t header_size = 2;
    std::uint64_t const size = payload.size();
    header[0] = static_cast<char>(0x81);
    if (size < 126) {
        header[1] = static_cast<char>(size);
    } else if (size <= 0xFFFF) {
        header[1] = 126;
        header[2] = static_cast<char>(size >> 8);
        header[3] = static_cast<char>(size);
        header_size = 4;
    } else {
        header[1] = 127;
        for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<char>(size >> (56 - 8 * i));
        header_size = 10;
    }
    append({header, header_size});
    append(payload);
}

void CoalescingStream::append(std::string_view bytes) {
    if (error_) return;
    if (!out_) {
        out_ = std::make_unique<Output>();
        // Room for a typical batch (a dozen chunk frames), so it is not regrown frame by frame.
        out_->waiting.reserve(std::max<std::size_t>(bytes.size(), 4096));
    }
    out_->waiting.append(bytes);
    if (out_->writing || out_->posted) return; // a write to come picks these up
    auto owner = owner_.lock();
    if (!owner) {                              // the owner is going away: no one to write for
        error_ = asio::error::operation_aborted;
        out_.reset();
        return;
    }
    out_->posted = true;
    asio::post(get_executor(), [this, owner = std::move(owner)]() mutable {
        out_->posted = false;
        if (!out_->writing) start_write(std::move(owner)); // else the write on the wire takes these next
    });
}

void CoalescingStream::stamp(std::chrono::steady_clock::time_point source) {
    if (!out_ || error_ || !meters_) return; // called after the bytes are appended: none waiting, none to time
    if (out_->stamp == std::chrono::steady_clock::time_point{} || source < out_->stamp) out_->stamp = source;
}

void CoalescingStream::flush() {
    if (!out_ || out_->writing || out_->waiting.empty() || error_) return;
    if (auto owner = owner_.lock()) start_write(std::move(owner));
}

void CoalescingStream::start_write(std::shared_ptr<void> owner) {
    if (error_ || out_->waiting.empty()) return release_if_idle();
    std::swap(out_->waiting, out_->in_flight);
    out_->writing = true;
    writes_total.fetch_add(1, std::memory_order_relaxed);
    auto const stamp = std::exchange(out_->stamp, {});
    asio::async_write(next_.socket(), asio::buffer(out_->in_flight),
                      [this, owner = std::move(owner)](error_code ec, std::size_t) mutable { written(ec, std::move(owner)); });
    if (meters_) {
        // Asio writes at once when the socket has room (a speculative write), so the write's start
        // is when the bytes left for the client; a client that reads slowly holds them in the outbox
        // first, and those are not stamped (Session::send_one_chunk).
        ++meters_->writes;
        meters_->bytes += out_->in_flight.size();
        if (stamp != std::chrono::steady_clock::time_point{})
            meters_->chunk_write_delay.observe(std::chrono::steady_clock::now() - stamp);
    }
}

void CoalescingStream::written(error_code ec, std::shared_ptr<void> owner) {
    out_->writing = false;
    out_->in_flight.clear();
    if (ec && !error_) {
        error_ = ec;
        error_code ignored;
        next_.socket().close(ignored); // the session's read loop ends with the error
    }
    if (!error_ && !out_->waiting.empty()) return start_write(std::move(owner));
    auto drained = std::move(out_->drained);
    release_if_idle();
    for (auto& handler : drained) asio::post(get_executor(), asio::append(std::move(handler), error_));
}

// Idle again: give the buffers back, so a quiet connection holds none.
void CoalescingStream::release_if_idle() {
    if (out_ && !out_->writing && !out_->posted && out_->drained.empty() && (error_ || out_->waiting.empty())) out_.reset();
}

void teardown(boost::beast::role_type role, CoalescingStream& stream, CoalescingStream::error_code& ec) {
    // Only a synchronous close needs this, and the server closes asynchronously: bytes still
    // waiting here are dropped rather than raced against an asynchronous write in flight.
    using boost::beast::websocket::teardown;
    teardown(role, stream.next_, ec);
}

} // namespace brandchat
