#include "brandchat/net/frame_guard.hpp"
#include "client_frame.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace brandchat;
using V = ClientFrameGuard::Violation;

namespace {

std::string frame(unsigned char opcode, std::string const& payload) { return test::client_frame(opcode, payload, true, 0x37fa213d); }

std::string close_frame(std::uint16_t code, std::string const& reason = "") {
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    return frame(0x8, payload + reason);
}

// The verdict on `bytes` fed whole, and fed in two pieces split at every position.
V verdict(std::string const& bytes) {
    ClientFrameGuard whole;
    V v = whole.feed(bytes);
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
        ClientFrameGuard split;
        split.feed(std::string_view(bytes).substr(0, cut));
        CHECK(split.feed(std::string_view(bytes).substr(cut)) == v);
    }
    ClientFrameGuard bytewise;
    for (char c : bytes) bytewise.feed(std::string_view(&c, 1));
    CHECK(bytewise.violation() == v);
    return v;
}

} // namespace

TEST_CASE("close codes a client may send") {
    for (std::uint16_t ok : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999})
        CHECK(valid_close_code(ok));
    for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 5001, 65535}) {
        INFO(bad);
        CHECK_FALSE(valid_close_code(bad));
    }
}

TEST_CASE("a close frame with a code of 5000 or more is a violation, in any split") {
    CHECK(verdict(close_frame(1000)) == V::none);
    CHECK(verdict(close_frame(4999, "bye")) == V::none);
    CHECK(verdict(close_frame(5000)) == V::close_code);
    CHECK(verdict(close_frame(65535, "x")) == V::close_code);
    CHECK(verdict(frame(0x8, "")) == V::none); // no code at all is allowed
    // After other frames, including long ones whose payload is skipped.
    std::string before = frame(0x1, "hello") + frame(0x9, "ping") + frame(0x1, std::string(300, 'a')) + frame(0x1, std::string(70000, 'b'));
    CHECK(verdict(before + close_frame(1001)) == V::none);
    ClientFrameGuard g;
    CHECK(g.feed(before + close_frame(5000)) == V::close_code);
    CHECK(g.feed(frame(0x1, "later")) == V::close_code); // sticky
    CHECK(std::string(describe(V::close_code)).find("status code") != std::string::npos);
}

TEST_CASE("a 64-bit length with its top bit set is a violation; a large valid one is not") {
    std::string huge = {static_cast<char>(0x81), static_cast<char>(0x80 | 127), static_cast<char>(0x80), 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    CHECK(verdict(huge) == V::length_top_bit);
    std::string big = {static_cast<char>(0x81), static_cast<char>(0x80 | 127), 0x7f, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 'x'};
    CHECK(verdict(big) == V::none);
    // A text frame's payload that happens to look like a close header changes nothing.
    CHECK(verdict(frame(0x1, std::string("\x88\x82\0\0\0\0\x13\x88", 8))) == V::none);
}
