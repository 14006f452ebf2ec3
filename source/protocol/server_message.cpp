#include "brandchat/protocol/server_message.hpp"

#include "brandchat/catalog/brand.hpp"
#include "brandchat/language/text.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace brandchat::protocol {

namespace {

} // namespace

void append_json_string(std::string& out, std::string_view text) {
    out.reserve(out.size() + text.size() + 2);
    out.push_back('"');
    append_json_escaped(out, text);
    out.push_back('"');
}

void append_json_escaped(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    // Printable ASCII other than '"' and '\\' goes out as it is: copied a run at a time.
    auto plain = [](unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; };
    out.reserve(out.size() + text.size());
    for (std::size_t i = 0; i < text.size();) {
        std::size_t run = i;
        while (run < text.size() && plain(static_cast<unsigned char>(text[run]))) ++run;
        if (run > i) {
            out.append(text.data() + i, run - i);
            i = run;
            if (i == text.size()) break;
        }
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            if (auto n = utf8_sequence_length(text, i)) {
                out.append(text.substr(i, n));
                i += n;
            } else {
                out.append("\xEF\xBF\xBD");
                ++i;
            }
            continue;
        }
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xF]);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        ++i;
    }
}

std::string welcome(std::string_view message, std::string_view brand_id, std::string_view brand_name) {
    std::string out = R"({"type":"welcome","data":{"message":)";
    append_json_string(out, message);
    out += R"(,"brand_id":)";
    append_json_string(out, brand_id);
    out += R"(,"brand_name":)";
    append_json_string(out, brand_name);
    out += "}}";
    return out;
}

std::string chunk(std::string_view content, std::string_view conversation_id) {
    std::string out;
    out.reserve(content.size() + conversation_id.size() + 128);
    append_chunk(out, content, conversation_id);
    return out;
}

void append_chunk(std::string& out, std::string_view content, std::string_view conversation_id) {
    out += R"({"type":"chunk","data":{"content":)";
    append_json_string(out, content);
    out += R"(,"is_final":false,"conversation_id":)";
    append_json_string(out, conversation_id);
    out += R"(,"suggested_products":null,"confidence_score":null}})";
}

std::string complete(std::string_view conversation_id, std::vector<Product const*> const& products,
                     std::optional<double> confidence) {
    std::string out = R"({"type":"complete","data":{"content":"","is_final":true,"conversation_id":)";
    append_json_string(out, conversation_id);
    out += R"(,"suggested_products":[)";
    for (std::size_t i = 0; i < products.size(); ++i) {
        if (i) out.push_back(',');
        out += products[i]->json.empty() ? product_json(*products[i]) : products[i]->json;
    }
    out += R"(],"confidence_score":)";
    if (confidence && !products.empty()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", *confidence);
        out += buf;
    } else {
        out += "null";
    }
    out += "}}";
    return out;
}

std::string error(std::string_view message) {
    std::string out = R"({"type":"error","data":{"message":)";
    append_json_string(out, message);
    out += "}}";
    return out;
}

std::string pong(std::string_view timestamp) {
    std::string out = R"({"type":"pong","data":{"timestamp":)";
    append_json_string(out, timestamp);
    out += "}}";
    return out;
}

std::string iso_timestamp_now() {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[96];
    auto us = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(us));
    return buf;
}

} // namespace brandchat::protocol
