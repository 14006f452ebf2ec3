// Small text primitives shared by the language, catalog and reply code: ASCII lowercasing,
// splitting into word tokens, and rupiah formatting ("Rp 19.999.000").
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace brandchat {

std::string to_lower_ascii(std::string_view text);

// A byte of a word: an ASCII letter or digit, or any byte of a UTF-8 sequence (without the
// locale lookup of std::isalnum).
inline bool is_word_byte(char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c >= 0x80 || static_cast<unsigned char>((c | 0x20) - 'a') < 26 || static_cast<unsigned char>(c - '0') < 10;
}

// Non-empty and word bytes only: one word, not a phrase.
inline bool single_word_text(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text)
        if (!is_word_byte(c)) return false;
    return true;
}

// Calls f with each word of `text` (a maximal run of word bytes) in order, until f returns false
// (f may return void: every word).
template <class F>
void for_each_word(std::string_view text, F f) {
    for (std::size_t i = 0; i < text.size();) {
        if (!is_word_byte(text[i])) {
            ++i;
            continue;
        }
        auto end = i;
        while (end < text.size() && is_word_byte(text[end])) ++end;
        if constexpr (std::is_void_v<decltype(f(text.substr(i, end - i)))>) {
            f(text.substr(i, end - i));
        } else if (!f(text.substr(i, end - i))) {
            return;
        }
        i = end;
    }
}

// A text as the ranking searches it, in place: ASCII lowercased, and a word negated with "non"
// ("non-inverter", "non inverter") joined to it ("noninverter"), so that it does not count as the
// word it negates. Messages and products go through the same.
void normalize_search_text(std::string& text);

// Lowercased word tokens: runs of letters and digits (UTF-8 bytes >= 0x80 count as letters).
// Digits keep their '.' and ',' separators inside a number ("19.999.000" stays one token).
std::vector<std::string> word_tokens(std::string_view text);

// "Rp 19.999.000": rounded to whole rupiah, dots between thousands.
std::string format_rupiah(double amount);

bool is_blank(std::string_view text);

// The length of the longest prefix of `text` of at most `max_bytes` (at least 1 when text is
// not empty) that does not end inside a UTF-8 character.
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

// Length of the valid UTF-8 sequence starting at text[i] (1 to 4), or 0 where none starts there
// (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short); ASCII is 1.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);
// The whole text is valid UTF-8.
bool valid_utf8(std::string_view text);

} // namespace brandchat
