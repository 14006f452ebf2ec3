#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "brandchat/language/sentence_limiter.hpp"
#include "test_server.hpp"

#include <boost/json.hpp>

#include <map>

using namespace brandchat;
using namespace brandchat::test;
namespace json = boost::json;

namespace {
std::string str(json::value const& v) { return std::string(v.as_string()); }

std::string error_of(WsClient& c, std::string const& frame) {
    c.send_text(frame);
    auto f = c.read();
    REQUIRE(f.type == "error");
    return std::string(f.data.at("message").as_string());
}
} // namespace

TEST_CASE("welcome for every active brand, error and close for the inactive and unknown") {
    TestServer server(quiet_options());
    for (auto [brand, name] : {std::pair{"techpro", "TechPro Solutions"}, std::pair{"rumahkita", "RumahKita Elektronik Rumah Tangga"}}) {
        WsClient c(server.port(), std::string("/ws/chat/") + brand);
        auto w = c.read();
        CHECK(w.type == "welcome");
        CHECK(w.data.at("brand_id") == brand);
        CHECK(w.data.at("brand_name") == name);
        CHECK_FALSE(w.data.at("message").as_string().empty());
        CHECK(w.data.size() == 3);
    }
    for (std::string brand : {"oldmart", "no-such-brand"}) {
        WsClient c(server.port(), "/ws/chat/" + brand);
        auto e = c.read();
        CHECK(e.type == "error");
        CHECK(str(e.data.at("message")) == "Brand '" + brand + "' not found or inactive");
        CHECK(c.read_until_close() == 1008);
    }
}

TEST_CASE("a chat streams chunks then one complete, typed as the document shows") {
    auto options = quiet_options();
    options.word_delay = std::chrono::milliseconds(2); // paced, so chunks are not merged while waiting
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("I need a laptop for business work");
    auto first = c.read();
    REQUIRE(first.type == "chunk");
    CHECK(first.data.at("is_final") == false);
    CHECK(first.data.at("suggested_products").is_null());
    CHECK(first.data.at("confidence_score").is_null());
    auto conv = std::string(first.data.at("conversation_id").as_string());
    CHECK(conv.starts_with("conv-"));
    CHECK(conv.size() == 5 + 32);
    auto reply = c.read_reply();
    CHECK(reply.chunks > 5);
    auto const& d = reply.complete.data;
    REQUIRE(reply.complete.type == "complete");
    CHECK(d.at("content") == "");
    CHECK(d.at("is_final") == true);
    CHECK(str(d.at("conversation_id")) == conv);
    auto const& products = d.at("suggested_products").as_array();
    REQUIRE_FALSE(products.empty());
    CHECK(products.size() <= 3);
    for (auto const& p : products) {
        CHECK(p.at("category") == "Laptop");
        CHECK(p.at("price").is_number());
        CHECK(p.at("features").is_array());
        CHECK(p.at("specifications").is_object());
        CHECK(p.at("availability").is_bool());
    }
    double confidence = d.at("confidence_score").to_number<double>();
    CHECK(confidence > 0);
    CHECK(confidence <= 1);
}

TEST_CASE("conversations continue, and unknown or foreign ids start fresh") {
    TestServer server(quiet_options());
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("Show me the Dell XPS 13 Plus");
    auto first = c.read_reply();
    auto conv = first.conversation_id;
    auto const& products = first.complete.data.at("suggested_products").as_array();
    REQUIRE_FALSE(products.empty());
    CHECK(products[0].at("id") == "laptop-002");

    c.chat("What's the price?", conv);
    auto follow = c.read_reply();
    CHECK(follow.conversation_id == conv);
    CHECK(follow.text.find("Rp 19.999.000") != std::string::npos);
    CHECK(follow.complete.data.at("suggested_products").as_array()[0].at("id") == "laptop-002");

    c.chat("What's the price?", std::string("conv-00000000000000000000000000000000"));
    auto fresh = c.read_reply();
    CHECK(fresh.conversation_id != conv);
    CHECK(fresh.conversation_id.starts_with("conv-"));

    WsClient other(server.port(), "/ws/chat/rumahkita");
    other.read();
    other.chat("Halo", conv); // another brand's conversation is not continued
    CHECK(other.read_reply().conversation_id != conv);
}

TEST_CASE("voice mode answers in one sentence, on /ws/chat with voice:true and on /ws/voice") {
    TestServer server(quiet_options());
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("I need a laptop for business work", std::nullopt, true);
    auto r = c.read_reply();
    CHECK(first_sentence(r.text) == r.text);
    CHECK(r.text.find("Rp ") != std::string::npos);
    CHECK_FALSE(r.complete.data.at("suggested_products").as_array().empty());

    WsClient v(server.port(), "/ws/voice/rumahkita");
    CHECK(v.read().type == "welcome");
    v.chat("Saya cari kulkas yang murah dan bagus");
    auto rv = v.read_reply();
    CHECK(first_sentence(rv.text) == rv.text);
    CHECK(rv.text.find("Rp ") != std::string::npos);
}

TEST_CASE("each message is answered in its language") {
    TestServer server(quiet_options());
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("Saya butuh laptop untuk kerja kantor");
    auto id = c.read_reply();
    CHECK(id.text.find("Berikut") != std::string::npos);
    c.chat("And do you have a gaming laptop?", id.conversation_id);
    auto en = c.read_reply();
    CHECK(en.text.find("Here") != std::string::npos);
    c.chat("ok", id.conversation_id); // too short to tell: the conversation's language (English now)
    CHECK(c.read_reply().text.find("I'm") != std::string::npos);

    WsClient r(server.port(), "/ws/chat/rumahkita");
    r.read();
    r.chat("Tell me about your company");
    CHECK(r.read_reply().text.find("RumahKita") != std::string::npos);
}

TEST_CASE("ping answers pong with an ISO-8601 timestamp") {
    TestServer server(quiet_options());
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.send_text(R"({"type":"ping","data":{}})");
    auto p = c.read();
    CHECK(p.type == "pong");
    auto ts = std::string(p.data.at("timestamp").as_string());
    CHECK(ts.size() >= 19);
    CHECK(ts[4] == '-');
    CHECK(ts[10] == 'T');
}

TEST_CASE("bad input gets a clear error and the connection stays usable") {
    TestServer server(quiet_options());
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    CHECK(error_of(c, "hello").find("not valid JSON") != std::string::npos);
    CHECK(error_of(c, "[]").find("JSON object") != std::string::npos);
    CHECK(error_of(c, R"({"data":{}})").find("missing \"type\"") != std::string::npos);
    CHECK(error_of(c, R"({"type":"dance","data":{}})").find("Unknown message type 'dance'") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat"})").find("missing \"data\"") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat","data":{}})").find("message") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat","data":{"message":42}})").find("must be a string") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat","data":{"message":"  "}})").find("must not be empty") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat","data":{"message":")" + std::string(1001, 'a') + R"("}})").find("longer than 1000") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat","data":{"message":"hi","voice":"true"}})").find("boolean") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat","data":{"message":"hi","conversation_id":7}})").find("conversation_id") != std::string::npos);
    CHECK(error_of(c, R"({"type":"chat","data":{"message":"hi","user_id":[1]}})").find("user_id") != std::string::npos);
    c.send_binary("\x01\x02");
    auto bin = c.read();
    CHECK(bin.type == "error");
    CHECK(std::string(bin.data.at("message").as_string()).find("Binary") != std::string::npos);
    // Still usable.
    c.chat("Hello");
    CHECK(c.read_reply().complete.type == "complete");
}

namespace {
// The reply to the same laptop question from a fresh server with these options.
WsClient::Reply laptop_reply(Options const& options) {
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    CHECK(c.read().type == "welcome");
    c.chat("I need a laptop for business work");
    return c.read_reply();
}

// Paced at 1 ms a word, every word is its own chunk: the reference for text and count.
WsClient::Reply paced_laptop_reply() {
    auto paced = quiet_options();
    paced.word_delay = std::chrono::milliseconds(1);
    return laptop_reply(paced);
}

std::uint64_t health_counter(std::uint16_t port, char const* name) {
    auto response = http_get(port, "/health");
    return boost::json::parse(response.substr(response.find("\n\n") + 2)).at(name).to_number<std::uint64_t>();
}
} // namespace

TEST_CASE("a client that keeps up gets every piece as its own chunk, written in batches") {
    auto paced = paced_laptop_reply();

    TestServer server(quiet_options()); // word delay 0: the whole reply is produced at once
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    auto writes_before = health_counter(server.port(), "socket_writes_total");
    c.chat("I need a laptop for business work");
    auto r = c.read_reply();
    auto writes = health_counter(server.port(), "socket_writes_total") - writes_before;
    CHECK(r.text == paced.text);
    CHECK(r.chunks == paced.chunks); // nothing merged
    // The chunks and the complete frame left in a handful of socket writes, not one each.
    CHECK(writes >= 1);
    CHECK(writes * 4 <= r.chunks + 1);
}

TEST_CASE("a client that falls behind gets waiting chunks merged: fewer frames, the same text") {
    auto paced = paced_laptop_reply();
    auto tight = quiet_options();
    tight.outbox_limit_bytes = 256; // a socket batch of 128 bytes: every chunk after the first waits
    auto r = laptop_reply(tight);
    CHECK(r.text == paced.text);
    CHECK(r.chunks < paced.chunks);
    CHECK(r.complete.type == "complete");
}

TEST_CASE("with no outbox to speak of, everything still arrives, one frame at a time") {
    auto paced = paced_laptop_reply();
    auto none = quiet_options();
    none.outbox_limit_bytes = 0;
    auto writes_before = socket_writes_total();
    auto r = laptop_reply(none);
    auto writes = socket_writes_total() - writes_before;
    CHECK(r.text == paced.text);
    CHECK(r.chunks < paced.chunks); // the client is behind at once: waiting chunks merge
    CHECK(r.complete.type == "complete");
    // One frame a write: the welcome, every chunk and the complete each left on their own.
    CHECK(writes >= r.chunks + 2);
}

TEST_CASE("frames over 64 KiB are refused with close code 1009") {
    TestServer server(quiet_options());
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.send_text(std::string(70 * 1024, 'x'));
    CHECK(c.read_until_close() == 1009);
}

TEST_CASE("rate limits per connection and per address; pings do not count") {
    auto options = quiet_options();
    options.connection_rate = {3, std::chrono::seconds(60)};
    options.address_rate = {5, std::chrono::seconds(60)};
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    for (int i = 0; i < 3; ++i) {
        c.send_text(R"({"type":"ping","data":{}})");
        CHECK(c.read().type == "pong");
        c.chat("Hello");
        CHECK(c.read_reply().complete.type == "complete");
    }
    c.chat("Hello");
    auto limited = c.read();
    REQUIRE(limited.type == "error");
    auto text = std::string(limited.data.at("message").as_string());
    CHECK(text.find("Rate limit exceeded") != std::string::npos);
    CHECK(text.find("try again in") != std::string::npos);
    c.send_text(R"({"type":"ping","data":{}})");
    CHECK(c.read().type == "pong");

    WsClient d(server.port(), "/ws/chat/techpro"); // same address: 2 left of 5
    d.read();
    d.chat("Hello");
    CHECK(d.read_reply().complete.type == "complete");
    d.chat("Hello");
    CHECK(d.read_reply().complete.type == "complete");
    d.chat("Hello");
    auto by_address = d.read();
    REQUIRE(by_address.type == "error");
    CHECK(std::string(by_address.data.at("message").as_string()).find("from one address") != std::string::npos);

    WsClient e(server.port(), "/ws/chat/techpro", "127.0.0.2"); // another address is not limited
    e.read();
    e.chat("Hello");
    CHECK(e.read_reply().complete.type == "complete");
}

TEST_CASE("one reply at a time: chats queue in order, beyond the bound an error") {
    std::vector<std::string> messages{"Hello", "Tell me about your company", "I need a laptop for business work"};
    // Each answered alone first: the built-in responder's answer to each, in a conversation of its own.
    std::vector<std::string> alone;
    {
        TestServer server(quiet_options());
        for (auto const& m : messages) {
            WsClient c(server.port(), "/ws/chat/techpro");
            c.read();
            c.chat(m);
            alone.push_back(c.read_reply().text);
        }
    }
    REQUIRE(alone[0] != alone[1]);
    REQUIRE(alone[1] != alone[2]);

    auto options = quiet_options();
    options.word_delay = std::chrono::milliseconds(5);
    options.queue_limit = 2;
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    for (auto const& m : messages) c.chat(m);
    c.chat("one too many");
    // Chunks carry their conversation's id: the text of each reply, in the order they complete.
    std::map<std::string, std::string> text_of;
    std::vector<std::string> completed;
    std::vector<std::string> errors;
    while (completed.size() < 3) {
        auto f = c.read();
        if (f.type == "chunk") text_of[str(f.data.at("conversation_id"))] += str(f.data.at("content"));
        else if (f.type == "complete") completed.push_back(text_of[str(f.data.at("conversation_id"))]);
        else if (f.type == "error") errors.push_back(str(f.data.at("message")));
    }
    CHECK(completed == alone); // one at a time, in the order sent
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("Too many messages waiting") != std::string::npos);
}

TEST_CASE("cancel stops the reply and completes it with what was sent") {
    auto options = quiet_options();
    options.word_delay = std::chrono::milliseconds(20);
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("I need a laptop for business work");
    CHECK(c.read().type == "chunk");
    c.send_text(R"({"type":"cancel","data":{}})");
    auto r = c.read_reply();
    CHECK(r.complete.type == "complete");
    CHECK(r.chunks < 20);
    c.chat("Hello"); // and the connection goes on
    CHECK(c.read_reply().complete.type == "complete");
}

TEST_CASE("HTTP: status, brands, health, 404, 405, CORS") {
    TestServer server(quiet_options());
    unsigned status = 0;
    auto root = http_get(server.port(), "/", "GET", "", &status);
    CHECK(status == 200);
    auto body = json::parse(root.substr(root.find("\n\n") + 2)).as_object();
    CHECK(body.at("status") == "running");
    CHECK(body.at("active_brands") == 2);
    CHECK(body.at("brands").as_array().size() == 2);
    CHECK(body.contains("version"));
    CHECK(body.contains("timestamp"));

    auto active = http_get(server.port(), "/brands/active", "GET", "https://shop.example", &status);
    CHECK(status == 200);
    CHECK(active.find("Access-Control-Allow-Origin: *") != std::string::npos);
    auto brands = json::parse(active.substr(active.find("\n\n") + 2)).as_array();
    CHECK(brands.size() == 2);
    for (auto const& b : brands) CHECK(b.at("id") != "oldmart");

    http_get(server.port(), "/brands/techpro", "GET", "", &status);
    CHECK(status == 200);
    // An inactive brand is still shown (the management API lists it), marked inactive.
    auto inactive = http_get(server.port(), "/brands/oldmart", "GET", "", &status);
    CHECK(status == 200);
    CHECK(inactive.find("\"is_active\":false") != std::string::npos);
    http_get(server.port(), "/brands/nosuchbrand", "GET", "", &status);
    CHECK(status == 404);
    auto missing = http_get(server.port(), "/nope", "GET", "", &status);
    CHECK(status == 404);
    CHECK(missing.find("application/json") != std::string::npos);
    http_get(server.port(), "/brands/active", "POST", "", &status);
    CHECK(status == 405);
    http_get(server.port(), "/brands/active", "OPTIONS", "https://shop.example", &status);
    CHECK(status == 204);
    auto health = http_get(server.port(), "/health", "GET", "", &status);
    CHECK(status == 200);
    CHECK(health.find("\"status\":\"healthy\"") != std::string::npos);
}

TEST_CASE("CORS origins can be restricted") {
    auto options = quiet_options();
    options.cors_origins = "https://a.example, https://b.example";
    TestServer server(options);
    auto allowed = http_get(server.port(), "/brands/active", "GET", "https://b.example");
    CHECK(allowed.find("Access-Control-Allow-Origin: https://b.example") != std::string::npos);
    auto refused = http_get(server.port(), "/brands/active", "GET", "https://evil.example");
    CHECK(refused.find("Access-Control-Allow-Origin") == std::string::npos);
}

TEST_CASE("what a customer is told follows the conversation's language: rate limit, too long, queue full") {
    auto options = quiet_options();
    options.connection_rate = {4, std::chrono::seconds(60)};
    options.max_message_chars = 40;
    options.word_delay = std::chrono::milliseconds(5);
    options.queue_limit = 1;
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro"); // an English shop
    c.read();
    auto error_text = [&] {
        auto f = c.read();
        REQUIRE(f.type == "error");
        return str(f.data.at("message"));
    };

    c.chat("Ada laptop yang murah tidak kak? Yang buat kuliah ya, terima kasih banyak");
    auto too_long = error_text();
    CHECK(too_long.find("lebih dari 40 karakter") != std::string::npos);
    c.chat("I need a laptop for work, cheap please, and a mouse too, and more");
    CHECK(error_text().find("is longer than 40 characters") != std::string::npos);

    c.chat("ada laptop murah?");
    auto first = c.read_reply();
    REQUIRE(first.complete.type == "complete");
    // Three at once in the same conversation, each saying nothing of its language: the first is
    // answered, the second waits, the third is refused by the queue in the conversation's language.
    for (int i = 0; i < 3; ++i) c.chat("laptop", first.conversation_id);
    std::vector<std::string> errors;
    for (int completes = 0; completes < 2;) {
        auto f = c.read();
        if (f.type == "complete") ++completes;
        else if (f.type == "error") errors.push_back(str(f.data.at("message")));
    }
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("Terlalu banyak pesan menunggu") != std::string::npos);

    // Four chats counted: the fifth hits the per-connection limit, told in Indonesian for an
    // Indonesian message and in English for an English one.
    c.chat("berapa harga laptop yang paling murah?");
    auto limited = error_text();
    CHECK(limited.find("Terlalu banyak pesan: paling banyak 4 pesan chat per 60 detik dalam satu koneksi") != std::string::npos);
    CHECK(limited.find("coba lagi dalam") != std::string::npos);
    c.chat("what is your cheapest laptop?");
    CHECK(error_text().find("Rate limit exceeded") != std::string::npos);
}
