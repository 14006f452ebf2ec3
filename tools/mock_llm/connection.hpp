// One client connection: HTTP/1.1 requests served one after another (keep-alive) by a single
// coroutine, over plain TCP or TLS. Runs until the client leaves or the connection breaks; nothing
// a client does makes it throw. While a chat answer is under way it keeps a read pending on the
// socket, so a client that leaves is noticed at once, even between tokens or in a stall.
#pragma once

#include "mock_state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace mock_llm {

boost::asio::awaitable<void> serve_plain_connection(boost::asio::ip::tcp::socket socket, MockState& state);

// tls must outlive the connection.
boost::asio::awaitable<void> serve_tls_connection(boost::asio::ip::tcp::socket socket,
                                                  boost::asio::ssl::context& tls, MockState& state);

} // namespace mock_llm
