#include "brandchat/net/origin_policy.hpp"

#include "brandchat/net/field_values.hpp"

#include <cctype>

namespace brandchat {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// An origin as written in a header or a list: no surrounding whitespace, no trailing slash.
std::string_view trim(std::string_view s) {
    s = trim_whitespace(s);
    while (!s.empty() && s.back() == '/') s.remove_suffix(1);
    return s;
}

// "host[:port]" of "scheme://host[:port]", or "" when the origin has no such form.
std::string_view authority_of(std::string_view origin) {
    auto scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos) return {};
    return origin.substr(scheme_end + 3);
}

std::string_view host_of(std::string_view authority) {
    if (authority.starts_with("[")) return authority.substr(0, authority.find(']') + 1);
    return authority.substr(0, authority.find(':'));
}

bool local(std::string_view origin) {
    auto scheme = origin.substr(0, origin.find("://"));
    if (scheme != "http" && scheme != "https") return false;
    auto host = host_of(authority_of(origin));
    return host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1" || host == "[::1]";
}

} // namespace

bool origin_allowed(std::string_view origin_header, std::string_view host, std::vector<std::string> const& brand_origins,
                    std::string_view server_origins) {
    if (origin_header.empty()) return true;
    std::string origin = lower(trim(origin_header));
    if (local(origin)) return true;
    auto authority = authority_of(origin);
    if (!authority.empty() && authority == lower(trim(host))) return true;
    auto listed = [&](std::string_view entry) {
        entry = trim(entry);
        return entry == "*" || (!entry.empty() && lower(entry) == origin);
    };
    for (auto const& entry : brand_origins)
        if (listed(entry)) return true;
    bool found = false;
    for_each_list_element(server_origins, [&](std::string_view entry) { found = found || listed(entry); });
    return found;
}

} // namespace brandchat
