// What an HTTP request must say before it is served, beyond what Beast's parser enforces:
// the framing rules that keep a request from being read two ways (RFC 9112 3.2, 6.1), and a
// WebSocket key of the form RFC 6455 4.1 requires. Pure: the values are taken from the parsed
// header by the listener, so the rules are tested and fuzzed without sockets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

struct RequestHead {
    unsigned version = 11;                             // 10 for HTTP/1.0, 11 for HTTP/1.1
    std::vector<std::string_view> hosts;               // every Host field line
    std::vector<std::string_view> transfer_encodings;  // every Transfer-Encoding field line
    bool content_length = false;
    bool websocket_upgrade = false;
    std::vector<std::string_view> websocket_keys;      // every Sec-WebSocket-Key field line
};

// Why the request must be refused with 400 and the connection closed, or nullopt to serve it.
//  - A Transfer-Encoding other than exactly "chunked" (any other or further coding, "xchunked",
//    "identity"), or one beside Content-Length: the body's end would be guessed, and what
//    follows could be read as a second request.
//  - HTTP/1.1 without exactly one Host, or a Host that is not a host[:port].
//  - A WebSocket upgrade whose Sec-WebSocket-Key is not one base64 encoding of 16 bytes.
std::optional<std::string> refuse_request(RequestHead const& head);

// Whether `host` is a reg-name, IPv4 address or bracketed IPv6 literal with an optional port
// (RFC 9110 7.2), as a Host header must be.
bool valid_host(std::string_view host);

// Whether `key` is the base64 encoding of exactly 16 bytes (24 characters ending in "==").
bool valid_websocket_key(std::string_view key);

} // namespace brandchat
