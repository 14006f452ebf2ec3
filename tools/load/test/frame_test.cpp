#include "client_frame.hpp"
#include "server_frame.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace brandchat_load;

TEST_CASE("frames as brandchat writes them are classified from their first bytes") {
    CHECK(classify_frame(R"({"type":"chunk","data":{"content":"Hi","is_final":false,"conversation_id":"conv-1","suggested_products":null,"confidence_score":null}})") ==
          FrameKind::chunk);
    CHECK(classify_frame(R"({"type":"complete","data":{"content":"","is_final":true,"conversation_id":"conv-1","suggested_products":[{"type":"chunk"}],"confidence_score":0.85}})") ==
          FrameKind::complete);
    CHECK(classify_frame(R"({"type":"welcome","data":{"message":"Welcome!","brand_id":"techpro","brand_name":"TechPro"}})") ==
          FrameKind::welcome);
    CHECK(classify_frame(R"({"type":"error","data":{"message":"Rate limit exceeded: at most 10"}})") == FrameKind::error);
    CHECK(classify_frame(R"({"type":"pong","data":{"timestamp":"2024-01-20T10:30:00"}})") == FrameKind::pong);
    CHECK(classify_frame(R"({"type":"typing","data":{}})") == FrameKind::other);
}

TEST_CASE("token stamps are found in the raw frame, one per token, and nothing else is taken for one") {
    std::string_view rest = R"({"type":"chunk","data":{"content":" @1000:900 @x @12: @2500:2400 mail@3:4","conversation_id":"c @7"}})";
    TokenStamp s;
    REQUIRE(next_token_stamp(rest, s));
    CHECK(s.written_us == 1000);
    CHECK(s.due_us == 900);
    REQUIRE(next_token_stamp(rest, s));  // " @x" and " @12:" are skipped
    CHECK(s.written_us == 2500);
    CHECK(s.due_us == 2400);
    CHECK(!next_token_stamp(rest, s));  // "mail@3:4" has no space before the @, " @7" no colon
    CHECK(rest.empty());
    std::string_view words = R"({"type":"chunk","data":{"content":" Hello","conversation_id":"c"}})";
    CHECK(!next_token_stamp(words, s));
}

TEST_CASE("other spellings fall back to a full parse") {
    CHECK(classify_frame(R"({ "type" : "chunk", "data": {}})") == FrameKind::chunk);
    CHECK(classify_frame(R"({"data":{"type":"error"},"type":"complete"})") == FrameKind::complete);
    CHECK(classify_frame(R"({"type":"ch\u0075nk","data":{}})") == FrameKind::chunk);
}

TEST_CASE("frames that are not protocol messages are malformed") {
    CHECK(classify_frame("") == FrameKind::malformed);
    CHECK(classify_frame("hello") == FrameKind::malformed);
    CHECK(classify_frame(R"({"type":"chunk)") == FrameKind::malformed);
    CHECK(classify_frame(R"(["type","chunk"])") == FrameKind::malformed);
    CHECK(classify_frame(R"({"type":7})") == FrameKind::malformed);
    CHECK(classify_frame(R"({"data":{}})") == FrameKind::malformed);
}

TEST_CASE("error text and conversation id are read from their frames") {
    CHECK(error_message_of(R"({"type":"error","data":{"message":"Brand 'x' not found or inactive"}})") ==
          "Brand 'x' not found or inactive");
    CHECK(error_message_of(R"({"type":"error","data":{}})").empty());
    CHECK(error_message_of("not json").empty());
    CHECK(conversation_id_of(R"({"type":"complete","data":{"conversation_id":"conv-42","suggested_products":[]}})") == "conv-42");
    CHECK(conversation_id_of(R"({"type":"complete","data":{"conversation_id":null}})").empty());
}

TEST_CASE("errors are grouped by the text before the first colon") {
    CHECK(error_group("Rate limit exceeded: at most 10 chat messages per 60 seconds; try again in 3 seconds") ==
          "Rate limit exceeded");
    CHECK(error_group("Rate limit exceeded: at most 300 chat messages") == "Rate limit exceeded");
    CHECK(error_group("Brand 'x' not found or inactive") == "Brand 'x' not found or inactive");
    CHECK(error_group(std::string(100, 'a')) == std::string(60, 'a') + "...");
    CHECK(error_group("") == "(empty message)");
}

TEST_CASE("chat and ping frames are valid protocol JSON") {
    auto v = boost::json::parse(chat_frame("say \"hi\"\n\\ ok", "", false));
    CHECK(v.at("type") == "chat");
    CHECK(v.at("data").at("message") == "say \"hi\"\n\\ ok");
    CHECK(v.at("data").at("conversation_id").is_null());
    CHECK(v.at("data").at("voice") == false);

    auto w = boost::json::parse(chat_frame("x", "conv-7", true));
    CHECK(w.at("data").at("conversation_id") == "conv-7");
    CHECK(w.at("data").at("voice") == true);

    auto control = boost::json::parse(chat_frame(std::string("a\x01z", 3), "", false));
    CHECK(control.at("data").at("message").as_string() == std::string_view("a\x01z", 3));
    CHECK(boost::json::parse(ping_frame()).at("type") == "ping");
}
