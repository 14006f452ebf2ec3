// The listening socket and the HTTP front of every connection: each accepted socket is a
// co_spawned coroutine that answers HTTP requests (keep-alive) until one asks to upgrade to
// /ws/chat/{brand_id} or /ws/voice/{brand_id}; then it becomes a Session.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace brandchat {

struct ServerContext;

class Server {
public:
    Server(boost::asio::io_context& io, ServerContext& context);
    ~Server();

    // Binds and listens; returns the port (useful when 0 was asked for). Throws on failure.
    std::uint16_t listen(std::string const& host, std::uint16_t port);
    void start();
    // Stops accepting; every session gets a close frame (1001). The io_context then runs out of
    // work once the last connection is gone.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Loads brands, picks the responder and registers the built-in handlers: everything a server
// needs before it listens. Throws std::runtime_error with a clear message on bad resources.
void prepare_context(ServerContext& context);

// Where the bundled resources are: the --resources flag, else next to the binary
// (../resources, ../share/brandchat/resources), else the source tree it was built from.
std::string find_resources(std::string const& configured, std::string const& executable_path);

} // namespace brandchat
