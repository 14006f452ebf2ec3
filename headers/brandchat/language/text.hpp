// Small text primitives shared by the language, catalog and reply code: ASCII lowercasing,
// splitting into word tokens, and rupiah formatting ("Rp 19.999.000").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

std::string to_lower_ascii(std::string_view text);

// Lowercased word tokens: runs of letters and digits (UTF-8 bytes >= 0x80 count as letters).
// Digits keep their '.' and ',' separators inside a number ("19.999.000" stays one token).
std::vector<std::string> word_tokens(std::string_view text);

// "Rp 19.999.000": rounded to whole rupiah, dots between thousands.
std::string format_rupiah(double amount);

bool is_blank(std::string_view text);

// The length of the longest prefix of `text` of at most `max_bytes` (at least 1 when text is
// not empty) that does not end inside a UTF-8 character.
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

} // namespace brandchat
