// The HTTP side of a connection, until it asks to become a WebSocket: requests are read
// (keep-alive), checked (request_checks.hpp), answered by handle_http (http_api.hpp), and an
// upgrade of /ws/chat/{brand_id} or /ws/voice/{brand_id} from an allowed origin
// (origin_policy.hpp) is handed back to become a Session. Only the network code includes this.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/net/request_checks.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>
#include <string>

namespace brandchat {

struct ServerContext;

// A WebSocket upgrade to accept: the request, and the brand it names (null: unknown or inactive).
struct Upgrade {
    boost::beast::http::request<boost::beast::http::string_body> request;
    std::shared_ptr<Brand const> brand;
    std::string brand_id;
    bool voice = false;
};

// What request_checks.hpp needs to know of a parsed request.
RequestHead head_of(boost::beast::http::request<boost::beast::http::string_body> const& request);

// Answers plain HTTP on `stream` until the client leaves (nullopt) or asks for a WebSocket.
// `remote_address` is the client's IP address (for the chat's per-address rate limit).
boost::asio::awaitable<std::optional<Upgrade>> serve_http(boost::beast::tcp_stream& stream, ServerContext& server,
                                                          std::string const& remote_address);

// Answers `status` with a JSON detail and closes the connection (see http_front.cpp).
boost::asio::awaitable<void> refuse(boost::beast::tcp_stream& stream, unsigned status, std::string const& detail, unsigned version);

} // namespace brandchat
