// A real brandchat server on an ephemeral port, run on its own io_context in a background
// thread, and a blocking WebSocket client with a receive deadline, so a hang fails the test
// instead of blocking CI.
#pragma once

#include "brandchat/net/server.hpp"
#include "brandchat/net/server_context.hpp"
#include "client_frame.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace brandchat::test {

class TestServer {
public:
    explicit TestServer(Options options);
    ~TestServer();
    std::uint16_t port() const { return port_; }
    ServerContext& context() { return context_; }
    // Runs fn on the server's thread, between its handlers, and returns when it has run.
    void run_on_server(std::function<void()> const& fn);

private:
    boost::asio::io_context io_; // first: destroyed after everything that holds I/O objects on it
    ServerContext context_;
    std::unique_ptr<Server> server_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

Options quiet_options(); // port 0, 127.0.0.1, no word delay, bundled resources, logs off

struct Frame {
    std::string type;
    boost::json::object data;
    std::string raw;
};

class WsClient {
public:
    WsClient(std::uint16_t port, std::string const& path, std::string const& source_address = "");
    ~WsClient();
    void send_text(std::string const& text);
    void send_binary(std::string const& bytes);
    void send_json(boost::json::value const& v) { send_text(boost::json::serialize(v)); }
    void chat(std::string const& message, std::optional<std::string> conversation_id = std::nullopt, bool voice = false);
    Frame read(); // throws on timeout or close
    // Reads chunks until `complete` (or an error); returns the concatenated text and the complete.
    struct Reply {
        std::string text;
        std::size_t chunks = 0;
        Frame complete;
        std::string conversation_id; // from the chunks
    };
    Reply read_reply();
    // Reads until the server closes; returns the close code (0 if the connection just dropped).
    int read_until_close();
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

std::string http_get(std::uint16_t port, std::string const& target, std::string const& method = "GET",
                     std::string const& origin = "", unsigned* status = nullptr, std::string const& body = "");

// One HTTP request with any method, headers and body; the answer whole.
struct HttpAnswer {
    unsigned status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string header(std::string const& name) const; // "" when absent (names case-insensitive)
    boost::json::value json() const;                    // the body parsed; throws when it is not JSON
};
HttpAnswer http_call(std::uint16_t port, std::string const& method, std::string const& target, std::string const& body = "",
                     std::vector<std::pair<std::string, std::string>> const& headers = {});
// "Authorization: Bearer KEY", for http_call.
std::vector<std::pair<std::string, std::string>> bearer(std::string const& key);

// A plain TCP client for bytes no well-behaved library sends: malformed HTTP, hand-made
// WebSocket frames. Every read has a deadline.
class RawClient {
public:
    explicit RawClient(std::uint16_t port);
    ~RawClient();
    void send(std::string const& bytes);
    // Everything until the server closes (or `ms` pass with nothing more).
    std::string read_until_close(int ms = 3000);
    // The HTTP response head of a WebSocket upgrade of `path` (with `extra` header lines, each
    // ending in \r\n); the connection is then a WebSocket if it says 101.
    std::string upgrade(std::string const& path, std::string const& extra = "", std::string const& key = "dGhlIHNhbXBsZSBub25jZQ==");
    // Reads server frames until a close frame, and returns its code (-1: no close frame came).
    int read_close_code(int ms = 3000);
    static int close_code_of(std::string const& server_bytes);
    static std::string frame(unsigned char opcode, std::string const& payload, bool fin = true) {
        return client_frame(opcode, payload, fin);
    }

private:
    int fd_ = -1;
    std::string pending_;
};

} // namespace brandchat::test
