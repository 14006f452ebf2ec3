#include "server.hpp"

#include "connection.hpp"
#include "event_log.hpp"
#include "mock_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <csignal>
#include <exception>
#include <iostream>
#include <optional>
#include <sys/resource.h>

namespace mock_llm {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr auto accept_retry_delay = std::chrono::milliseconds(100);

void log_failure(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (std::exception const& e) {
        log_line(std::string("unexpected failure: ") + e.what());
    }
}

net::awaitable<void> accept_connections(tcp::acceptor& acceptor, net::ssl::context* tls, MockState& state) {
    auto executor = co_await net::this_coro::executor;
    net::steady_timer retry{executor};
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec == net::error::operation_aborted) co_return;
        if (ec) {
            // Typically out of file descriptors: let some connections close, then go on.
            log_line("accept failed: " + ec.message());
            retry.expires_after(accept_retry_delay);
            co_await retry.async_wait(use_tuple);
            continue;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);  // every token is its own small write
        if (tls)
            net::co_spawn(executor, serve_tls_connection(std::move(socket), *tls, state), log_failure);
        else
            net::co_spawn(executor, serve_plain_connection(std::move(socket), state), log_failure);
    }
}

// Benchmarks hold 10,000 connections open; the default soft limit is often 1024.
void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::optional<net::ssl::context> make_tls_context(const Settings& settings) {
    if (settings.tls_cert.empty()) return std::nullopt;
    std::optional<net::ssl::context> tls{std::in_place, net::ssl::context::tls_server};
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::single_dh_use);
    tls->use_certificate_chain_file(settings.tls_cert);
    tls->use_private_key_file(settings.tls_key, net::ssl::context::pem);
    return tls;
}

} // namespace

int run_server(Settings settings) {
    std::signal(SIGPIPE, SIG_IGN);
    raise_open_file_limit();

    // Declared before the io_context, so they outlive the connections it destroys on exit.
    MockState state{std::move(settings)};
    std::optional<net::ssl::context> tls;
    try {
        tls = make_tls_context(state.settings);
    } catch (boost::system::system_error const& e) {
        std::cerr << "brandchat-mock-llm: cannot load TLS certificate or key: " << e.what() << "\n";
        return 1;
    }

    net::io_context io{1};
    tcp::acceptor acceptor{io};
    try {
        tcp::resolver resolver{io};
        auto endpoint = resolver.resolve(state.settings.host, std::to_string(state.settings.port)).begin()->endpoint();
        acceptor.open(endpoint.protocol());
        acceptor.set_option(net::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(net::socket_base::max_listen_connections);
    } catch (boost::system::system_error const& e) {
        std::cerr << "brandchat-mock-llm: cannot listen on " << state.settings.host << ":" << state.settings.port
                  << ": " << e.code().message() << "\n";
        return 1;
    }

    auto local = acceptor.local_endpoint();
    std::cout << "listening on " << local.address().to_string() << ":" << local.port() << std::endl;
    auto const& s = state.settings;
    log_line(std::string(tls ? "HTTPS" : "HTTP") + ", tokens=" + std::to_string(s.tokens) +
             " token_delay_ms=" + std::to_string(s.token_delay_ms) + " first_token_ms=" +
             std::to_string(s.first_token_ms) + (s.fault.empty() ? "" : " fault=" + s.fault));

    net::co_spawn(io, accept_connections(acceptor, tls ? &*tls : nullptr, state), log_failure);
    net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
    io.run();
    return 0;
}

} // namespace mock_llm
