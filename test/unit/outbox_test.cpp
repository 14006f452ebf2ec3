#include "brandchat/net/outbox.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <algorithm>

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

TEST_CASE("a reader that never lets the outbox empty does not make it grow") {
    // A slow client: the reply keeps adding while the writer takes one frame at a time, and
    // the outbox never runs dry. What it holds must follow what waits, not what went through.
    Outbox box;
    std::string const piece(1000, 'w');
    std::size_t most = 0;
    for (int round = 0; round < 2000; ++round) {
        box.push_chunk(piece, round % 2 ? "conv-a" : "conv-b"); // alternating: no merging
        box.push_frame(R"({"type":"pong","data":{"timestamp":"t"}})");
        while (box.frames() > 8) CHECK(!box.pop().empty());
        most = std::max(most, box.heap_bytes());
    }
    CHECK(box.frames() == 8);
    // 8 waiting items of at most ~1 KB, and an array sized for a few dozen: far below the
    // 2 MB that passed through.
    CHECK(most < 32 * 1024);
    while (!box.empty()) box.pop();
    CHECK(box.heap_bytes() <= 2048); // at most the 16-item array an idle outbox keeps
}
