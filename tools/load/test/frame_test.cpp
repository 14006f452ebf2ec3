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
