// API keys: an admin key lists them (without the keys: only hashes are kept), creates one (the
// key is in that answer and nowhere else, ever) and revokes one.
#include "api_call.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/json.hpp>

namespace brandchat::api {

namespace asio = boost::asio;

namespace {

json::object key_json(ApiKeyRecord const& k) {
    return json::object{{"id", k.id},
                        {"brand_id", k.brand_id ? json::value(*k.brand_id) : json::value(nullptr)},
                        {"scope", k.brand_id ? "brand" : "admin"},
                        {"label", k.label},
                        {"created_at", iso_time(k.created_at_ms)}};
}

asio::awaitable<HttpResponse> list_keys(ApiCall& call) {
    json::array out;
    for (auto const& k : call.server.keys.records()) out.push_back(key_json(k));
    co_return json_answer(out);
}

// {brand_id: "techpro" | null, label: "..."}: brand_id null or absent makes an admin key.
asio::awaitable<HttpResponse> create_key(ApiCall& call) {
    FieldErrors errors;
    json::object o;
    if (call.request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
        if (auto body = json_object_body(call, errors)) o = std::move(*body);
    }
    auto brand = read_string(o, "brand_id", {"body"}, errors);
    auto label = read_string(o, "label", {"body"}, errors).value_or("");
    if (brand && !call.server.brands.find(*brand)) errors.add({"body", "brand_id"}, "Brand '" + *brand + "' not found", "value_error");
    if (label.size() > 200) errors.add({"body", "label"}, "A label is at most 200 bytes", "string_too_long");
    if (!errors.empty()) co_return errors.answer();
    auto [key, record] = make_api_key(brand, label);
    call.server.store->save_key(record);
    call.server.keys.add(record);
    log::event(log::Level::info, "api key created",
               {{"brand", brand ? std::string_view(*brand) : std::string_view()}, {"key_id", record.id}, {"admin", !brand},
                {"by_key", call.principal->key_id}});
    auto out = key_json(record);
    out["key"] = key;
    co_return json_answer(out, 201);
}

asio::awaitable<HttpResponse> revoke_key(ApiCall& call) {
    if (!call.server.store->delete_key(call.param(0))) co_return detail(404, "API key not found");
    call.server.keys.remove(call.param(0));
    log::event(log::Level::info, "api key revoked", {{"key_id", call.param(0)}, {"by_key", call.principal->key_id}});
    co_return json_answer(json::object{{"message", "API key revoked"}, {"id", call.param(0)}});
}

constexpr Route routes[] = {
    {"GET", "/keys", Access::admin, list_keys},
    {"POST", "/keys", Access::admin, create_key},
    {"DELETE", "/keys/{key_id}", Access::admin, revoke_key},
};

} // namespace

std::span<Route const> key_routes() { return routes; }

} // namespace brandchat::api
