// CoalescingStream over a real loopback connection: what reaches the peer, in how many writes.
#include <doctest/doctest.h>

#include "brandchat/net/coalescing_stream.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include <optional>

using namespace brandchat;
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

struct SocketPair {
    asio::io_context io;
    asio::ip::tcp::socket peer{io};
    std::optional<CoalescingStream> stream;
    std::shared_ptr<int> owner = std::make_shared<int>(0);

    SocketPair() {
        asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
        peer.connect(acceptor.local_endpoint());
        stream.emplace(boost::beast::tcp_stream(acceptor.accept()));
        stream->set_owner(owner);
    }

    void run() {
        io.restart();
        io.run();
    }

    std::string receive(std::size_t n) {
        std::string bytes(n, '\0');
        asio::read(peer, asio::buffer(bytes));
        return bytes;
    }
};

std::string frame_header(std::initializer_list<unsigned> bytes) {
    std::string out;
    for (auto b : bytes) out += static_cast<char>(b);
    return out;
}

} // namespace

TEST_CASE("frames accepted in one turn leave in one write, in order, with Beast's bytes among them") {
    SocketPair c;
    auto& s = *c.stream;
    auto writes_before = socket_writes_total();

    std::string const medium(300, 'm'), large(70000, 'L');
    s.write_frame("hello");
    s.write_frame(medium);
    bool pong_done = false;
    std::size_t pong_bytes = 0;
    std::string const pong = frame_header({0x8A, 0x00});
    s.async_write_some(asio::buffer(pong), [&](error_code ec, std::size_t n) {
        pong_done = !ec;
        pong_bytes = n;
    });
    s.write_frame(large);
    CHECK_FALSE(pong_done); // completes by post, never inside the call
    CHECK(s.buffered() == 7 + 304 + 2 + 70010);

    c.run();
    CHECK(pong_done);
    CHECK(pong_bytes == 2);
    CHECK(s.buffered() == 0);
    CHECK(socket_writes_total() - writes_before == 1);

    std::string expected = frame_header({0x81, 5}) + "hello" + frame_header({0x81, 126, 0x01, 0x2C}) + medium + pong +
                           frame_header({0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70}) + large;
    CHECK(c.receive(expected.size()) == expected);
}

TEST_CASE("bytes accepted while a write is on the wire leave in the next one; drained waits for both") {
    SocketPair c;
    auto& s = *c.stream;
    auto writes_before = socket_writes_total();

    s.write_frame("first");
    c.io.restart();
    c.io.poll_one(); // the posted write starts
    s.write_frame("second");
    bool drained = false;
    s.async_drained([&](error_code ec) {
        CHECK_FALSE(ec);
        CHECK(s.buffered() == 0);
        drained = true;
    });
    c.run();
    CHECK(drained);
    CHECK(socket_writes_total() - writes_before == 2);
    CHECK(c.receive(15) == frame_header({0x81, 5}) + "first" + frame_header({0x81, 6}) + "second");
}

TEST_CASE("a failed write closes the socket, and every later write and wait fails at once") {
    SocketPair c;
    auto& s = *c.stream;
    c.peer.set_option(asio::socket_base::linger(true, 0));
    c.peer.close(); // a reset: the next writes fail
    for (int i = 0; i < 100 && !s.failed(); ++i) {
        s.write_frame(std::string(1000, 'x'));
        c.run();
    }
    REQUIRE(s.failed());
    CHECK_FALSE(s.next_layer().socket().is_open());
    CHECK(s.buffered() == 0);

    error_code write_ec, drained_ec;
    std::string const bytes = "abc";
    s.async_write_some(asio::buffer(bytes), [&](error_code ec, std::size_t) { write_ec = ec; });
    s.async_drained([&](error_code ec) { drained_ec = ec; });
    c.run();
    CHECK(write_ec);
    CHECK(drained_ec);
}

TEST_CASE("flush() starts the write at once; the posted one then finds nothing left to write") {
    SocketPair c;
    auto& s = *c.stream;
    auto writes_before = socket_writes_total();
    s.write_frame("now");
    s.flush();
    CHECK(socket_writes_total() - writes_before == 1); // started inside flush(), not by the post
    s.flush();                                          // a write is on the wire: nothing more to do
    CHECK(socket_writes_total() - writes_before == 1);
    c.run();
    CHECK(socket_writes_total() - writes_before == 1);
    CHECK(s.buffered() == 0);
    CHECK(c.receive(5) == frame_header({0x81, 3}) + "now");
}
