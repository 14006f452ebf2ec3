// What the fuzz targets share: a check that aborts (libFuzzer then saves the input as a crash)
// and a UTF-8 reader written apart from the project's, to check the project's against it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                            \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);       \
            std::abort();                                                                           \
        }                                                                                           \
    } while (0)

namespace fuzz {

// The number of code points of s if it is valid UTF-8 (RFC 3629: no overlongs, no surrogates,
// nothing past U+10FFFF), nullopt otherwise.
inline std::optional<std::size_t> utf8_code_points(std::string_view s) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++count) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        char32_t cp;
        if (c < 0x80) { n = 1; cp = c; }
        else if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
        else return std::nullopt;
        if (i + n > s.size()) return std::nullopt;
        for (std::size_t k = 1; k < n; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return std::nullopt;
            cp = cp << 6 | (d & 0x3F);
        }
        static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        i += n;
    }
    return count;
}

inline bool valid_utf8(std::string_view s) { return utf8_code_points(s).has_value(); }

} // namespace fuzz
