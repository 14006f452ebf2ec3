// One accepted socket, from its first byte to its close: the per-address limit
// (--max-connections-per-address), the HTTP front (http_front.hpp), and then, if it upgrades,
// its WebSocket Session. Only the network code includes this.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <unordered_set>

namespace brandchat {

struct ServerContext;

// Plain-HTTP connections in progress, so that stopping the server does not wait for idle
// keep-alive sockets to time out.
using HttpStreams = std::unordered_set<boost::beast::tcp_stream*>;

boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket, ServerContext& server, HttpStreams& http_streams);

} // namespace brandchat
