#include "brandchat/config/options.hpp"
#include "brandchat/reply/openai_responder.hpp"
#include "brandchat/reply/upstream_connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>

using namespace brandchat;

TEST_CASE("request header lines: one 'Name: value' line each, and no way to smuggle in another") {
    CHECK(request_header_lines({}) == "");
    CHECK(request_header_lines({{"Authorization", "Bearer sk-1"}, {"OpenAI-Project", "proj_2\tx"}}) ==
          "Authorization: Bearer sk-1\r\nOpenAI-Project: proj_2\tx\r\n");
    CHECK_THROWS_AS(request_header_lines({{"Authorization", "Bearer sk-1\r\nX-Evil: 1"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"Authorization", "Bearer sk-1\n"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"Bad:Name", "v"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"", "v"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"X", std::string("a\0b", 3)}}), std::invalid_argument);
}

TEST_CASE("a key with a line break in it is refused when the responder is made, not sent") {
    Options options;
    options.openai_base_url = "http://127.0.0.1:9/v1";
    options.openai_api_key = "sk-test\r\nX-Injected: yes";
    CHECK_THROWS_AS(OpenAiResponder{options}, std::invalid_argument);
    options.openai_api_key = "sk-test";
    CHECK_NOTHROW(OpenAiResponder{options});
}

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A model's server that waits 200 ms before it reads each request, then reads it whole and
// answers with an empty event stream: what it read, and when it began reading.
struct SlowReader {
    asio::ip::tcp::acceptor acceptor;
    std::vector<std::string> bodies;
    std::vector<Clock::time_point> began;

    explicit SlowReader(asio::io_context& io) : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}) {}

    asio::awaitable<void> serve(int requests) {
        auto socket = co_await acceptor.async_accept(asio::use_awaitable);
        std::string in;
        for (int i = 0; i < requests; ++i) {
            asio::steady_timer pause(socket.get_executor(), std::chrono::milliseconds(200));
            co_await pause.async_wait(asio::use_awaitable);
            began.push_back(Clock::now());
            auto head_end = co_await asio::async_read_until(socket, asio::dynamic_buffer(in), "\r\n\r\n", asio::use_awaitable);
            auto at = in.find("Content-Length: ");
            REQUIRE(at < head_end);
            auto length = std::stoul(in.substr(at + 16));
            in.erase(0, head_end);
            if (in.size() < length)
                co_await asio::async_read(socket, asio::dynamic_buffer(in), asio::transfer_exactly(length - in.size()), asio::use_awaitable);
            bodies.push_back(in.substr(0, length));
            in.erase(0, length);
            std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 14\r\n\r\ndata: [DONE]\n\n";
            co_await asio::async_write(socket, asio::buffer(answer), asio::use_awaitable);
        }
    }
};

} // namespace

TEST_CASE("a request goes straight into the socket, and what the socket cannot take yet follows when the model reads") {
    asio::io_context io;
    SlowReader model(io);
    auto served = asio::co_spawn(io, model.serve(2), asio::use_future);
    UpstreamEndpoint endpoint{false, "127.0.0.1", std::to_string(model.acceptor.local_endpoint().port()), "/v1"};
    std::string small(2000, 's');
    std::string large(16 << 20, 'x'); // far more than a loopback socket takes before its peer reads
    for (std::size_t i = 0; i < large.size(); i += 4093) large[i] = static_cast<char>('a' + i % 26);
    std::vector<Clock::time_point> written;
    auto client = [&]() -> asio::awaitable<void> {
        auto connection = co_await UpstreamConnection::open(io.get_executor(), endpoint, nullptr, std::chrono::seconds(5));
        for (auto const* body : {&small, &large}) {
            auto header = co_await connection->request("/v1/chat/completions", "", *body, std::chrono::seconds(10));
            CHECK(header.status == 200);
            written.push_back(connection->request_written_at());
            auto piece = co_await connection->read_body();
            CHECK(piece == std::optional<std::string>("data: [DONE]\n\n"));
            CHECK_FALSE((co_await connection->read_body()).has_value());
        }
    };
    auto done = asio::co_spawn(io, client(), asio::use_future);
    io.run();
    done.get();
    served.get();
    REQUIRE(model.bodies.size() == 2);
    CHECK(model.bodies[0] == small);
    CHECK(model.bodies[1].size() == large.size());
    CHECK(model.bodies[1] == large);
    REQUIRE(written.size() == 2);
    // The small request was in the socket before the model began to read it: written at once.
    CHECK(written[0] < model.began[0]);
    // The large one could only finish once the model read: the rest went the asynchronous way.
    CHECK(written[1] > model.began[1]);
}
