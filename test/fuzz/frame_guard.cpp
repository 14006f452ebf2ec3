// The WebSocket frame guard (net/frame_guard.hpp): the bytes a client sends after the
// handshake. Checks, beyond not crashing:
// - the verdict is the same fed whole, in two pieces split where the first byte says, and byte
//   by byte (the guard sees reads of any size);
// - it is the verdict of a reference written apart, which walks the frames of the whole buffer:
//   the first frame with a 64-bit length whose top bit is set, or a close frame whose first two
//   payload bytes, unmasked, are a code a client may not send.
#include "brandchat/net/frame_guard.hpp"
#include "fuzz_check.hpp"

#include <cstdint>
#include <string_view>

using namespace brandchat;
using V = ClientFrameGuard::Violation;

namespace {

bool allowed(unsigned code) { return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999); }

V reference(std::string_view b) {
    auto at = [&](std::size_t i) { return static_cast<unsigned char>(b[i]); };
    std::size_t i = 0;
    while (i + 2 <= b.size()) {
        unsigned op = at(i) & 0x0f, len7 = at(i + 1) & 0x7f;
        bool masked = at(i + 1) & 0x80;
        std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        std::size_t header = 2 + ext + (masked ? 4 : 0);
        if (i + header > b.size()) return V::none;
        std::uint64_t len = len7;
        if (len7 == 126) len = std::uint64_t(at(i + 2)) << 8 | at(i + 3);
        if (len7 == 127) {
            if (at(i + 2) & 0x80) return V::length_top_bit;
            len = 0;
            for (int k = 0; k < 8; ++k) len = len << 8 | at(i + 2 + k);
        }
        std::size_t payload = i + header;
        if (op == 0x8 && len >= 2 && payload + 2 <= b.size()) {
            unsigned char k0 = masked ? at(payload - 4) : 0, k1 = masked ? at(payload - 3) : 0;
            unsigned code = unsigned(at(payload) ^ k0) << 8 | unsigned(at(payload + 1) ^ k1);
            if (!allowed(code)) return V::close_code;
        }
        if (len > b.size() - payload) return V::none; // the rest of this frame has not come
        i = payload + static_cast<std::size_t>(len);
    }
    return V::none;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(bytes), size);
    ClientFrameGuard whole;
    V verdict = whole.feed(input);
    FUZZ_CHECK(verdict == reference(input));

    std::size_t cut = size ? bytes[0] % (size + 1) : 0;
    ClientFrameGuard split;
    split.feed(input.substr(0, cut));
    FUZZ_CHECK(split.feed(input.substr(cut)) == verdict);

    ClientFrameGuard bytewise;
    for (char c : input) bytewise.feed(std::string_view(&c, 1));
    FUZZ_CHECK(bytewise.violation() == verdict);
    FUZZ_CHECK(whole.violation() == verdict);
    return 0;
}
