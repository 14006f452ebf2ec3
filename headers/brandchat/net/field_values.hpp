// Reading HTTP field values (RFC 9110 5.6): optional whitespace around values, comma-separated
// lists, and tokens compared without ASCII case. Shared by the request checks, the static
// page's negotiation and the origin lists.
#pragma once

#include <string_view>

namespace brandchat {

std::string_view trim_whitespace(std::string_view value); // spaces and tabs at both ends
bool iequals_ascii(std::string_view a, std::string_view b);

// Calls fn(element) for each trimmed, non-empty element of a comma-separated list.
template <class Fn>
void for_each_list_element(std::string_view list, Fn fn) {
    while (!list.empty()) {
        auto comma = list.find(',');
        auto element = trim_whitespace(list.substr(0, comma));
        if (!element.empty()) fn(element);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

} // namespace brandchat
