#include "brandchat/reply/openai_responder.hpp"
#include "brandchat/reply/prompt.hpp"
#include "brandchat/reply/sse_parser.hpp"
#include "test_brands.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <random>

using namespace brandchat;

namespace {
SseEvents parse_in_pieces(std::string const& stream, std::mt19937& rng) {
    SseParser parser;
    SseEvents events;
    for (std::size_t i = 0; i < stream.size();) {
        std::size_t n = 1 + rng() % 9;
        parser.feed(std::string_view(stream).substr(i, n), events);
        i += n;
    }
    return events;
}
} // namespace

TEST_CASE("SSE: any split, LF or CRLF, comments, multi-line data, [DONE]") {
    std::string lf = ": keep-alive\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                     "data: {\"choices\":[{\"delta\":\n"
                     "data: {\"content\":\"lo\"}}]}\n\n"
                     "event: ping\ndata: x\n\n"
                     "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n"
                     "data: [DONE]\n\n";
    std::string crlf;
    for (char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    std::mt19937 rng(7);
    for (auto const* stream : {&lf, &crlf}) {
        for (int round = 0; round < 200; ++round) {
            auto events = parse_in_pieces(*stream, rng);
            REQUIRE(events.size() == 5);
            auto a = read_completion_event(events[0]);
            auto b = read_completion_event(events[1]);
            CHECK(a.kind == CompletionDelta::Kind::content);
            CHECK(a.text + b.text == "Hello");
            CHECK(events[2].event == "ping");
            auto usage = read_completion_event(events[3]);
            CHECK(usage.kind == CompletionDelta::Kind::usage);
            CHECK(usage.total_tokens == 9);
            CHECK(read_completion_event(events[4]).kind == CompletionDelta::Kind::done);
        }
    }
}

TEST_CASE("SSE: events read after clear() reuse the storage and carry nothing over") {
    SseParser parser;
    SseEvents events;
    parser.feed("event: ping\ndata: a long first event, longer than any short-string buffer\n\ndata: 2\n\n", events);
    REQUIRE(events.size() == 2);
    CHECK(events[0].event == "ping");
    CHECK(events[1].data == "2");
    events.clear();
    CHECK(events.empty());
    parser.feed("data: x\n\nevent: e\ndata: y\ndata: z\n\ndata: w\n\n", events);
    REQUIRE(events.size() == 3);
    CHECK(events[0].event.empty());
    CHECK(events[0].data == "x");
    CHECK(events[1].event == "e");
    CHECK(events[1].data == "y\nz");
    CHECK(events[2].event.empty());
    CHECK(events[2].data == "w");
}

TEST_CASE("SSE: errors inside the stream, null choices") {
    CHECK(read_completion_event({"", R"({"error":{"message":"overloaded","type":"server_error"}})"}).kind == CompletionDelta::Kind::error);
    auto e = read_completion_event({"error", R"({"error":{"message":"boom"}})"});
    CHECK(e.kind == CompletionDelta::Kind::error);
    CHECK(e.text == "boom");
    CHECK(read_completion_event({"", R"({"choices":null,"usage":{"total_tokens":3}})"}).kind == CompletionDelta::Kind::usage);
    CHECK(read_completion_event({"", R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"}).finished);
}

TEST_CASE("SSE: usage counts that are not whole numbers >= 0 read as 0, without throwing") {
    // Found by test/fuzz/sse_parser.cpp: to_number<std::uint64_t>() threw for -7, 2.5 and 1e30,
    // and the exception ended the reply as an internal error, the text sent so far forgotten.
    auto d = read_completion_event({"", R"({"choices":[{"delta":{"content":"Hi"}}],"usage":{"prompt_tokens":-7,"completion_tokens":2.5,"total_tokens":1e30}})"});
    CHECK(d.kind == CompletionDelta::Kind::content);
    CHECK(d.text == "Hi");
    CHECK(d.prompt_tokens == 0);
    CHECK(d.completion_tokens == 0);
    CHECK(d.total_tokens == 0);
    auto whole = read_completion_event({"", R"({"choices":[],"usage":{"prompt_tokens":7.0,"completion_tokens":18446744073709551615,"total_tokens":"9"}})"});
    CHECK(whole.kind == CompletionDelta::Kind::usage);
    CHECK(whole.prompt_tokens == 7);
    CHECK(whole.completion_tokens == 18446744073709551615u);
    CHECK(whole.total_tokens == 0);
}

TEST_CASE("history is trimmed to the budget, newest kept, turns whole") {
    std::vector<Turn> history{{Turn::Role::user, std::string(50, 'a')}, {Turn::Role::assistant, std::string(50, 'b')},
                              {Turn::Role::user, std::string(30, 'c')}, {Turn::Role::assistant, std::string(30, 'd')}};
    auto kept = trim_history(history, 100);
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].text[0] == 'c');
    CHECK(trim_history(history, 1000).size() == 4);
    CHECK(trim_history(history, 10).empty());
}

TEST_CASE("the prompt carries persona, language rules, voice rule and the matched products") {
    ReplyRequest r;
    r.brand = test::bundled_brands().find("techpro");
    r.message = "Saya butuh laptop untuk kerja";
    r.language = Language::indonesian;
    r.voice = true;
    r.query = parse_query(r.message);
    r.ranking = rank_products(*r.brand, r.query, {});
    r.history = {{Turn::Role::user, "earlier question"}, {Turn::Role::assistant, "earlier answer"}};
    auto body = boost::json::parse(chat_completion_body(r, {"test-model", 0.2, 600, 60, 6000})).as_object();
    CHECK(body.at("model") == "test-model");
    CHECK(body.at("stream") == true);
    CHECK(body.at("stream_options").as_object().at("include_usage") == true);
    CHECK(body.at("max_tokens") == 60);
    auto const& messages = body.at("messages").as_array();
    REQUIRE(messages.size() == 5);
    std::string system(messages[0].at("content").as_string());
    CHECK(system.find("TechPro Solutions") != std::string::npos);
    CHECK(system.find("Indonesian") != std::string::npos);
    CHECK(system.find("one short sentence") != std::string::npos);
    std::string products(messages[1].at("content").as_string());
    REQUIRE_FALSE(r.ranking.suggestions.empty());
    CHECK(products.find(r.ranking.suggestions[0].product->name) != std::string::npos);
    CHECK(products.find("Rp ") != std::string::npos);
    CHECK(messages[2].at("content") == "earlier question");
    CHECK(std::string(messages[4].at("content").as_string()) == r.message);
}

TEST_CASE("the request body is valid JSON whatever the text holds, with the settings' numbers") {
    ReplyRequest r;
    r.brand = test::bundled_brands().find("techpro");
    r.message = "a \"quoted\" word,\na new line, a tab\t, a backslash \\, \x01 and rupiah: Rp 5.000 \xE2\x80\x94 harga?";
    r.query = parse_query(r.message);
    r.ranking = rank_products(*r.brand, r.query, {});
    r.history = {{Turn::Role::user, std::string(40, 'x')}, {Turn::Role::assistant, "{\"not\": \"json\"}"}};
    auto body = boost::json::parse(chat_completion_body(r, {"m\"odel", 0.35, 321, 60, 6000})).as_object();
    CHECK(body.at("model") == "m\"odel");
    CHECK(body.at("temperature").as_double() == 0.35);
    CHECK(body.at("max_tokens") == 321);
    auto const& messages = body.at("messages").as_array();
    REQUIRE(messages.size() == 5);
    CHECK(messages[2].at("role") == "user");
    CHECK(messages[3].at("role") == "assistant");
    CHECK(messages[3].at("content") == "{\"not\": \"json\"}");
    CHECK(std::string(messages[4].at("content").as_string()) == r.message);
    // History beyond the budget is left out, whole turns only.
    auto trimmed = boost::json::parse(chat_completion_body(r, {"m", 1, 321, 60, 20})).as_object();
    CHECK(trimmed.at("messages").as_array().size() == 4);
    CHECK(trimmed.at("temperature").to_number<double>() == 1.0);
}

TEST_CASE("the brand's parts, escaped once, give the same messages as the text built for each request") {
    auto brand = std::make_shared<Brand>();
    brand->name = "Toko \"Kita\"";
    brand->description = "A shop\twith tabs,\nnew lines and a backslash \\";
    brand->persona_prompt = "Ramah \xE2\x80\x94 selalu.";
    brand->company.fields = {{"address", "Jl. \"Merdeka\" 1\r\nJakarta"}};
    for (int i = 0; i < 4; ++i) {
        Product p;
        p.id = "p" + std::to_string(i);
        p.name = "Laptop \"" + std::to_string(i) + "\"";
        p.category = "Laptop";
        p.price = 1000000.0 * (i + 1);
        p.availability = i != 2;
        p.description = "Line one\nline two \\ \x01 caf\xC3\xA9";
        if (i % 2) p.features = {"fast", "light \"air\""};
        if (i > 1) p.specifications = {{"RAM", "16 GB"}, {"CPU", "8\tcores"}};
        brand->products.push_back(std::move(p));
    }
    std::shared_ptr<Brand const> shared = brand;
    auto parts = brand_prompt(*shared);
    REQUIRE(parts.product_lines.size() == 4);
    auto messages_of = [](std::string const& body) { return boost::json::parse(body).at("messages").as_array(); };
    for (auto language : {Language::english, Language::indonesian})
        for (bool voice : {false, true})
            for (int kind = 0; kind < 3; ++kind) { // products suggested; nothing matches; not about products
                ReplyRequest r;
                r.brand = shared;
                r.message = "cari \"laptop\"\n?";
                r.language = language;
                r.voice = voice;
                r.history = {{Turn::Role::user, "dulu \\ \"x\""}};
                r.ranking.about_products = kind < 2;
                if (kind == 0)
                    r.ranking.suggestions = {{&shared->products[3], 1.0}, {&shared->products[0], 0.8}, {&shared->products[2], 0.6}};
                auto messages = messages_of(chat_completion_body(r, {"m", 0.5, 100, 20, 6000}, parts));
                REQUIRE(messages.size() == 4);
                CHECK(messages[0].at("content").as_string() == system_prompt(*shared, language, voice));
                CHECK(messages[1].at("content").as_string() == products_prompt(r));
                CHECK(messages[2].at("content").as_string() == "dulu \\ \"x\"");
                CHECK(messages[3].at("content").as_string() == r.message);
                CHECK(std::string(messages[0].at("content").as_string()).find(voice ? "one short sentence" : "concise") != std::string::npos);
            }
    // Parts made for another brand are not used: the body is this brand's.
    ReplyRequest other;
    other.brand = test::bundled_brands().find("techpro");
    other.message = "hi";
    auto other_messages = messages_of(chat_completion_body(other, {"m", 0.5, 100, 20, 6000}, parts));
    CHECK(other_messages[0].at("content").as_string() == system_prompt(*other.brand, Language::english, false));
    // A product from elsewhere (not this brand's) is still described, escaped for this body.
    Product stranger;
    stranger.name = "Other \"one\"";
    stranger.category = "Phone";
    stranger.description = "x\ny";
    ReplyRequest r;
    r.brand = shared;
    r.message = "hi";
    r.ranking.about_products = true;
    r.ranking.suggestions = {{&stranger, 0.9}};
    auto messages = messages_of(chat_completion_body(r, {"m", 0.5, 100, 20, 6000}, parts));
    CHECK(messages[1].at("content").as_string() == products_prompt(r));
}

TEST_CASE("retry delays: exponential with jitter, the server's word wins, capped") {
    using std::chrono::milliseconds;
    CHECK(retry_delay(0, milliseconds(-1), 0.0) == milliseconds(375));
    CHECK(retry_delay(0, milliseconds(-1), 0.999).count() <= 625);
    CHECK(retry_delay(2, milliseconds(-1), 0.5) == milliseconds(2000));
    CHECK(retry_delay(1, milliseconds(1500), 0.5) == milliseconds(1500));
    CHECK(retry_delay(1, milliseconds(90000), 0.5) == milliseconds(20000));
}

TEST_CASE("SSE: a line or an event past its limit stops the parser instead of growing it") {
    SseEvents events;
    SseParser lines(100, 1000);
    lines.feed("data: short\n\n", events);
    CHECK(events.size() == 1);
    CHECK_FALSE(lines.overflowed());
    // A line that never ends, fed in pieces: stopped once it passes 100 bytes.
    for (int i = 0; i < 10 && !lines.overflowed(); ++i) lines.feed(std::string(30, 'x'), events);
    CHECK(lines.overflowed());
    lines.feed("\n\ndata: after\n\n", events);
    CHECK(events.size() == 1); // nothing more once stopped

    // 100 bytes exactly is still a line; many lines of one event may not pass 1000 bytes.
    SseParser exact(100, 1000);
    events.clear();
    exact.feed("data: " + std::string(94, 'y') + "\n\n", events);
    CHECK_FALSE(exact.overflowed());
    CHECK(events.size() == 1);
    SseParser event(100, 1000);
    for (int i = 0; i < 20; ++i) event.feed("data: " + std::string(90, 'z') + "\n", events);
    CHECK(event.overflowed());
}
