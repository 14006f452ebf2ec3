#include "brandchat/net/request_checks.hpp"

#include <doctest/doctest.h>

using namespace brandchat;

namespace {
RequestHead plain() {
    RequestHead h;
    h.hosts = {"shop.example:8000"};
    return h;
}
} // namespace

TEST_CASE("only a lone \"chunked\" transfer coding is accepted (RFC 9112 6.1)") {
    CHECK_FALSE(refuse_request(plain()));
    for (char const* te : {"chunked", "Chunked", " CHUNKED "}) {
        auto h = plain();
        h.transfer_encodings = {te};
        INFO(te);
        CHECK_FALSE(refuse_request(h));
    }
    for (char const* te : {"xchunked", "identity", "chunkedx", "gzip, chunked", "chunked, gzip", "", "chunked;q=1", "chunked\t,"}) {
        auto h = plain();
        h.transfer_encodings = {te};
        INFO(te);
        CHECK(refuse_request(h));
    }
    auto two = plain();
    two.transfer_encodings = {"chunked", "chunked"};
    CHECK(refuse_request(two));
    auto both = plain();
    both.transfer_encodings = {"chunked"};
    both.content_length = true;
    CHECK(refuse_request(both)->find("Content-Length") != std::string::npos);
    auto old = plain();
    old.version = 10;
    old.transfer_encodings = {"chunked"};
    CHECK(refuse_request(old));
}

TEST_CASE("HTTP/1.1 needs exactly one valid Host") {
    auto none = plain();
    none.hosts.clear();
    CHECK(refuse_request(none)->find("Host") != std::string::npos);
    none.version = 10;
    CHECK_FALSE(refuse_request(none)); // HTTP/1.0 may leave it out
    for (char const* host : {"localhost", "127.0.0.1:8000", "[::1]:8000", "[::1]", "shop.example", "a-b.c_d"}) {
        auto h = plain();
        h.hosts = {host};
        INFO(host);
        CHECK_FALSE(refuse_request(h));
    }
    for (char const* host : {"", "a b", "a/b", "user@host", "host:", "host:port", "host:123456", "[::1", "[::1]x", "[zz]"}) {
        auto h = plain();
        h.hosts = {host};
        INFO(host);
        CHECK(refuse_request(h));
    }
    auto two = plain();
    two.hosts = {"a", "b"};
    CHECK(refuse_request(two));
}

TEST_CASE("a WebSocket key must be 16 bytes in base64") {
    CHECK(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ==")); // RFC 6455's own example
    CHECK(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    for (char const* key : {"", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZR==", "dGhlIHNhbXBsZSBub25j*Q==",
                            "dGhlIHNhbXBsZSBub25jZQ==A", "dGhlIHNhbXBsZSBub25jZSBub25jZQ==", "x"}) {
        INFO(key);
        CHECK_FALSE(valid_websocket_key(key));
    }
    auto h = plain();
    h.websocket_upgrade = true;
    CHECK(refuse_request(h)); // no key
    h.websocket_keys = {"dGhlIHNhbXBsZSBub25jZQ=="};
    CHECK_FALSE(refuse_request(h));
    h.websocket_keys = {"short"};
    CHECK(refuse_request(h)->find("Sec-WebSocket-Key") != std::string::npos);
    h.websocket_keys = {"dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ=="};
    CHECK(refuse_request(h));
}
