// A whole string as a number, for command lines, environment variables and specs: "42" yes;
// "", "42x", " 42", "-1" (for an unsigned type) or a value out of range: nullopt.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace brandchat {

template <class Number>
std::optional<Number> parse_number(std::string_view text) {
    Number value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

} // namespace brandchat
