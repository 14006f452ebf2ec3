#include "brandchat/protocol/json_text.hpp"

#include "brandchat/protocol/server_message.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

namespace brandchat::protocol {

namespace {

void append(std::string& out, boost::json::value const& v) {
    switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: out += std::to_string(v.get_int64()); break;
    case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case boost::json::kind::double_: append_json_number(out, v.get_double()); break;
    case boost::json::kind::string: append_json_string(out, v.get_string()); break;
    case boost::json::kind::array: {
        out += '[';
        bool first = true;
        for (auto const& item : v.get_array()) {
            if (!first) out += ',';
            first = false;
            append(out, item);
        }
        out += ']';
        break;
    }
    case boost::json::kind::object: {
        out += '{';
        bool first = true;
        for (auto const& [key, item] : v.get_object()) {
            if (!first) out += ',';
            first = false;
            append_json_string(out, key);
            out += ':';
            append(out, item);
        }
        out += '}';
        break;
    }
    }
}

} // namespace

void append_json_number(std::string& out, double number) {
    if (!std::isfinite(number)) {
        out += "null"; // JSON has no NaN or infinity
        return;
    }
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number); // shortest form that reads back exactly
    std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
    out += text;
    if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0"; // a double stays one when read back
}

std::string json_text(boost::json::value const& value) {
    std::string out;
    append(out, value);
    return out;
}

} // namespace brandchat::protocol
