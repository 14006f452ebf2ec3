#include "brandchat/net/form_data.hpp"

#include <algorithm>
#include <cctype>

namespace brandchat {

namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A parameter of a header value ("form-data; name=\"file\"; filename=\"a.csv\""), unquoted.
std::optional<std::string> parameter(std::string_view value, std::string_view key) {
    for (std::size_t at = value.find(';'); at != std::string_view::npos; at = value.find(';', at + 1)) {
        auto rest = trim(value.substr(at + 1));
        if (!iequals_prefix(rest, key) || rest.size() <= key.size() || rest[key.size()] != '=') continue;
        rest.remove_prefix(key.size() + 1);
        if (!rest.starts_with('"')) return std::string(trim(rest.substr(0, rest.find(';'))));
        std::string out;
        for (std::size_t i = 1; i < rest.size(); ++i) {
            if (rest[i] == '\\' && i + 1 < rest.size()) out += rest[++i];
            else if (rest[i] == '"') return out;
            else out += rest[i];
        }
        return std::nullopt; // an unclosed quote
    }
    return std::nullopt;
}

} // namespace

std::optional<std::vector<FormPart>> parse_form_data(std::string_view content_type, std::string_view body, std::string& error) {
    if (!iequals_prefix(trim(content_type), "multipart/form-data")) {
        error = "the body must be multipart/form-data (curl -F file=@products.csv)";
        return std::nullopt;
    }
    auto boundary = parameter(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 70) {
        error = "the Content-Type has no boundary";
        return std::nullopt;
    }
    std::string delimiter = "--" + *boundary;
    std::vector<FormPart> parts;
    auto at = body.find(delimiter);
    if (at == std::string_view::npos) {
        error = "no part starts with the boundary";
        return std::nullopt;
    }
    at += delimiter.size();
    std::string next = "\r\n" + delimiter;
    for (;;) {
        if (body.substr(at, 2) == "--") return parts; // the closing delimiter
        if (body.substr(at, 2) != "\r\n") break;
        at += 2;
        auto head_end = body.find("\r\n\r\n", at);
        auto end = head_end == std::string_view::npos ? head_end : body.find(next, head_end + 4);
        if (end == std::string_view::npos) break;
        FormPart part;
        auto head = body.substr(at, head_end - at);
        bool disposition = false;
        for (std::size_t line = 0; line <= head.size();) {
            auto stop = std::min(head.find("\r\n", line), head.size());
            auto field = head.substr(line, stop - line);
            line = stop + 2;
            auto colon = field.find(':');
            if (colon == std::string_view::npos) continue;
            auto name = field.substr(0, colon), value = trim(field.substr(colon + 1));
            if (name.size() == 19 && iequals_prefix(name, "content-disposition")) {
                disposition = iequals_prefix(value, "form-data");
                part.name = parameter(value, "name").value_or("");
                part.filename = parameter(value, "filename").value_or("");
            } else if (name.size() == 12 && iequals_prefix(name, "content-type")) {
                part.content_type = std::string(value);
            }
        }
        if (!disposition) {
            error = "a part has no Content-Disposition: form-data";
            return std::nullopt;
        }
        part.body = body.substr(head_end + 4, end - head_end - 4);
        parts.push_back(std::move(part));
        at = end + next.size();
    }
    error = "the body does not end with the closing boundary";
    return std::nullopt;
}

} // namespace brandchat
