// A TCP socket whose reads can be paced (--scenario slow): once pace() is called, each
// async_read_some takes at most what is left of the current window's budget (ReadPace) and,
// with none left, waits for the next window before reading. The WebSocket stream above it reads
// through its small buffer as usual, so the kernel's receive window fills and the server has to
// hold the rest. Unpaced (every other scenario, and the slow one before its welcome and after the
// stop) a read goes straight to the socket.
#pragma once

#include "slow_reading.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace brandchat_load {

class PacedSocket : public boost::asio::ip::tcp::socket {
public:
    using base = boost::asio::ip::tcp::socket;
    using error_code = boost::system::error_code;

    explicit PacedSocket(boost::asio::io_context& io) : base(io), timer_(io) {}

    // From now on at most `bytes` per `interval`; every byte read is added to *counter.
    void pace(std::size_t bytes, ReadPace::Clock::duration interval, std::uint64_t* counter) {
        pace_.emplace(bytes, interval, ReadPace::Clock::now());
        counter_ = counter;
    }
    // Reads go straight to the socket again (a read waiting for its window goes at once).
    void unpace() {
        pace_.reset();
        timer_.cancel();
    }
    bool paced() const { return pace_.has_value(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(MutableBuffers const& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, MutableBuffers const& b) {
                if (!pace_) return base::async_read_some(b, std::move(handler));
                boost::asio::async_compose<decltype(handler), void(error_code, std::size_t)>(PacedRead<MutableBuffers>{*this, b},
                                                                                            handler, *this);
            },
            token, buffers);
    }

private:
    template <class MutableBuffers>
    struct PacedRead {
        PacedSocket& s;
        MutableBuffers buffers;
        bool reading = false;

        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (reading) {
                if (!ec && s.pace_) s.pace_->consumed(n);
                if (s.counter_) *s.counter_ += n;
                return self.complete(ec, n);
            }
            // Starting, or back from waiting for the next window (or from unpace()).
            if (!s.pace_) {
                reading = true;
                return s.base::async_read_some(buffers, std::move(self));
            }
            auto now = ReadPace::Clock::now();
            auto allowed = s.pace_->allowance(now);
            if (allowed == 0) {
                s.timer_.expires_at(s.pace_->next_window(now));
                return s.timer_.async_wait(std::move(self));
            }
            reading = true;
            s.base::async_read_some(boost::beast::buffers_prefix(allowed, buffers), std::move(self));
        }
    };

    std::optional<ReadPace> pace_;
    std::uint64_t* counter_ = nullptr;
    boost::asio::steady_timer timer_;
};

// The WebSocket stream's closing handshake tears the socket down as the plain TCP socket it is.
inline void teardown(boost::beast::role_type role, PacedSocket& socket, boost::system::error_code& ec) {
    boost::beast::websocket::teardown(role, static_cast<PacedSocket::base&>(socket), ec);
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, PacedSocket& socket, TeardownHandler&& handler) {
    boost::beast::websocket::async_teardown(role, static_cast<PacedSocket::base&>(socket), std::forward<TeardownHandler>(handler));
}

} // namespace brandchat_load
