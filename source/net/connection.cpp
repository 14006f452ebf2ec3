#include "brandchat/net/connection.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/http_front.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/session.hpp"
#include "brandchat/net/transport.hpp"

namespace brandchat {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

// One of an address's open connections (--max-connections-per-address), given back when the
// connection's coroutine ends, however it ends.
class AddressSlot {
public:
    AddressSlot(ServerContext& server, std::string address) : server_(server), address_(std::move(address)) {
        ++server_.connections_by_address[address_];
    }
    ~AddressSlot() {
        auto it = server_.connections_by_address.find(address_);
        if (it != server_.connections_by_address.end() && --it->second == 0) server_.connections_by_address.erase(it);
    }
    AddressSlot(AddressSlot const&) = delete;
    AddressSlot& operator=(AddressSlot const&) = delete;

private:
    ServerContext& server_;
    std::string address_; // a copy: the connection's own is moved into its session
};

bool address_full(ServerContext const& server, std::string const& address) {
    auto limit = server.options.max_connections_per_address;
    if (limit == 0) return false;
    auto it = server.connections_by_address.find(address);
    return it != server.connections_by_address.end() && it->second >= limit;
}

} // namespace

asio::awaitable<void> serve_connection(tcp::socket socket, ServerContext& server, HttpStreams& http_streams) {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? "unknown" : endpoint.address().to_string();
    // The stream is created inside the session's transport from the start: moving a tcp_stream
    // leaves the moved-from one holding a second implementation (timers and all) per connection.
    auto transport = std::make_unique<Session::Transport>(beast::tcp_stream(std::move(socket)));
    auto& stream = beast::get_lowest_layer(transport->ws);
    if (address_full(server, remote)) {
        ++server.stats.connections_refused;
        log::debug("connection from ", remote, " refused: ", server.options.max_connections_per_address, " already open");
        co_await refuse(stream, 429,
                        "Too many connections from your address: " + std::to_string(server.options.max_connections_per_address) +
                            " are open; close some and try again",
                        11);
        co_return;
    }
    AddressSlot slot(server, remote);
    http_streams.insert(&stream);
    std::optional<Upgrade> upgrade;
    try {
        upgrade = co_await serve_http(stream, server, remote);
    } catch (...) {
        http_streams.erase(&stream);
        throw;
    }
    http_streams.erase(&stream);
    if (!upgrade || server.stopping) co_return;
    transport->upgrade = std::move(upgrade->request);
    auto session = std::make_shared<Session>(server, std::move(transport), std::move(upgrade->brand), std::move(upgrade->brand_id),
                                             upgrade->voice, std::move(remote));
    co_await session->run();
}

} // namespace brandchat
