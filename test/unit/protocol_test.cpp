#include "brandchat/catalog/brand.hpp"
#include "brandchat/protocol/client_message.hpp"
#include "brandchat/protocol/json_text.hpp"
#include "brandchat/protocol/server_message.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <cmath>

using namespace brandchat;
namespace json = boost::json;

namespace {
std::string decode_error(std::string_view frame) {
    auto d = protocol::decode_envelope(frame);
    auto* e = std::get_if<protocol::DecodeError>(&d);
    return e ? e->message : "";
}
std::string chat_error(std::string_view data_json, std::size_t max = 1000) {
    auto d = protocol::decode_chat(json::parse(data_json).as_object(), max);
    auto* e = std::get_if<protocol::DecodeError>(&d);
    return e ? e->message : "";
}
} // namespace

TEST_CASE("envelope decoding names what is wrong") {
    CHECK(decode_error("not json").find("not valid JSON") != std::string::npos);
    CHECK(decode_error("[1,2]").find("expected a JSON object") != std::string::npos);
    CHECK(decode_error(R"({"data":{}})").find("missing \"type\"") != std::string::npos);
    CHECK(decode_error(R"({"type":5,"data":{}})").find("\"type\" must be a string") != std::string::npos);
    CHECK(decode_error(R"({"type":"ping"})").find("missing \"data\"") != std::string::npos);
    CHECK(decode_error(R"({"type":"ping","data":[]})").find("\"data\" must be an object") != std::string::npos);
    auto ok = protocol::decode_envelope(R"({"type":"ping","data":{}})");
    REQUIRE(std::holds_alternative<protocol::Envelope>(ok));
    CHECK(std::get<protocol::Envelope>(ok).type == "ping");
}

TEST_CASE("chat decoding validates every field") {
    CHECK(chat_error(R"({})").find("\"data.message\" is required") != std::string::npos);
    CHECK(chat_error(R"({"message":3})").find("must be a string") != std::string::npos);
    CHECK(chat_error(R"({"message":"   "})").find("must not be empty") != std::string::npos);
    CHECK(chat_error(R"({"message":"hello there"})", 5).find("longer than 5 characters") != std::string::npos);
    CHECK(chat_error(R"({"message":"hi","voice":"yes"})").find("\"voice\" must be a boolean") != std::string::npos);
    CHECK(chat_error(R"({"message":"hi","conversation_id":12})").find("\"conversation_id\" must be a string") != std::string::npos);
    CHECK(chat_error(R"({"message":"hi","user_id":{}})").find("\"user_id\" must be a string") != std::string::npos);
    // Characters, not bytes: five Indonesian-accented characters fit a limit of five.
    CHECK(chat_error(R"({"message":"ééééé"})", 5).empty());
    // The ids are counted the same way: 200 two-byte characters fit, 201 do not.
    auto with_user = [](std::size_t n) {
        std::string id;
        for (std::size_t i = 0; i < n; ++i) id += "\u00e9";
        return R"({"message":"hi","user_id":")" + id + R"("})";
    };
    CHECK(chat_error(with_user(200)).empty());
    CHECK(chat_error(with_user(201)).find("\"user_id\" is longer than 200 characters") != std::string::npos);

    auto d = protocol::decode_chat(json::parse(R"({"message":"  hi  ","conversation_id":null,"user_id":"u1","voice":true})").as_object(), 1000);
    REQUIRE(std::holds_alternative<protocol::ChatRequest>(d));
    auto const& req = std::get<protocol::ChatRequest>(d);
    CHECK(req.message == "hi");
    CHECK_FALSE(req.conversation_id);
    CHECK(req.user_id == std::optional<std::string>("u1"));
    CHECK(req.voice);
}

TEST_CASE("server messages have the document's fields and types") {
    auto chunk = json::parse(protocol::chunk("Hello \"world\"\n", "conv-1")).as_object();
    CHECK(chunk.at("type") == "chunk");
    auto const& d = chunk.at("data").as_object();
    CHECK(d.at("content") == "Hello \"world\"\n");
    CHECK(d.at("is_final") == false);
    CHECK(d.at("conversation_id") == "conv-1");
    CHECK(d.at("suggested_products").is_null());
    CHECK(d.at("confidence_score").is_null());
    CHECK(d.size() == 5);

    Brand b = BrandCatalog::parse_brand(R"({"id":"x","name":"X","products":[{"id":"p1","name":"P","description":"d","category":"Laptop","price":19999000.0,"features":["a"],"specifications":{"cpu":"i7"},"availability":true}]})");
    auto complete = json::parse(protocol::complete("conv-1", {&b.products[0]}, 0.8567)).as_object();
    auto const& c = complete.at("data").as_object();
    CHECK(complete.at("type") == "complete");
    CHECK(c.at("content") == "");
    CHECK(c.at("is_final") == true);
    CHECK(c.at("confidence_score").as_double() == doctest::Approx(0.86));
    auto const& p = c.at("suggested_products").as_array().at(0).as_object();
    CHECK(p.at("price").as_double() == 19999000.0);
    CHECK(p.at("specifications").as_object().at("cpu") == "i7");
    CHECK(p.at("availability") == true);
    CHECK(p.size() == 8);

    auto empty = json::parse(protocol::complete("conv-1", {}, 0.5)).as_object();
    CHECK(empty.at("data").as_object().at("suggested_products").as_array().empty());
    CHECK(empty.at("data").as_object().at("confidence_score").is_null());

    auto err = json::parse(protocol::error("bad")).as_object();
    CHECK(err.at("data").as_object().at("message") == "bad");
    auto pong = json::parse(protocol::pong(protocol::iso_timestamp_now())).as_object();
    CHECK(pong.at("data").as_object().at("timestamp").as_string().size() >= 19);
}

TEST_CASE("invalid UTF-8 never reaches the client") {
    std::string out;
    protocol::append_json_string(out, std::string("ok\xff\xc3", 4));
    CHECK(out == "\"ok\xEF\xBF\xBD\xEF\xBF\xBD\"");
    out.clear();
    protocol::append_json_string(out, "\x01" "é");
    CHECK(out == "\"\\u0001é\"");
    // F5..FF never start a UTF-8 sequence, whatever follows them.
    for (unsigned lead = 0xF5; lead <= 0xFF; ++lead) {
        out.clear();
        protocol::append_json_string(out, std::string{static_cast<char>(lead), '\x80', '\x80', '\x80'});
        CHECK(out == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    }
}

TEST_CASE("JSON text writes numbers as people and Python do, and reads back the same") {
    auto text = protocol::json_text(boost::json::value{{"price", 19999000.0}, {"one", 1.0}, {"fit", 0.967}, {"n", 3}, {"big", 1e300},
                                                       {"neg", -2.5}, {"s", "Rp \"x\""}, {"list", boost::json::array{true, nullptr}}});
    CHECK(text == R"({"price":19999000.0,"one":1.0,"fit":0.967,"n":3,"big":1e+300,"neg":-2.5,"s":"Rp \"x\"","list":[true,null]})");
    CHECK(boost::json::parse(text) == boost::json::parse(boost::json::serialize(boost::json::parse(text))));
    CHECK(boost::json::parse(text).at("price").as_double() == 19999000.0);
    std::string nan;
    protocol::append_json_number(nan, std::nan(""));
    CHECK(nan == "null");
}
