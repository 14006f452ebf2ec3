#include "brandchat/net/request_checks.hpp"

#include "brandchat/net/field_values.hpp"

#include <cctype>

namespace brandchat {

namespace {

bool is_base64(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'; }

} // namespace

bool valid_host(std::string_view host) {
    if (host.empty() || host.size() > 255) return false;
    std::string_view name = host, port;
    if (host.front() == '[') {
        auto close = host.find(']');
        if (close == std::string_view::npos) return false;
        for (char c : host.substr(1, close - 1))
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
        name = host.substr(0, close + 1);
        auto after = host.substr(close + 1);
        if (!after.empty() && after.front() != ':') return false;
        if (!after.empty()) port = after.substr(1);
    } else {
        auto colon = host.find(':');
        if (colon != std::string_view::npos) {
            name = host.substr(0, colon);
            port = host.substr(colon + 1);
            if (port.empty()) return false;
        }
        if (name.empty()) return false;
        for (char c : name)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' && c != '~' && c != '%') return false;
    }
    if (port.size() > 5) return false;
    for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

bool valid_websocket_key(std::string_view key) {
    key = trim_whitespace(key);
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (char c : key.substr(0, 22))
        if (!is_base64(c)) return false;
    // 16 bytes leave 4 unused bits in the last character: a canonical encoding has them zero.
    char last = key[21];
    return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

std::optional<std::string> refuse_request(RequestHead const& head) {
    if (!head.transfer_encodings.empty()) {
        if (head.transfer_encodings.size() != 1) return "Bad request: only one Transfer-Encoding, \"chunked\", is accepted";
        auto coding = trim_whitespace(head.transfer_encodings.front());
        if (!iequals_ascii(coding, "chunked")) return "Bad request: Transfer-Encoding \"" + std::string(coding.substr(0, 40)) + "\" is not supported; only \"chunked\" is";
        if (head.content_length) return "Bad request: Transfer-Encoding and Content-Length together";
        if (head.version < 11) return "Bad request: Transfer-Encoding in an HTTP/1.0 request";
    }
    if (head.hosts.size() > 1) return "Bad request: more than one Host header";
    if (head.version >= 11 && head.hosts.empty()) return "Bad request: HTTP/1.1 requires a Host header";
    if (!head.hosts.empty() && !valid_host(trim_whitespace(head.hosts.front()))) return "Bad request: the Host header is not a host name and port";
    if (head.websocket_upgrade) {
        if (head.websocket_keys.size() != 1) return "Bad request: a WebSocket upgrade needs exactly one Sec-WebSocket-Key";
        if (!valid_websocket_key(head.websocket_keys.front()))
            return "Bad request: Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)";
    }
    return std::nullopt;
}

} // namespace brandchat
