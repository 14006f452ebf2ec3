// Shrinking the timer heap and WebSocket registry that Asio and Beast size for the peak.
#include <doctest/doctest.h>

#include "brandchat/net/connection_tables.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/version.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <vector>

using namespace brandchat;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST_CASE("the timer heap shrinks after a peak and the timers still pending fire in order") {
#if BOOST_VERSION != 108100
    MESSAGE("not supported on this Boost version: shrinking is a no-op");
    return;
#endif
    asio::io_context io(1);
    std::vector<int> fired;
    std::list<asio::steady_timer> kept;
    {
        std::list<asio::steady_timer> peak;
        for (int i = 0; i < 4000; ++i) peak.emplace_back(io, 1h).async_wait([](auto) {});
        // Ten stay, due in the reverse of the order they were scheduled in.
        for (int i = 0; i < 10; ++i) {
            kept.emplace_back(io, std::chrono::milliseconds(20 - 2 * i)).async_wait([&fired, i](boost::system::error_code ec) {
                if (!ec) fired.push_back(i);
            });
        }
    } // 4,000 cancelled: their heap slots are free, the capacity is not
    io.poll(); // deliver the cancellations

    auto released = shrink_connection_tables(io);
    CHECK(released >= 3990 * 16);
    CHECK(shrink_connection_tables(io) == 0); // already fits

    io.run();
    CHECK(fired == std::vector<int>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
}

TEST_CASE("the WebSocket registry shrinks after a peak and the streams left unregister cleanly") {
#if BOOST_VERSION != 108100
    MESSAGE("not supported on this Boost version: shrinking is a no-op");
    return;
#endif
    using Stream = boost::beast::websocket::stream<asio::ip::tcp::socket>;
    asio::io_context io(1);
    std::vector<std::unique_ptr<Stream>> streams;
    for (int i = 0; i < 1000; ++i) streams.push_back(std::make_unique<Stream>(io));
    // Leave every hundredth: the survivors end up at new indices, as in a real server.
    for (int i = 999; i >= 0; --i)
        if (i % 100 != 0) streams.erase(streams.begin() + i);
    REQUIRE(streams.size() == 10);

    CHECK(shrink_connection_tables(io) >= 990 * sizeof(void*));
    // Each stream finds its slot by index when it goes; a stale index would corrupt the registry
    // (the sanitizer build checks), and a new stream must register after the shrink.
    streams.push_back(std::make_unique<Stream>(io));
    while (!streams.empty()) streams.pop_back();
    CHECK(shrink_connection_tables(io) > 0); // from 11 slots to none
}
