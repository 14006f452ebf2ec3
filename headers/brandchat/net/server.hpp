// The listening socket: each accepted socket becomes a co_spawned coroutine (connection.hpp)
// that answers HTTP until it asks to upgrade to /ws/chat/{brand_id} or /ws/voice/{brand_id};
// then it is a Session. Also the shutdown: stop accepting, close every connection.
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

} // namespace brandchat
