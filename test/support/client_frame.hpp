// A WebSocket frame as a client sends it (RFC 6455 5.2: masked, shortest length encoding),
// built by hand so that tests can send what no library would.
#pragma once

#include <cstdint>
#include <string>

namespace brandchat::test {

inline std::string client_frame(unsigned char opcode, std::string const& payload, bool fin = true, std::uint32_t key = 0x12345678) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | opcode);
    std::uint64_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(0x80 | n);
    } else if (n <= 0xffff) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xff);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    unsigned char const mask[4] = {static_cast<unsigned char>(key >> 24), static_cast<unsigned char>(key >> 16),
                                   static_cast<unsigned char>(key >> 8), static_cast<unsigned char>(key)};
    f.append(reinterpret_cast<char const*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
    return f;
}

} // namespace brandchat::test
