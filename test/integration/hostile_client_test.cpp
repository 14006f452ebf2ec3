// What a hostile client tries against a real server: reading files outside the page, request
// smuggling, malformed WebSocket frames, foreign origins, many connections, stalled messages.
#include <doctest/doctest.h>

#include "test_server.hpp"

#include <boost/json.hpp>

#include <map>
#include <thread>

using namespace brandchat;
using namespace brandchat::test;

namespace {

std::size_t count(std::string const& text, std::string const& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

std::string raw_exchange(std::uint16_t port, std::string const& request) {
    RawClient c(port);
    c.send(request);
    return c.read_until_close(2000);
}

std::string get(std::uint16_t port, std::string const& target, std::string const& headers = "") {
    return raw_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "Connection: close\r\n\r\n");
}

std::string header_value(std::string const& response, std::string const& name) {
    auto at = response.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    at += name.size() + 4;
    return response.substr(at, response.find("\r\n", at) - at);
}

} // namespace

TEST_CASE("nothing outside the chat page's folder is reachable, however the path is written") {
    TestServer server(quiet_options());
    for (char const* target : {"/ui//etc/passwd", "/ui//proc/self/environ", "/ui///etc/passwd", "/ui/../brands/techpro.json",
                               "/ui/%2e%2e/brands/techpro.json", "/ui/%2E%2E%2Fbrands%2Ftechpro.json", "/ui/..%2fbrands/techpro.json",
                               "/ui/%252e%252e/brands/techpro.json", "/ui/..\\brands\\techpro.json", "/ui/%5c..%5cbrands",
                               "/ui/index.html%00.png", "/ui/./index.html", "/ui/a//index.html", "/ui/%2fetc%2fpasswd"}) {
        INFO(target);
        auto response = get(server.port(), target);
        CHECK(response.starts_with("HTTP/1.1 404"));
        CHECK(response.find("root:") == std::string::npos);
        CHECK(response.find("\"products\"") == std::string::npos);
    }
    auto long_path = get(server.port(), "/ui/" + std::string(5000, 'a'));
    CHECK(long_path.starts_with("HTTP/1.1 404"));
}

TEST_CASE("the page is served from memory: types, ETags, gzip, 304") {
    TestServer server(quiet_options());
    auto plain = get(server.port(), "/ui/");
    REQUIRE(plain.starts_with("HTTP/1.1 200"));
    CHECK(header_value(plain, "Content-Type") == "text/html; charset=utf-8");
    CHECK(header_value(plain, "Content-Encoding").empty());
    CHECK(plain.find("<!doctype html>") != std::string::npos);
    auto etag = header_value(plain, "ETag");
    REQUIRE(etag.size() > 2);

    auto packed = get(server.port(), "/ui/app.js", "Accept-Encoding: gzip, deflate, br\r\n");
    REQUIRE(packed.starts_with("HTTP/1.1 200"));
    CHECK(header_value(packed, "Content-Type") == "text/javascript; charset=utf-8");
    CHECK(header_value(packed, "Content-Encoding") == "gzip");
    CHECK(header_value(packed, "Vary") == "Accept-Encoding");
    auto length = std::stoul(header_value(packed, "Content-Length"));
    CHECK(length < 25049 / 2); // app.js is 25 KB of text
    CHECK(packed.substr(packed.find("\r\n\r\n") + 4, 2) == "\x1f\x8b"); // a gzip member

    CHECK(get(server.port(), "/ui/", "If-None-Match: " + etag + "\r\n").starts_with("HTTP/1.1 304"));
    CHECK(get(server.port(), "/ui/", "If-None-Match: \"other\"\r\n").starts_with("HTTP/1.1 200"));
}

TEST_CASE("a request whose body could be read two ways is refused and the connection closed") {
    TestServer server(quiet_options());
    for (char const* coding : {"xchunked", "identity", "chunked, gzip", "gzip"}) {
        INFO(coding);
        auto response = raw_exchange(server.port(), std::string("POST /health HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ") + coding +
                                                     "\r\n\r\nGET /brands/techpro HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(response.starts_with("HTTP/1.1 400"));
        CHECK(count(response, "HTTP/1.1 ") == 1); // the smuggled request was not served
        CHECK(response.find("TechPro") == std::string::npos);
    }
    auto both = raw_exchange(server.port(), "POST /health HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        "0\r\n\r\nGET /health HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(both.starts_with("HTTP/1.1 400"));
    CHECK(count(both, "HTTP/1.1 ") == 1);
    auto no_host = raw_exchange(server.port(), "GET /health HTTP/1.1\r\n\r\n");
    CHECK(no_host.starts_with("HTTP/1.1 400"));
    CHECK(no_host.find("Host") != std::string::npos);
    CHECK(raw_exchange(server.port(), "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").starts_with("HTTP/1.1 400"));
    CHECK(raw_exchange(server.port(), "GET /health HTTP/1.0\r\n\r\n").starts_with("HTTP/1.0 200")); // 1.0 may leave Host out
    // A well-formed chunked body is still fine, and the connection stays usable.
    auto chunked = raw_exchange(server.port(), "POST /health HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
                                           "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    CHECK(count(chunked, "HTTP/1.1 405") == 1);
    CHECK(count(chunked, "HTTP/1.1 200") == 1);
}

TEST_CASE("a WebSocket upgrade needs a proper key") {
    TestServer server(quiet_options());
    for (char const* key : {"short", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZSBub25jZQ==", "!!!!!!!!!!!!!!!!!!!!!!=="}) {
        RawClient c(server.port());
        INFO(key);
        CHECK(c.upgrade("/ws/chat/techpro", "", key).starts_with("HTTP/1.1 400"));
    }
    RawClient ok(server.port());
    CHECK(ok.upgrade("/ws/chat/techpro").starts_with("HTTP/1.1 101"));
}

TEST_CASE("close codes a client may not send, and a length with its top bit set, get 1002") {
    TestServer server(quiet_options());
    auto close_with = [&](int code) {
        RawClient c(server.port());
        REQUIRE(c.upgrade("/ws/chat/techpro").starts_with("HTTP/1.1 101"));
        c.send(RawClient::frame(0x8, {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)}));
        return c.read_close_code();
    };
    CHECK(close_with(1000) == 1000); // echoed, as it should be
    CHECK(close_with(4000) == 4000);
    CHECK(close_with(5000) == 1002);
    CHECK(close_with(65535) == 1002);
    CHECK(close_with(1005) == 1002); // Beast's own check, still in place
    CHECK(close_with(999) == 1002);

    RawClient huge(server.port());
    REQUIRE(huge.upgrade("/ws/chat/techpro").starts_with("HTTP/1.1 101"));
    huge.send(std::string{static_cast<char>(0x81), static_cast<char>(0xff), static_cast<char>(0x80), 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4} +
              "hello");
    CHECK(huge.read_close_code() == 1002);

    // The server is none the worse: a normal client chats.
    WsClient after(server.port(), "/ws/chat/techpro");
    after.read();
    after.chat("hi");
    CHECK(after.read_reply().complete.type == "complete");
}

TEST_CASE("a page from a foreign origin may not open the chat; the shop's and local ones may") {
    auto options = quiet_options();
    options.allowed_origins = "https://shop.example";
    TestServer server(options);
    auto upgrade = [&](std::string const& origin) {
        RawClient c(server.port());
        return c.upgrade("/ws/chat/techpro", origin.empty() ? "" : "Origin: " + origin + "\r\n");
    };
    auto refused = upgrade("https://evil.example");
    CHECK(refused.starts_with("HTTP/1.1 403"));
    CHECK(upgrade("null").starts_with("HTTP/1.1 403"));
    CHECK(upgrade("https://shop.example.evil.example").starts_with("HTTP/1.1 403"));
    CHECK(upgrade("https://shop.example").starts_with("HTTP/1.1 101"));
    CHECK(upgrade("http://localhost:5173").starts_with("HTTP/1.1 101"));
    CHECK(upgrade("http://127.0.0.1").starts_with("HTTP/1.1 101"));
    CHECK(upgrade("http://127.0.0.1:" + std::to_string(server.port())).starts_with("HTTP/1.1 101")); // its own page
    CHECK(upgrade("").starts_with("HTTP/1.1 101"));                                                 // not a browser
}

TEST_CASE("connections per address are limited; a freed one can be used again") {
    auto options = quiet_options();
    options.max_connections_per_address = 3;
    TestServer server(options);
    std::vector<std::unique_ptr<WsClient>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<WsClient>(server.port(), "/ws/chat/techpro"));
        held.back()->read();
    }
    auto over = raw_exchange(server.port(), "GET /health HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(over.starts_with("HTTP/1.1 429"));
    CHECK(over.find("Too many connections from your address") != std::string::npos);
    // Another address is not affected.
    WsClient other(server.port(), "/ws/chat/techpro", "127.0.0.2");
    CHECK(other.read().type == "welcome");
    held.front()->close();
    held.erase(held.begin());
    bool welcomed = false;
    for (int attempt = 0; attempt < 50 && !welcomed; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the server notices the close
        auto probe = raw_exchange(server.port(), "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        welcomed = probe.starts_with("HTTP/1.1 200");
    }
    std::map<std::string, std::uint32_t> open;
    server.run_on_server([&] { open = {server.context().connections_by_address.begin(), server.context().connections_by_address.end()}; });
    CHECK(open["127.0.0.1"] == 2);
    CHECK(welcomed);
    std::uint64_t refused = 0;
    server.run_on_server([&] { refused = server.context().stats.connections_refused; });
    CHECK(refused >= 1);
}

TEST_CASE("a message must be completed within --message-timeout-ms of its first frame") {
    auto options = quiet_options();
    options.message_timeout = std::chrono::milliseconds(300);
    TestServer server(options);
    RawClient stalled(server.port());
    REQUIRE(stalled.upgrade("/ws/chat/techpro").starts_with("HTTP/1.1 101"));
    auto started = std::chrono::steady_clock::now();
    stalled.send(RawClient::frame(0x1, R"({"type":"chat","data":{"message":")" + std::string(60000, 'a'), false));
    auto rest = stalled.read_until_close(3000);
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(rest.find("Message not completed within") != std::string::npos);
    CHECK(RawClient::close_code_of(rest) == 1008);
    CHECK(took < std::chrono::milliseconds(2500)); // closed, even though this client never answers the close
    // A message in several quick frames is fine; so is a slow conversation of whole messages.
    RawClient steady(server.port());
    REQUIRE(steady.upgrade("/ws/chat/techpro").starts_with("HTTP/1.1 101"));
    steady.send(RawClient::frame(0x1, R"({"type":"pi)", false));
    steady.send(RawClient::frame(0x0, R"(ng","data":{}})", true));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    steady.send(RawClient::frame(0x1, R"({"type":"ping","data":{}})"));
    steady.send(RawClient::frame(0x8, "\x03\xe8"));
    auto replies = steady.read_until_close(3000);
    CHECK(count(replies, "\"pong\"") == 2);
    CHECK(replies.find("not completed") == std::string::npos);
}

TEST_CASE("an error that echoes what the client sent is valid JSON, and short") {
    TestServer server(quiet_options());
    for (std::string target : {std::string("/bra") + std::string(60, '\xca') + "nds/techpro/products", std::string("/brands/\xff\xfe"),
                               "/brands/" + std::string(5000, 'x'), std::string("/nope\xc3")}) {
        auto response = get(server.port(), target);
        INFO(target.substr(0, 40));
        CHECK(response.starts_with("HTTP/1.1 404"));
        auto body = response.substr(response.find("\r\n\r\n") + 4);
        boost::system::error_code ec;
        auto parsed = boost::json::parse(body, ec); // Boost.JSON refuses invalid UTF-8
        REQUIRE_FALSE(ec);
        CHECK(parsed.at("detail").as_string().size() <= 300);
        CHECK(parsed.as_object().size() == 1); // FastAPI's shape: the detail alone
    }
}
