#include "brandchat/net/origin_policy.hpp"

#include <doctest/doctest.h>

using namespace brandchat;

TEST_CASE("which pages may open the chat WebSocket") {
    std::vector<std::string> none, shop{"https://shop.example", "https://www.shop.example:8443"};
    // Not a browser page.
    CHECK(origin_allowed("", "chat.example", none, ""));
    // The server's own page, and local development.
    CHECK(origin_allowed("https://chat.example", "chat.example", none, ""));
    CHECK(origin_allowed("http://chat.example:8000", "chat.example:8000", none, ""));
    CHECK(origin_allowed("http://localhost:5173", "chat.example", none, ""));
    CHECK(origin_allowed("http://127.0.0.1:3000", "chat.example", none, ""));
    CHECK(origin_allowed("http://[::1]:3000", "chat.example", none, ""));
    CHECK(origin_allowed("http://shop.localhost", "chat.example", none, ""));
    // The brand's storefronts, without regard to case or a trailing slash.
    CHECK(origin_allowed("https://shop.example", "chat.example", shop, ""));
    CHECK(origin_allowed("HTTPS://Shop.Example/", "chat.example", shop, ""));
    CHECK(origin_allowed("https://www.shop.example:8443", "chat.example", shop, ""));
    // And the server's list.
    CHECK(origin_allowed("https://other.example", "chat.example", none, "https://a.example, https://other.example"));
    CHECK(origin_allowed("https://any.example", "chat.example", none, "*"));
    CHECK(origin_allowed("https://any.example", "chat.example", {"*"}, ""));
    // Everything else.
    for (char const* evil : {"https://evil.example", "http://shop.example", "https://shop.example.evil.example", "https://shop.example:444",
                             "null", "file://", "https://localhost.evil.example", "https://127.0.0.1.evil.example",
                             "ftp://localhost", "https://chat.example.evil"}) {
        INFO(evil);
        CHECK_FALSE(origin_allowed(evil, "chat.example", shop, "https://a.example"));
    }
    CHECK_FALSE(origin_allowed("https://chat.example:8000", "chat.example", none, "")); // another port is another origin
}
