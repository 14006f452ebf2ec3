// The OpenAI-compatible responder against the bundled mock model (tools/mock_llm), over plain
// HTTP and over HTTPS with a certificate made at test time.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "brandchat/language/sentence_limiter.hpp"
#include "brandchat/net/server_context.hpp"
#include "mock_model.hpp"
#include "test_server.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <vector>
#include <thread>
#include <unistd.h>

using namespace brandchat;
using namespace brandchat::test;
namespace json = boost::json;

namespace {

std::string str(json::value const& v) { return std::string(v.as_string()); }

// The reply to "hello" from a fresh server whose model is at `base_url`.
WsClient::Reply hello_via(std::string const& base_url) {
    TestServer server(model_options(base_url));
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("hello");
    return c.read_reply();
}

} // namespace

TEST_CASE("grounding, history, usage and the key stays secret") {
    MockModel mock("--token-delay-ms 2");
    TestServer server(model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1"));
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("I need a laptop for business work");
    auto first = c.read_reply();
    REQUIRE(first.complete.type == "complete");
    CHECK(first.chunks > 5);
    auto products = first.complete.data.at("suggested_products").as_array();
    REQUIRE_FALSE(products.empty());

    auto reqs = mock.requests();
    REQUIRE(reqs.size() == 1);
    auto const& body = reqs[0].at("body").as_object();
    CHECK(body.at("stream") == true);
    auto const& messages = body.at("messages").as_array();
    std::string grounding = str(messages[1].at("content"));
    CHECK(grounding.find(str(products[0].at("name"))) != std::string::npos);
    CHECK(grounding.find("Rp ") != std::string::npos);
    CHECK(str(reqs[0].at("headers").at("authorization")) == "Bearer sk-test-secret");

    c.chat("What's the price?", first.conversation_id);
    auto second = c.read_reply();
    CHECK(second.conversation_id == first.conversation_id);
    auto history = mock.requests()[1].at("body").at("messages").as_array();
    bool saw_first_turn = false;
    for (auto const& m : history)
        if (str(m.at("content")) == "I need a laptop for business work") saw_first_turn = true;
    CHECK(saw_first_turn);
    std::uint64_t completion_tokens = 0;
    server.run_on_server([&] { completion_tokens = server.context().stats.completion_tokens; });
    CHECK(completion_tokens > 0);
}

TEST_CASE("voice: one sentence, and the upstream stream is closed after it") {
    MockModel mock("--token-delay-ms 2");
    TestServer server(model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1"));
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("a laptop please", std::nullopt, true);
    auto r = c.read_reply();
    CHECK(r.complete.type == "complete");
    CHECK(first_sentence(r.text) == r.text);
    CHECK(r.text.find("Rp 19.999.000") != std::string::npos); // the price's dots did not end the sentence
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(str(mock.requests()[0].at("outcome")) == "client_closed");
}

TEST_CASE("faults: retried 429, unretried 401, a broken stream, an error event; the connection stays usable") {
    MockModel mock("--token-delay-ms 2"); // paced: each token is its own chunk, so counts are exact
    auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();

    c.chat("hello [[mock:status=429,retry_after_ms=20]]");
    auto busy = c.read_reply();
    REQUIRE(busy.complete.type == "error");
    CHECK(str(busy.complete.data.at("message")).find("busy") != std::string::npos);
    CHECK(mock.requests().size() == 3); // first try + 2 retries

    c.chat("hello [[mock:status=401]]");
    auto refused = c.read_reply();
    REQUIRE(refused.complete.type == "error");
    auto message = str(refused.complete.data.at("message"));
    CHECK(message.find("credentials") != std::string::npos);
    CHECK(message.find("sk-test-secret") == std::string::npos);
    CHECK(mock.requests().size() == 4); // not retried

    c.chat("hello [[mock:drop_after=3]]");
    auto dropped = c.read_reply();
    CHECK(dropped.chunks == 3);
    REQUIRE(dropped.complete.type == "error");
    CHECK(mock.requests().size() == 5); // nothing retried after the first chunk

    c.chat("hello [[mock:error_event_after=2]]");
    auto event = c.read_reply();
    REQUIRE(event.complete.type == "error");

    c.chat("hello [[mock:crlf=1,comments=1,multiline=1]]");
    auto odd = c.read_reply();
    CHECK(odd.complete.type == "complete");
    CHECK(odd.chunks > 5);
}

TEST_CASE("timeouts: a stalled stream and a slow first byte end in a clear error") {
    MockModel mock("--token-delay-ms 2");
    auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
    options.idle_chunk_timeout = std::chrono::milliseconds(200);
    options.first_byte_timeout = std::chrono::milliseconds(300);
    options.retries = 0;
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("hello [[mock:stall_after=2]]");
    auto stalled = c.read_reply();
    CHECK(stalled.chunks == 2);
    REQUIRE(stalled.complete.type == "error");
    CHECK(str(stalled.complete.data.at("message")).find("timed out") != std::string::npos);
    c.chat("hello [[mock:first_byte_ms=1000]]");
    auto slow = c.read_reply();
    REQUIRE(slow.complete.type == "error");
    CHECK(str(slow.complete.data.at("message")).find("did not answer in time") != std::string::npos);
    auto health = http_get(server.port(), "/health");
    CHECK(health.find("tokens_by_brand") != std::string::npos);
}

TEST_CASE("a 503 then success: retried once, the client sees one clean reply") {
    MockModel mock("--token-delay-ms 0");
    auto queued = http_get(mock.port(), "/mock/faults", "POST", "", nullptr, R"({"spec":"status=503","count":1})");
    auto r = hello_via("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
    CHECK(r.complete.type == "complete");
    auto reqs = mock.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(str(reqs[0].at("outcome")) == "status_503");
    CHECK(str(reqs[1].at("outcome")) == "completed");
}

TEST_CASE("a model that outruns the network: every token is its own chunk, and they leave in batches") {
    MockModel mock("--token-delay-ms 0 --tokens 300");
    TestServer server(model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1"));
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    auto writes_before = socket_writes_total();
    c.chat("I need a laptop for business work");
    auto r = c.read_reply();
    auto writes = socket_writes_total() - writes_before;
    REQUIRE(r.complete.type == "complete");
    CHECK(r.chunks == 300);
    std::uint64_t completion_tokens = 0;
    server.run_on_server([&] { completion_tokens = server.context().stats.completion_tokens; });
    CHECK(completion_tokens == 300);
    // Each read from the model is parsed whole and its chunks written together.
    CHECK(writes * 4 <= r.chunks);
}

TEST_CASE("spare connections: opened after a reply, then used by the next conversations without connecting") {
    MockModel mock("--token-delay-ms 0 --tokens 5");
    // Connections the server holds open to the mock (the mock counts the one asking, too).
    auto connections_once_settled = [&](std::int64_t expected) {
        for (int i = 0; i < 200 && mock.stat("connections_active") - 1 != expected; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // and no more than that
        return mock.stat("connections_active") - 1;
    };
    SUBCASE("two spares (the default)") {
        auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
        REQUIRE(options.spare_connections == 2);
        TestServer server(options);
        for (int conversation = 0; conversation < 3; ++conversation) {
            WsClient c(server.port(), "/ws/chat/techpro");
            c.read();
            c.chat("hello");
            REQUIRE(c.read_reply().complete.type == "complete");
            // The first reply's connection plus two spares; later conversations take a ready one.
            CHECK(connections_once_settled(3) == 3);
        }
        CHECK(mock.stat("requests") == 3);
    }
    SUBCASE("kept, then idle too long: closed, not used") {
        auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
        options.spare_connections = 0;
        options.idle_connection = std::chrono::milliseconds(300);
        TestServer server(options);
        auto reply_after = [&](std::chrono::milliseconds pause) {
            std::this_thread::sleep_for(pause);
            WsClient c(server.port(), "/ws/chat/techpro");
            c.read();
            c.chat("hello");
            REQUIRE(c.read_reply().complete.type == "complete");
        };
        reply_after(std::chrono::milliseconds(0));
        reply_after(std::chrono::milliseconds(0));   // fresh: reused
        reply_after(std::chrono::milliseconds(500)); // stale: closed, a new one opened
        auto reqs = mock.requests();
        REQUIRE(reqs.size() == 3);
        auto on = [&](std::size_t i) { return reqs[i].at("connection").to_number<std::int64_t>(); };
        CHECK(on(1) == on(0));
        CHECK(on(2) > on(1));
        CHECK(connections_once_settled(1) == 1); // the stale one was closed, not left open
    }
    SUBCASE("stopped: the kept ones closed, no spares opened, replies still answered") {
        TestServer server(model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1"));
        WsClient first(server.port(), "/ws/chat/techpro");
        first.read();
        first.chat("hello");
        REQUIRE(first.read_reply().complete.type == "complete");
        REQUIRE(connections_once_settled(3) == 3);
        server.run_on_server([&] { server.context().responder->stop(); });
        CHECK(connections_once_settled(0) == 0);
        // A conversation still open when the server stops is answered on a connection of its
        // own, which is then closed, not kept, and not followed by spares.
        first.chat("and now?");
        REQUIRE(first.read_reply().complete.type == "complete");
        CHECK(connections_once_settled(0) == 0);
        CHECK(mock.stat("requests") == 2);
    }
    SUBCASE("none") {
        auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
        options.spare_connections = 0;
        TestServer server(options);
        WsClient c(server.port(), "/ws/chat/techpro");
        c.read();
        c.chat("hello");
        REQUIRE(c.read_reply().complete.type == "complete");
        CHECK(connections_once_settled(1) == 1);
    }
}

TEST_CASE("the client leaves: the upstream stream is closed within 100 ms") {
    MockModel mock("--token-delay-ms 50 --tokens 200");
    TestServer server(model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1"));
    {
        WsClient c(server.port(), "/ws/chat/techpro");
        c.read();
        c.chat("tell me everything");
        CHECK(c.read().type == "chunk");
        auto left_at = mock.now_ms();
        c.close();
        std::int64_t ended = -1;
        for (int i = 0; i < 100 && ended < 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            auto r = mock.requests()[0];
            if (!r.at("ended_ms").is_null()) ended = r.at("ended_ms").to_number<std::int64_t>();
        }
        REQUIRE(ended >= 0);
        CHECK(ended - left_at < 100);
        CHECK(str(mock.requests()[0].at("outcome")) == "client_closed");
    }
}

TEST_CASE("HTTPS: a trusted certificate works; a wrong host name or an untrusted one is refused") {
    std::string dir = "/tmp/brandchat-tls-" + std::to_string(::getpid());
    std::string make = "mkdir -p " + dir + " && cd " + dir +
                       " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -keyout key.pem -out cert.pem -subj /CN=localhost"
                       " -addext subjectAltName=DNS:localhost >/dev/null 2>&1";
    REQUIRE(std::system(make.c_str()) == 0);
    MockModel mock("--token-delay-ms 0 --tls-cert " + dir + "/cert.pem --tls-key " + dir + "/key.pem");
    auto port = std::to_string(mock.port());

    ::setenv("SSL_CERT_FILE", (dir + "/cert.pem").c_str(), 1);
    CHECK(hello_via("https://localhost:" + port + "/v1").complete.type == "complete");
    auto wrong_name = hello_via("https://127.0.0.1:" + port + "/v1"); // the name is not in the certificate
    REQUIRE(wrong_name.complete.type == "error");
    CHECK(str(wrong_name.complete.data.at("message")).find("TLS") != std::string::npos);
    ::unsetenv("SSL_CERT_FILE");
    auto untrusted = hello_via("https://localhost:" + port + "/v1");
    REQUIRE(untrusted.complete.type == "error");
    CHECK(str(untrusted.complete.data.at("message")).find("TLS") != std::string::npos);
    (void)std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("one huge token: split into frames the client could send back; past the SSE limits, a clear error") {
    // A 100,000-character word (an argument may not be much longer) is one token: one SSE line
    // and one event of over 100 KB.
    std::string word(100000, 'x');
    for (std::size_t i = 0; i < word.size(); i += 7) word[i] = '"'; // escaped: the frame grows
    MockModel mock("--token-delay-ms 0 --tokens 1 --reply-text " + word);
    auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
    {
        TestServer server(options);
        WsClient c(server.port(), "/ws/chat/techpro");
        c.read();
        c.chat("hello");
        std::string text, conversation;
        std::size_t frames = 0, largest = 0;
        for (;;) {
            auto f = c.read();
            largest = std::max(largest, f.raw.size());
            if (f.type != "chunk") {
                CHECK(f.type == "complete");
                break;
            }
            text += str(f.data.at("content"));
            conversation = str(f.data.at("conversation_id"));
            ++frames;
        }
        CHECK(text == word);
        CHECK(frames >= 3);
        CHECK(largest <= options.max_frame_bytes);
        // The turn kept of it is bounded: a long reply to a slow client does not grow the server.
        std::size_t kept = 0;
        server.run_on_server([&] { kept = server.context().conversations.find(conversation, "techpro")->turns.back().text.size(); });
        CHECK(kept == 64 * 1024);
    }
    options.max_sse_line_bytes = 50000;
    TestServer limited(options);
    WsClient c(limited.port(), "/ws/chat/techpro");
    c.read();
    c.chat("hello");
    auto reply = c.read_reply();
    REQUIRE(reply.complete.type == "error");
    CHECK(str(reply.complete.data.at("message")).find("more in one piece than this server accepts") != std::string::npos);
    CHECK(reply.text.empty());
    // The connection stays usable.
    c.chat("hello again");
    CHECK(c.read_reply().complete.type == "error");
}

TEST_CASE("a conversation from before a restart goes on: the model sees its earlier turns and products") {
    MockModel mock("--token-delay-ms 0");
    char folder[] = "/tmp/brandchat-restart-XXXXXX";
    REQUIRE(::mkdtemp(folder));
    auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
    options.database = std::string(folder) + "/shop.db";
    std::string conversation;
    std::string first_product, first_reply;
    {
        TestServer server(options);
        WsClient c(server.port(), "/ws/chat/techpro");
        c.read();
        c.chat("I need a gaming laptop");
        auto first = c.read_reply();
        REQUIRE(first.complete.type == "complete");
        auto products = first.complete.data.at("suggested_products").as_array();
        REQUIRE_FALSE(products.empty());
        first_product = str(products[0].at("name"));
        conversation = first.conversation_id;
        first_reply = first.text;
    }
    TestServer restarted(options); // a new process would read the same file the same way
    WsClient c(restarted.port(), "/ws/chat/techpro");
    c.read();
    c.chat("What's the price?", conversation);
    auto second = c.read_reply();
    CHECK(second.conversation_id == conversation);
    auto reqs = mock.requests();
    REQUIRE(reqs.size() == 2);
    auto const& messages = reqs[1].at("body").at("messages").as_array();
    bool saw_first_turn = false, saw_first_reply = false, grounded_on_first = false;
    for (auto const& m : messages) {
        auto content = str(m.at("content"));
        if (content == "I need a gaming laptop") saw_first_turn = true;
        if (str(m.at("role")) == "assistant" && content == first_reply) saw_first_reply = true;
        if (content.find(first_product) != std::string::npos) grounded_on_first = true;
    }
    CHECK(saw_first_turn);
    CHECK(saw_first_reply);
    CHECK(grounded_on_first); // the follow-up is about the products suggested before the restart
    auto products = second.complete.data.at("suggested_products").as_array();
    REQUIRE_FALSE(products.empty());
    CHECK(str(products[0].at("name")) == first_product);
    std::filesystem::remove_all(folder);
}

TEST_CASE("a catalog kept in the store: the model is grounded on the candidates it ranked") {
    MockModel mock("--token-delay-ms 0");
    auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
    options.in_memory_products = 0; // every catalog searched in the database
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("I need a gaming laptop");
    auto reply = c.read_reply();
    REQUIRE(reply.complete.type == "complete");
    auto products = reply.complete.data.at("suggested_products").as_array();
    REQUIRE_FALSE(products.empty());
    CHECK(str(products[0].at("category")) == "Laptop");
    auto reqs = mock.requests();
    REQUIRE(reqs.size() == 1);
    std::string grounding = str(reqs[0].at("body").at("messages").as_array()[1].at("content"));
    for (auto const& p : products) CHECK(grounding.find(str(p.at("name"))) != std::string::npos);
}
