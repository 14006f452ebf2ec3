// A model's reply generator without processes: the OpenAI-compatible responder resumed directly,
// against a model written here as a coroutine on the test's own io_context.
#include "brandchat/log.hpp"
#include "brandchat/reply/openai_responder.hpp"
#include "test_brands.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

using namespace brandchat;
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

std::string content_event(std::string const& text) {
    return R"(data: {"choices":[{"index":0,"delta":{"content":")" + text + R"("}}]})" "\n\n";
}

// One HTTP/1.1 chunk of the response body.
std::string chunk(std::string const& bytes) {
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    return size + bytes + "\r\n";
}

// Answers every request on every connection with an event stream: each string of `writes` is
// one write (so several events in one string arrive together), `gap` apart. Counts connections.
struct FakeModel {
    std::vector<std::string> writes;
    std::chrono::milliseconds gap{0};
    int connections = 0;

    asio::awaitable<void> serve(tcp::acceptor& acceptor) {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(as_tuple(use_awaitable));
            if (ec) co_return;
            ++connections;
            asio::co_spawn(acceptor.get_executor(), answer(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> answer(tcp::socket socket) {
        asio::streambuf in;
        asio::steady_timer pause(socket.get_executor());
        for (;;) {
            auto [ec, n] = co_await asio::async_read_until(socket, in, "\r\n\r\n", as_tuple(use_awaitable));
            if (ec) co_return;
            std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
            in.consume(n);
            auto at = head.find("Content-Length: ");
            std::size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
            while (in.size() < length) {
                auto [rec, got] = co_await socket.async_read_some(in.prepare(4096), as_tuple(use_awaitable));
                if (rec) co_return;
                in.commit(got);
            }
            in.consume(length);
            std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
            for (auto const& w : writes) {
                out += chunk(w);
                auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(out), as_tuple(use_awaitable));
                if (wec) co_return;
                out.clear();
                if (gap.count()) {
                    pause.expires_after(gap);
                    co_await pause.async_wait(as_tuple(use_awaitable));
                }
            }
            out = chunk("data: [DONE]\n\n") + "0\r\n\r\n";
            co_await asio::async_write(socket, asio::buffer(out), as_tuple(use_awaitable));
        }
    }
};

struct Setup {
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    FakeModel model;
    std::unique_ptr<OpenAiResponder> responder;

    Setup() {
        log::set_level(log::Level::off);
        Options o;
        o.openai_base_url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/v1";
        o.spare_connections = 0;
        o.retries = 0;
        responder = std::make_unique<OpenAiResponder>(o);
        asio::co_spawn(io, model.serve(acceptor), asio::detached);
    }

    ReplyRequest request() {
        ReplyRequest r;
        r.brand = test::bundled_brands().find("techpro");
        r.message = "hello";
        return r;
    }
};

struct Resumed {
    std::vector<ReplyPieces> batches;
    std::optional<TokenUsage> usage;
    std::string error;
    bool finished = false;
};

// Resumes the reply to its end, as the pipeline does; `cancel_after` > 0 emits the reply's
// cancellation after that long.
Resumed run(Setup& s, std::chrono::milliseconds cancel_after = 0ms) {
    Resumed out;
    asio::cancellation_signal signal;
    ReplyTimes times;
    asio::co_spawn(s.io, [&]() -> asio::awaitable<void> {
        auto reply = s.responder->reply(s.io.get_executor(), s.request(), signal.slot(), times);
        try {
            for (;;) {
                auto next = co_await reply.async_resume(asio::bind_cancellation_slot(asio::cancellation_slot(), use_awaitable));
                signal.slot().clear();
                if (next.index() == 1) {
                    out.usage = std::get<1>(next);
                    break;
                }
                out.batches.push_back(std::get<0>(next));
            }
        } catch (ReplyError const& e) {
            signal.slot().clear();
            out.error = e.what();
        }
        out.finished = true;
    }, asio::detached);
    asio::steady_timer cancel(s.io);
    if (cancel_after.count()) {
        cancel.expires_after(cancel_after);
        asio::co_spawn(s.io, [&]() -> asio::awaitable<void> {
            co_await cancel.async_wait(as_tuple(use_awaitable));
            signal.emit(asio::cancellation_type::terminal);
        }, asio::detached);
    }
    for (int i = 0; i < 500 && !out.finished; ++i) s.io.run_for(10ms);
    return out;
}

} // namespace

TEST_CASE("model reply: the events of one read are one batch; the usage is returned") {
    Setup s;
    s.model.writes = {content_event("Hel") + content_event("lo"), content_event(" there"),
                      R"(data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}})" "\n\n"};
    s.model.gap = 5ms;
    auto r = run(s);
    REQUIRE(r.finished);
    CHECK(r.error.empty());
    REQUIRE(r.batches.size() == 2);
    CHECK(r.batches[0] == ReplyPieces{"Hel", "lo"});
    CHECK(r.batches[1] == ReplyPieces{" there"});
    REQUIRE(r.usage);
    CHECK(r.usage->total == 10);
    // The connection was kept: a second reply reuses it.
    auto again = run(s);
    CHECK(again.error.empty());
    CHECK(s.model.connections == 1);
}

TEST_CASE("model reply: a cancel while it waits for the next piece ends it at once") {
    Setup s;
    s.model.writes = {content_event("one"), content_event("two"), content_event("three")};
    s.model.gap = 2000ms;
    auto started = std::chrono::steady_clock::now();
    auto r = run(s, 100ms);
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(r.finished);
    CHECK(took < 1000ms);
    CHECK(r.batches.size() == 1);
}

TEST_CASE("model reply: an error event ends it with a ReplyError that names no upstream detail") {
    Setup s;
    s.model.writes = {content_event("Hi"), "event: error\ndata: {\"error\":{\"message\":\"secret upstream detail\"}}\n\n"};
    auto r = run(s);
    REQUIRE(r.finished);
    CHECK(r.batches.size() == 1);
    CHECK(r.error.find("broke off") != std::string::npos);
    CHECK(r.error.find("secret") == std::string::npos);
}
