// Releasing the states Asio's reactor keeps for closed sockets.
#include <doctest/doctest.h>

#include "brandchat/net/descriptor_pool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/version.hpp>

#include <vector>

using namespace brandchat;
namespace asio = boost::asio;
using asio::ip::tcp;

TEST_CASE("closed sockets' reactor states are released beyond a reserve, and sockets opened later still work") {
#if BOOST_VERSION != 108100
    MESSAGE("not supported on this Boost version: release is a no-op");
    return;
#endif
    asio::io_context io(1);
    {
        std::vector<tcp::socket> sockets;
        for (int i = 0; i < 300; ++i) sockets.emplace_back(io).open(tcp::v4()); // each registers with the reactor
    } // all closed: their states wait in the pool
    CHECK(idle_descriptor_states(io) >= 300);

    auto released = release_idle_descriptor_states(io, 20);
    CHECK(released >= 280);
    CHECK(idle_descriptor_states(io) == 20);
    CHECK(release_idle_descriptor_states(io, 20) == 0); // nothing beyond the reserve is left
    io.run();                                            // the deferred delete runs here

    // The pool hands out the 20 it kept, then allocates; a real connection still works.
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client(io), server(io);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    std::string got(5, '\0');
    bool read = false;
    server.async_read_some(asio::buffer(got), [&](boost::system::error_code ec, std::size_t n) { read = !ec && n == 5; });
    asio::write(client, asio::buffer(std::string("hello")));
    io.restart();
    io.run();
    CHECK(read);
    CHECK(got == "hello");
}

TEST_CASE("states detached while the io_context is torn down are still freed") {
    asio::io_context io(1);
    {
        std::vector<tcp::socket> sockets;
        for (int i = 0; i < 50; ++i) sockets.emplace_back(io).open(tcp::v4());
    }
    release_idle_descriptor_states(io, 0);
    // The io_context is destroyed without running: the pending handler owns the states and frees
    // them (a leak here fails the sanitizer build).
}
