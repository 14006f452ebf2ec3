// One cancellation per reply, in every phase of a model request: a `cancel` (or the client
// leaving) ends the reply within milliseconds whether the server is connecting, in the TLS
// handshake, waiting for the response, backing off before a retry or streaming. And the
// deadlines: a stall after the first pieces is reported after the idle limit, not the first-byte
// one; keep-alive comments are not content. And at most --max-connects-in-flight connects.
#include <doctest/doctest.h>

#include "mock_model.hpp"
#include "test_server.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace brandchat;
using namespace brandchat::test;
using Clock = std::chrono::steady_clock;

namespace {

// A TCP port whose kernel completes handshakes (up to `backlog` waiting) but where nothing ever
// answers: an https:// model behind it hangs in the TLS handshake.
class SilentListener {
public:
    explicit SilentListener(int backlog = 64) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_, backlog) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~SilentListener() {
        for (int c : accepted_) ::close(c);
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    int last() const { return accepted_.empty() ? -1 : accepted_.back(); }
    // Takes the connections waiting now; returns how many have been taken in all.
    std::size_t take_waiting() {
        for (;;) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0) break;
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) break;
            accepted_.push_back(c);
        }
        return accepted_.size();
    }
    // Whether every taken connection has been closed by the server (end of file) within `ms`.
    bool all_closed_within(int ms) {
        auto until = Clock::now() + std::chrono::milliseconds(ms);
        for (int c : accepted_) {
            for (;;) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
                pollfd p{c, POLLIN, 0};
                if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
                char buf[512];
                auto n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break; // closed (or reset)
            }
        }
        return true;
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::vector<int> accepted_;
};

// Sends a chat, waits `before_cancel`, sends `cancel`: how long until the reply's `complete`.
std::chrono::milliseconds cancel_after(WsClient& c, std::string const& message, std::chrono::milliseconds before_cancel,
                                       Frame* last = nullptr) {
    c.chat(message);
    std::this_thread::sleep_for(before_cancel);
    auto cancelled_at = Clock::now();
    c.send_text(R"({"type":"cancel","data":{}})");
    Frame f;
    do f = c.read();
    while (f.type == "chunk");
    if (last) *last = f;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - cancelled_at);
}

// A server's options for a model behind `listener`, which never answers: no spare connections
// (they would dial it in the background), a connect budget far longer than the tests wait.
Options unanswered(SilentListener const& listener, bool tls) {
    auto options = model_options(std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(listener.port()) + "/v1");
    options.connect_timeout = std::chrono::milliseconds(5000);
    options.spare_connections = 0;
    return options;
}

// A chat on a fresh connection to `server`: its reply, and how long it took.
std::pair<WsClient::Reply, Clock::duration> timed_reply(TestServer& server, std::string const& message) {
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    auto sent = Clock::now();
    c.chat(message);
    auto reply = c.read_reply();
    return {reply, Clock::now() - sent};
}

std::string mock_url(MockModel const& mock) { return "http://127.0.0.1:" + std::to_string(mock.port()) + "/v1"; }

} // namespace

TEST_CASE("cancel during the TLS handshake: the reply ends at once and the upstream socket is closed") {
    SilentListener silent;
    TestServer server(unanswered(silent, true));
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    Frame last;
    auto took = cancel_after(c, "hello", std::chrono::milliseconds(300), &last);
    CHECK(last.type == "complete");
    CHECK(took < std::chrono::milliseconds(200));
    CHECK(silent.take_waiting() == 1);
    CHECK(silent.all_closed_within(200));
    c.send_text(R"({"type":"ping","data":{}})"); // the connection goes on
    CHECK(c.read().type == "pong");
}

TEST_CASE("the client leaves during the TLS handshake: the upstream socket is closed within 100 ms") {
    SilentListener silent;
    TestServer server(unanswered(silent, true));
    {
        WsClient c(server.port(), "/ws/chat/techpro");
        c.read();
        c.chat("hello");
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        REQUIRE(silent.take_waiting() == 1);
    }
    CHECK(silent.all_closed_within(100));
}

TEST_CASE("cancel while connecting: a connect that gets no answer ends at once") {
    // A listen queue of one, taken by a first connection: the kernel drops further SYNs, so the
    // server's connect hangs.
    SilentListener full(0);
    RawClient filler(full.port());
    TestServer server(unanswered(full, false));
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    Frame last;
    auto took = cancel_after(c, "hello", std::chrono::milliseconds(300), &last);
    CHECK(last.type == "complete");
    CHECK(took < std::chrono::milliseconds(200));
}

TEST_CASE("cancel while waiting for the response, during a retry's backoff, and while streaming") {
    MockModel mock("--token-delay-ms 50 --tokens 100");
    auto options = model_options(mock_url(mock));
    options.retries = 2;
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    Frame last;
    // The header: the mock waits 5 s before answering.
    CHECK(cancel_after(c, "hello [[mock:first_byte_ms=5000]]", std::chrono::milliseconds(300), &last) < std::chrono::milliseconds(200));
    CHECK(last.type == "complete");
    // The backoff: a 503 asking for a retry in 5 s.
    CHECK(cancel_after(c, "hello [[mock:status=503,retry_after=5]]", std::chrono::milliseconds(300), &last) < std::chrono::milliseconds(200));
    CHECK(last.type == "complete");
    // Streaming: tokens every 50 ms.
    CHECK(cancel_after(c, "hello", std::chrono::milliseconds(300), &last) < std::chrono::milliseconds(200));
    CHECK(last.type == "complete");
    // Every cancelled request's stream was closed, and the 503 was not retried after the cancel.
    auto requests = mock.requests();
    CHECK(requests.size() == 3);
    for (auto const& r : requests) CHECK_FALSE(r.at("ended_ms").is_null());
}

TEST_CASE("a stall after the first pieces is reported after the idle limit, not the first-byte one") {
    MockModel mock("--token-delay-ms 2");
    auto options = model_options(mock_url(mock));
    options.first_byte_timeout = std::chrono::milliseconds(3000);
    options.idle_chunk_timeout = std::chrono::milliseconds(300);
    options.retries = 0;
    TestServer server(options);
    auto [reply, took] = timed_reply(server, "hello [[mock:stall_after=2]]");
    CHECK(reply.chunks == 2);
    REQUIRE(reply.complete.type == "error");
    CHECK(took >= std::chrono::milliseconds(290));
    CHECK(took < std::chrono::milliseconds(2000));
}

TEST_CASE("keep-alive comments are not content: a model that sends only them times out") {
    // A hand-made model: answers 200 with an event stream, then nothing but ": keep-alive" every 50 ms.
    SilentListener listener;
    std::atomic<bool> stop{false};
    std::thread model([&] {
        while (!stop && listener.take_waiting() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        int c = listener.last();
        if (c < 0) return;
        char request[8192];
        ::recv(c, request, sizeof request, 0);
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        ::send(c, head.data(), head.size(), MSG_NOSIGNAL);
        std::string comment = "e\r\n: keep-alive\n\n\r\n"; // 14 bytes, chunked
        while (!stop && ::send(c, comment.data(), comment.size(), MSG_NOSIGNAL) > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    });
    auto options = unanswered(listener, false);
    options.first_byte_timeout = std::chrono::milliseconds(400);
    options.reply_timeout = std::chrono::milliseconds(60000);
    options.retries = 0;
    {
        TestServer server(options);
        auto [reply, took] = timed_reply(server, "hello");
        CHECK(reply.chunks == 0);
        REQUIRE(reply.complete.type == "error");
        CHECK(std::string(reply.complete.data.at("message").as_string()).find("did not answer in time") != std::string::npos);
        CHECK(took >= std::chrono::milliseconds(390));
        CHECK(took < std::chrono::milliseconds(3000));
    }
    stop = true;
    model.join();
}

TEST_CASE("at most --max-connects-in-flight new model connections at once; the others wait their turn") {
    SilentListener silent;
    auto options = unanswered(silent, true);
    options.max_connects_in_flight = 2;
    TestServer server(options);
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<WsClient>(server.port(), "/ws/chat/techpro"));
        clients.back()->read();
        clients.back()->chat("hello");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(silent.take_waiting() == 2);
    // Waiting for a turn is cancelled like any other phase.
    for (auto& c : clients) {
        c->send_text(R"({"type":"cancel","data":{}})");
        Frame f;
        do f = c->read();
        while (f.type == "chunk");
        CHECK(f.type == "complete");
    }
    CHECK(silent.all_closed_within(200));
}
