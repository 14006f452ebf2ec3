// What every resource file of the API shares: answers, field checks, the product reader, and
// making a change live.
#include "api_call.hpp"

#include "brandchat/catalog/brand.hpp"
#include "brandchat/config/parse_number.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/net/background_slices.hpp"
#include "brandchat/net/brand_changes.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/protocol/json_text.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <cmath>
#include <ctime>
#include <openssl/rand.h>

namespace brandchat::api {

namespace asio = boost::asio;

std::optional<std::string> ApiCall::query(std::string_view name) const {
    auto url = boost::urls::parse_origin_form(request.target);
    if (!url) return std::nullopt;
    auto params = url->params();
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string((*it).value);
}

HttpResponse json_answer(json::value const& body, unsigned status) {
    HttpResponse r;
    r.status = status;
    r.body = protocol::json_text(body); // prices as 23999000.0, not 2.3999E7
    return r;
}

HttpResponse detail(unsigned status, std::string const& text) {
    // The text often echoes what the client sent: at most 300 bytes of it, not cut inside a
    // character. It is UTF-8 because what it echoes is: the router refuses path and query values
    // that are not (routes.cpp, undecodable), and Boost.JSON's parser refuses such bodies.
    auto shown = std::string_view(text).substr(0, utf8_prefix_length(text, 300));
    return json_answer(json::object{{"detail", std::string(shown)}}, status);
}

HttpResponse brand_not_found() { return detail(404, "Brand not found"); }

void FieldErrors::add(json::array loc, std::string msg, std::string type) {
    if (errors_.size() >= 100) return; // enough to fix a file by; the rest after
    errors_.push_back(json::object{{"loc", std::move(loc)}, {"msg", std::move(msg)}, {"type", std::move(type)}});
}

HttpResponse FieldErrors::answer() const { return json_answer(json::object{{"detail", errors_}}, 422); }

json::array at(json::array loc, json::value part) {
    loc.push_back(std::move(part));
    return loc;
}

std::optional<json::value> json_body(ApiCall const& call, FieldErrors& errors) {
    auto const& body = call.request.body;
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
        errors.add({"body"}, "Field required", "missing");
        return std::nullopt;
    }
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec) {
        errors.add({"body"}, "JSON decode error: " + ec.message(), "json_invalid");
        return std::nullopt;
    }
    return v;
}

asio::awaitable<std::optional<json::value>> large_json_body(ApiCall const& call, FieldErrors& errors) {
    if (call.request.body.find_first_not_of(" \t\r\n") == std::string::npos) co_return json_body(call, errors); // "Field required"
    json::array const loc{"body"}; // named: GCC 12 cannot take a braced list as a coroutine's argument
    co_return co_await large_json(call.request.body, loc, errors);
}

asio::awaitable<std::optional<json::value>> large_json(std::string_view body, json::array const& loc, FieldErrors& errors) {
    constexpr std::size_t piece = 16 * 1024; // a few tens of microseconds of parsing
    BackgroundSlices slices;
    json::stream_parser parser;
    boost::system::error_code ec;
    for (std::size_t at = 0; at < body.size() && !ec; at += piece) {
        parser.write(body.data() + at, std::min(piece, body.size() - at), ec);
        if (slices.due()) co_await slices.give_back();
    }
    if (!ec) parser.finish(ec);
    if (ec) {
        errors.add(loc, "JSON decode error: " + ec.message(), "json_invalid");
        co_return std::nullopt;
    }
    co_return parser.release();
}

std::optional<json::object> json_object_body(ApiCall const& call, FieldErrors& errors) {
    auto v = json_body(call, errors);
    if (!v) return std::nullopt;
    if (!v->is_object()) {
        errors.add({"body"}, "Input should be a valid dictionary or object", "dict_type");
        return std::nullopt;
    }
    return std::move(v->get_object());
}

std::optional<std::string> read_string(json::object const& o, std::string_view key, json::array const& loc, FieldErrors& errors,
                                       bool required) {
    auto const* v = o.if_contains(key);
    if (!v || v->is_null()) {
        if (required) errors.add(at(loc, json::string(key)), "Field required", "missing");
        return std::nullopt;
    }
    if (!v->is_string()) {
        errors.add(at(loc, json::string(key)), "Input should be a valid string", "string_type");
        return std::nullopt;
    }
    return std::string(v->get_string()); // Boost.JSON refuses invalid UTF-8 as it parses
}

std::optional<bool> read_bool(json::object const& o, std::string_view key, json::array const& loc, FieldErrors& errors) {
    auto const* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_bool()) return v->get_bool();
    if (v->is_string() && (v->get_string() == "true" || v->get_string() == "false")) return v->get_string() == "true";
    errors.add(at(loc, json::string(key)), "Input should be a valid boolean", "bool_type");
    return std::nullopt;
}

namespace {

// Ids go into URLs, logs and the store: printable, no slash, at most 200 bytes.
bool acceptable_id(std::string const& id) {
    if (id.empty() || id.size() > 200 || id.find_first_of("/\\") != std::string::npos) return false;
    for (unsigned char c : id)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

} // namespace

std::optional<Product> read_product(json::value const& v, json::array const& loc, std::string const& brand_id, FieldErrors& errors,
                                    bool make_id) {
    auto before = errors.size();
    if (!v.is_object()) {
        errors.add(loc, "Input should be a valid dictionary or object", "dict_type");
        return std::nullopt;
    }
    auto const& o = v.get_object();
    Product p;
    if (auto id = read_string(o, "id", loc, errors, !make_id)) {
        if (!acceptable_id(*id)) errors.add(at(loc, "id"), "An id must be 1 to 200 printable characters without '/'", "value_error");
        p.id = std::move(*id);
    } else if (make_id && !o.contains("id")) {
        p.id = random_id("prod-", 8);
    }
    if (auto name = read_string(o, "name", loc, errors, true)) {
        if (name->find_first_not_of(" \t\r\n") == std::string::npos) errors.add(at(loc, "name"), "A name must not be blank", "value_error");
        p.name = std::move(*name);
    }
    if (auto category = read_string(o, "category", loc, errors, true)) p.category = std::move(*category);
    if (auto description = read_string(o, "description", loc, errors)) p.description = std::move(*description);
    if (auto const* price = o.if_contains("price"); !price || price->is_null()) {
        errors.add(at(loc, "price"), "Field required", "missing");
    } else {
        std::optional<double> value;
        if (price->is_number()) value = price->to_number<double>();
        else if (price->is_string()) value = parse_number<double>(price->get_string());
        if (!value || !std::isfinite(*value)) errors.add(at(loc, "price"), "Input should be a valid number", "float_type");
        else if (*value < 0) errors.add(at(loc, "price"), "Input should be greater than or equal to 0", "greater_than_equal");
        else p.price = *value;
    }
    if (auto const* features = o.if_contains("features"); features && !features->is_null()) {
        if (!features->is_array()) {
            errors.add(at(loc, "features"), "Input should be a valid list", "list_type");
        } else {
            std::size_t i = 0;
            for (auto const& f : features->get_array()) {
                if (f.is_string()) p.features.emplace_back(f.get_string());
                else errors.add(at(at(loc, "features"), i), "Input should be a valid string", "string_type");
                ++i;
            }
        }
    }
    if (auto const* specs = o.if_contains("specifications"); specs && !specs->is_null()) {
        if (!specs->is_object()) {
            errors.add(at(loc, "specifications"), "Input should be a valid dictionary", "dict_type");
        } else {
            for (auto const& [key, value] : specs->get_object()) {
                p.specifications.emplace_back(std::string(key),
                                              value.is_string() ? std::string(value.get_string()) : json::serialize(value));
            }
        }
    }
    if (auto available = read_bool(o, "availability", loc, errors)) p.availability = *available;
    for (auto [key, field] : {std::pair{"image_url", &p.image_url}, std::pair{"url", &p.url}}) {
        auto text = read_string(o, key, loc, errors);
        if (!text) continue;
        if (auto problem = web_address_problem(*text)) errors.add(at(loc, key), "Input should be a valid URL: it " + *problem, "url_parsing");
        else *field = std::move(*text);
    }
    if (auto owner = read_string(o, "brand_id", loc, errors); owner && *owner != brand_id)
        errors.add(at(loc, "brand_id"), "The product names brand '" + *owner + "', not '" + brand_id + "'", "value_error");
    if (errors.size() != before) return std::nullopt;
    derive_product_fields(p, false);
    return p;
}

std::string random_id(std::string_view prefix, std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("no randomness for an id");
    std::string out(prefix);
    for (auto b : raw) {
        out += "0123456789abcdef"[b >> 4];
        out += "0123456789abcdef"[b & 15];
    }
    return out;
}

std::shared_ptr<Brand const> brand_of(ApiCall const& call) { return call.server.brands.find(call.param(0)); }

void publish_brand(ApiCall& call, std::string const& brand_id) { apply_brand_change(call.server, brand_id); }

std::string iso_time(std::int64_t ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", text, static_cast<int>(ms % 1000));
    return out;
}

std::string now_text() { return iso_time(wall_clock_ms()); }

} // namespace brandchat::api
