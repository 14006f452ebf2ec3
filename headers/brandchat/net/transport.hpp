// The Beast stream behind a Session. Only the network code includes this header, so the rest
// of the project compiles without Beast.
#pragma once

#include "brandchat/net/coalescing_stream.hpp"
#include "brandchat/net/session.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace brandchat {

struct Session::Transport {
    explicit Transport(boost::beast::tcp_stream stream)
        : ws(std::move(stream)), room(ws.get_executor()), assembly(ws.get_executor()) {}

    boost::beast::websocket::stream<CoalescingStream> ws; // frames leave through CoalescingStream
    boost::beast::http::request<boost::beast::http::string_body> upgrade;
    boost::asio::steady_timer room; // woken when the outbox has room again
    boost::asio::steady_timer assembly; // a message's deadline (session.cpp, message_watchdog)
};

} // namespace brandchat
