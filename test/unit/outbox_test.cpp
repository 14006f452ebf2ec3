#include "brandchat/net/outbox.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace brandchat;

namespace {
std::string content_of(std::string const& frame) {
    return std::string(boost::json::parse(frame).at("data").at("content").as_string());
}
} // namespace

TEST_CASE("waiting chunks of one conversation merge; nothing else does") {
    Outbox box;
    box.push_chunk("Hello", "conv-a");
    box.push_chunk(" world", "conv-a");
    CHECK(box.frames() == 1);
    CHECK(box.bytes() == 11);
    box.push_frame(R"({"type":"pong","data":{"timestamp":"t"}})");
    box.push_chunk("!", "conv-a"); // not merged across the pong: order is kept
    box.push_chunk("x", "conv-b"); // another conversation
    CHECK(box.frames() == 4);
    CHECK(content_of(box.pop()) == "Hello world");
    CHECK(box.pop().find("pong") != std::string::npos);
    CHECK(content_of(box.pop()) == "!");
    auto last = box.pop();
    CHECK(content_of(last) == "x");
    CHECK(boost::json::parse(last).at("data").at("conversation_id") == "conv-b");
    CHECK(box.empty());
    CHECK(box.bytes() == 0);
}

TEST_CASE("a chunk already taken for writing is not merged into, and merged frames stay bounded") {
    Outbox box;
    box.push_chunk("a", "c");
    CHECK(content_of(box.pop()) == "a");
    box.push_chunk("b", "c");
    CHECK(content_of(box.pop()) == "b");
    std::string big(Outbox::max_merged_bytes, 'z');
    box.push_chunk(big, "c");
    box.push_chunk("y", "c");
    CHECK(box.frames() == 2);
}
