// What a management API handler gets (ApiCall) and the answers it gives, private to source/api/.
// Errors are shaped as FastAPI shapes them, so the original system's clients read them:
// {"detail": "Brand not found"} for a 4xx, and for invalid input 422 with one entry per field,
// {"detail": [{"loc": ["body", "price"], "msg": "...", "type": "..."}]}.
#pragma once

#include "brandchat/api/keys.hpp"
#include "brandchat/net/http_api.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

struct Brand;
struct Product;
struct ServerContext;

namespace api {

namespace json = boost::json;

struct ApiCall {
    ServerContext& server;
    HttpRequest const& request;
    std::vector<std::string> params;      // the route's {...} segments, decoded, in order
    std::optional<Principal> principal;   // the key's owner, when the request presented a valid key

    std::string const& param(std::size_t i) const { return params.at(i); }
    // A query parameter (?name=value), decoded; nothing when absent.
    std::optional<std::string> query(std::string_view name) const;
};

using Handler = boost::asio::awaitable<HttpResponse> (*)(ApiCall&);

enum class Access {
    open,  // anyone: the catalog's reads, search, chat
    brand, // a key of the brand the route names ({brand_id}, the first parameter), or an admin key
    admin, // an admin key
};

struct Route {
    std::string_view method;
    std::string_view pattern; // "/brands/{id}/products/{product_id}": {...} matches one segment
    Access access;
    Handler handler;
};

std::span<Route const> brand_routes();
std::span<Route const> product_routes();
std::span<Route const> conversation_routes();
std::span<Route const> key_routes();
std::span<Route const> upload_routes();

// Answers.
HttpResponse json_answer(json::value const& body, unsigned status = 200);
HttpResponse detail(unsigned status, std::string const& text); // {"detail": text}
HttpResponse brand_not_found();

// Invalid fields, gathered so that one answer names every one of them (422).
class FieldErrors {
public:
    void add(json::array loc, std::string msg, std::string type);
    bool empty() const { return errors_.empty(); }
    std::size_t size() const { return errors_.size(); }
    HttpResponse answer() const;

private:
    json::array errors_;
};

// The request's JSON body; a missing or invalid one is noted ("body", "json_invalid") and
// gives nothing.
std::optional<json::value> json_body(ApiCall const& call, FieldErrors& errors);
// The same for a large body (an import), parsed a slice at a time with the event loop given back
// between slices, so that chats go on meanwhile.
boost::asio::awaitable<std::optional<json::value>> large_json_body(ApiCall const& call, FieldErrors& errors);
boost::asio::awaitable<std::optional<json::value>> large_json(std::string_view text, json::array const& loc, FieldErrors& errors);
// The same, when it must be an object.
std::optional<json::object> json_object_body(ApiCall const& call, FieldErrors& errors);

// Typed fields of an object, noting what is wrong under loc + key. `required`: absent is an error.
std::optional<std::string> read_string(json::object const& o, std::string_view key, json::array const& loc, FieldErrors& errors,
                                       bool required = false);
std::optional<bool> read_bool(json::object const& o, std::string_view key, json::array const& loc, FieldErrors& errors);
json::array at(json::array loc, json::value part);

// A product as the API takes it (id, name, description, category, price ≥ 0, features,
// specifications, availability, brand_id), for `brand_id`; invalid fields are noted under loc.
// Without an id one is made when `make_id`, else it is an error.
std::optional<Product> read_product(json::value const& v, json::array const& loc, std::string const& brand_id, FieldErrors& errors,
                                    bool make_id);

// A product import (bulk, upload): the rows checked as read_product checks one (errors under loc
// + row + field, and a repeated id), added to `found` (what was wrong before, such as a CSV cell),
// then, when nothing is, written with the store's import_products and made live. `imported` is
// how many were written (0 when errors). Each row is let go (set to null) once read, so that a
// large body's memory is given back a slice at a time, not all at once when it ends.
struct ImportOutcome {
    FieldErrors errors;
    std::size_t imported = 0;
};
boost::asio::awaitable<ImportOutcome> import_rows(ApiCall& call, std::string const& brand_id, json::array& rows,
                                                  json::array const& loc, FieldErrors found);

// The brand a route names, any (active or not), or null.
std::shared_ptr<Brand const> brand_of(ApiCall const& call);

// After a change in the store: the brand's new version goes live (net/brand_changes.hpp).
void publish_brand(ApiCall& call, std::string const& brand_id);

std::string random_id(std::string_view prefix, std::size_t bytes); // prefix + `bytes` random bytes in hex
std::string iso_time(std::int64_t ms_since_epoch); // "2026-12-01T16:22:12.123Z"
std::string now_text();                            // the store's created_at/updated_at for now

} // namespace api
} // namespace brandchat
