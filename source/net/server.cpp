#include "brandchat/net/server.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/connection.hpp"
#include "brandchat/net/memory_release.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <vector>

namespace brandchat {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;

struct Server::Impl {
    Impl(asio::io_context& io, ServerContext& ctx) : io(io), context(ctx), acceptor(io), trim_timer(io) {}

    asio::awaitable<void> accept_loop() {
        acceptor.non_blocking(true); // for the batch below; async_accept is unaffected
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(as_tuple(use_awaitable));
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) {
                // Out of file descriptors and the like: say so, back off briefly, keep serving.
                log::warn("accept failed: ", ec.message());
                asio::steady_timer pause(io, std::chrono::milliseconds(50));
                co_await pause.async_wait(as_tuple(use_awaitable));
                continue;
            }
            start_connection(std::move(socket));
            // One wake-up of the accept loop takes the whole backlog (up to a bound): under load
            // the loop waits behind every streaming reply for its turn, and accepting one
            // connection per turn would leave new customers waiting seconds for their welcome.
            for (int more = 0; more < 128; ++more) {
                tcp::socket next(io);
                acceptor.accept(next, ec);
                if (ec) break; // would_block: the backlog is empty (other errors: the next async_accept says)
                start_connection(std::move(next));
            }
        }
    }

    void start_connection(tcp::socket socket) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::co_spawn(io, serve_logged(std::move(socket)), asio::detached);
    }

    // A connection's failure is its own: logged, and the server goes on.
    asio::awaitable<void> serve_logged(tcp::socket socket) {
        try {
            co_await serve_connection(std::move(socket), context, http_streams);
        } catch (std::exception const& e) {
            log::error("connection failed: ", e.what());
        }
    }

    asio::io_context& io;
    ServerContext& context;
    tcp::acceptor acceptor;
    asio::steady_timer trim_timer;
    HttpStreams http_streams;
};

Server::Server(asio::io_context& io, ServerContext& context) : impl_(std::make_unique<Impl>(io, context)) {}
Server::~Server() = default;

std::uint16_t Server::listen(std::string const& host, std::uint16_t port) {
    tcp::resolver resolver(impl_->io);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive);
    tcp::endpoint endpoint = *results.begin();
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    beast::error_code ec;
    acceptor.bind(endpoint, ec);
    // What a user can act on, not the library's internals.
    if (ec == asio::error::address_in_use)
        throw std::runtime_error("port " + std::to_string(port) + " on " + host +
                                 " is already in use by another program: stop it, or choose another port (PORT=" +
                                 std::to_string(port == 65535 ? 8001 : port + 1) + " tools/run, or --port)");
    if (ec == asio::error::access_denied)
        throw std::runtime_error("not allowed to listen on port " + std::to_string(port) +
                                 " (ports below 1024 need root): choose another with --port or PORT=");
    if (ec == std::errc::address_not_available)
        throw std::runtime_error("cannot listen on " + host + ": no network interface has that address (--host)");
    if (ec) throw std::runtime_error("cannot listen on " + host + " port " + std::to_string(port) + ": " + ec.message());
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor.local_endpoint().port();
}

void Server::start() {
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    asio::co_spawn(impl_->io, release_memory_after_bursts(impl_->context, impl_->http_streams, impl_->trim_timer), asio::detached);
}

void Server::stop() {
    impl_->context.stopping = true;
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->trim_timer.cancel();
    if (impl_->context.responder) impl_->context.responder->stop();
    // Copy: shutting a session down may end it and erase it from the set.
    std::vector<Session*> live(impl_->context.sessions.begin(), impl_->context.sessions.end());
    for (auto* s : live) s->shutdown();
    HttpStreams open_http = impl_->http_streams; // a copy: closing lets their coroutines erase themselves
    for (auto* stream : open_http) stream->socket().close(ignored);
}

} // namespace brandchat
