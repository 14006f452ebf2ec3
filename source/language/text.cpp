#include "brandchat/language/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace brandchat {

namespace {
bool is_word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
} // namespace

std::string to_lower_ascii(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

void normalize_search_text(std::string& text) {
    for (auto& c : text)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    std::size_t out = 0;
    char before = ' '; // the byte before text[i] as it was: the output overwrites it
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool non = i + 2 < text.size() && text[i] == 'n' && text[i + 1] == 'o' && text[i + 2] == 'n' && !brandchat::is_word_byte(before);
        before = text[i];
        text[out++] = text[i];
        if (non && i + 4 < text.size() && (text[i + 3] == '-' || text[i + 3] == ' ') && text[i + 4] >= 'a' && text[i + 4] <= 'z') {
            text[out++] = 'o';
            text[out++] = 'n';
            before = text[i + 3];
            i += 3; // the separator is dropped
        }
    }
    text.resize(out);
}

std::vector<std::string> word_tokens(std::string_view text) {
    std::vector<std::string> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_word_byte(static_cast<unsigned char>(text[i]))) {
            ++i;
            continue;
        }
        std::size_t start = i;
        while (i < text.size()) {
            auto c = static_cast<unsigned char>(text[i]);
            if (is_word_byte(c)) {
                ++i;
            } else if ((c == '.' || c == ',') && i > start && is_digit(text[i - 1]) && i + 1 < text.size() &&
                       is_digit(text[i + 1])) {
                ++i; // a separator inside a number
            } else {
                break;
            }
        }
        tokens.push_back(to_lower_ascii(text.substr(start, i - start)));
    }
    return tokens;
}

std::string format_rupiah(double amount) {
    // Any double's whole number (at most 309 digits), not only a long long's: llround overflowed
    // past 9.2e18 and printed "Rp -9.223.372.036.854.775.808".
    char buffer[400];
    int n = std::snprintf(buffer, sizeof buffer, "%.0f", std::round(std::abs(amount)));
    std::string digits(buffer, static_cast<std::size_t>(std::max(n, 0)));
    std::string grouped;
    grouped.reserve(digits.size() + digits.size() / 3);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back('.');
        grouped.push_back(digits[i]);
    }
    return (amount < 0 ? "-Rp " : "Rp ") + grouped;
}

bool is_blank(std::string_view text) {
    for (unsigned char c : text)
        if (!std::isspace(c)) return false;
    return true;
}

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return 1;
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // beyond U+10FFFF
    return n;
}

bool valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        auto n = utf8_sequence_length(text, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text.size();
    std::size_t cut = std::max<std::size_t>(max_bytes, 1);
    // Back over at most three continuation bytes (10xxxxxx) to the start of their character.
    auto continuation = [&](std::size_t i) { return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
    for (std::size_t back = 0; back <= 3 && back < cut; ++back)
        if (!continuation(cut - back)) return cut - back;
    // No character starts close enough before the cut: end after the one it is in.
    while (cut < text.size() && continuation(cut)) ++cut;
    return cut;
}

} // namespace brandchat
