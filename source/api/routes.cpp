// Matches a request to a management API route, checks its key, runs its handler; what no route
// matches goes to handle_http (status, health, chat page, 404). CORS for all of it.
#include "brandchat/api/api.hpp"

#include "api_call.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/url/parse.hpp>

#include <array>

namespace brandchat {

namespace asio = boost::asio;

namespace {

std::array<std::span<api::Route const> (*)(), 5> const route_tables = {api::brand_routes, api::product_routes, api::upload_routes,
                                                                        api::conversation_routes, api::key_routes};

// The path's segments, decoded; nothing when the target is not a path ("*", garbage).
std::optional<std::vector<std::string>> segments_of(std::string_view target) {
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return std::nullopt;
    std::vector<std::string> out;
    for (auto const& s : url->segments()) out.push_back(s);
    return out;
}

// The {...} values when `pattern` matches the segments.
std::optional<std::vector<std::string>> match(std::string_view pattern, std::vector<std::string> const& segments) {
    std::vector<std::string> params;
    std::size_t i = 0;
    pattern.remove_prefix(1);
    while (!pattern.empty()) {
        auto end = std::min(pattern.find('/'), pattern.size());
        auto part = pattern.substr(0, end);
        pattern.remove_prefix(std::min(end + 1, pattern.size()));
        if (i >= segments.size()) return std::nullopt;
        auto const& segment = segments[i++];
        if (part.starts_with('{')) {
            if (segment.empty()) return std::nullopt;
            params.push_back(segment);
        } else if (part != segment) {
            return std::nullopt;
        }
    }
    if (i != segments.size()) return std::nullopt;
    return params;
}

// 401 without a valid key, 403 with a key that may not do this.
// A brand key is held to the brand a route names as {brand_id}; on a route without one (GET
// /uploads) the handler shows only what the key may see.
std::optional<HttpResponse> refusal(api::Route const& route, api::ApiCall const& call) {
    auto access = route.access;
    if (access == api::Access::open) return std::nullopt;
    auto key = presented_key(call.request.authorization, call.request.api_key);
    if (!call.principal) {
        auto res = api::detail(401, key.empty() ? "Not authenticated: send an API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
                                                : "Invalid API key");
        res.headers.emplace_back("WWW-Authenticate", "Bearer");
        return res;
    }
    if (access == api::Access::admin && !call.principal->admin()) return api::detail(403, "This needs an admin key");
    bool names_brand = route.pattern.find("{brand_id}") != std::string_view::npos;
    if (access == api::Access::brand && names_brand && !call.principal->may_act_on(call.params.front()))
        return api::detail(403, "This key may not act on brand '" + call.params.front() + "'");
    return std::nullopt;
}

// Percent-decoding can make bytes that are not text (%FF): such a path parameter or query value
// is refused before any handler sees it, as FastAPI refuses it, so that nothing stores it and no
// answer carries it (a brand named "\xFF" made every brand list invalid JSON).
std::optional<HttpResponse> undecodable(api::Route const& route, std::vector<std::string> const& params, std::string_view target) {
    api::FieldErrors errors;
    constexpr auto msg = "Input should be a valid string, unable to parse raw data as a unicode string";
    std::size_t i = 0;
    for (auto pattern = route.pattern; !pattern.empty();) {
        auto open = pattern.find('{');
        if (open == std::string_view::npos) break;
        auto close = pattern.find('}', open);
        auto name = pattern.substr(open + 1, close - open - 1);
        if (i < params.size() && !valid_utf8(params[i])) errors.add({"path", name}, msg, "string_unicode");
        ++i;
        pattern.remove_prefix(close + 1);
    }
    if (auto url = boost::urls::parse_origin_form(target)) {
        for (auto const& param : url->params()) {
            if (!valid_utf8(param.key)) errors.add({"query"}, msg, "string_unicode");
            else if (!valid_utf8(param.value)) errors.add({"query", param.key}, msg, "string_unicode");
        }
    }
    if (errors.empty()) return std::nullopt;
    return errors.answer();
}

struct FoundRoute {
    bool path_known = false;           // some route has this path
    api::Route const* route = nullptr; // the one for this method
    std::vector<std::string> params;
    std::string allow;                 // the path's methods, when none is this one
};

FoundRoute find_route(std::vector<std::string> const& segments, std::string_view method) {
    if (method == "HEAD") method = "GET";
    FoundRoute found;
    for (auto table : route_tables) {
        for (auto const& route : table()) {
            auto params = match(route.pattern, segments);
            if (!params) continue;
            found.path_known = true;
            if (route.method == method) {
                found.route = &route;
                found.params = std::move(*params);
                return found;
            }
            if (found.allow.find(route.method) == std::string::npos)
                found.allow += (found.allow.empty() ? "" : ", ") + std::string(route.method);
        }
    }
    return found;
}

} // namespace

std::size_t body_limit_for(ServerContext const& server, std::string_view method, std::string_view target) {
    constexpr std::size_t plain = 64 * 1024;
    if (method != "POST" && method != "PUT") return plain;
    auto path = target.substr(0, target.find('?'));
    bool import = path.ends_with("/products/bulk") || path.ends_with("/upload/products");
    return import ? std::max(server.options.max_import_bytes, plain) : plain;
}

asio::awaitable<HttpResponse> answer_http(ServerContext& server, HttpRequest request) {
    auto segments = segments_of(request.target);
    auto found = segments ? find_route(*segments, request.method) : FoundRoute{};
    if (!found.path_known) co_return handle_http(server, request); // adds its own CORS headers
    HttpResponse res;
    if (request.method == "OPTIONS") {
        // A preflight for any route: what the route allows is checked on the request itself.
        res.status = 204;
        res.content_type.clear();
        res.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        res.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, Authorization, X-API-Key");
        res.headers.emplace_back("Access-Control-Max-Age", "600");
    } else if (!found.route) {
        res = api::detail(405, "Method Not Allowed");
        res.headers.emplace_back("Allow", found.allow);
    } else {
        api::ApiCall call{server, request, std::move(found.params), std::nullopt};
        call.principal = server.keys.authenticate(presented_key(request.authorization, request.api_key));
        bool writes = found.route->access != api::Access::open && request.method != "GET" && request.method != "HEAD";
        if (auto refused = refusal(*found.route, call)) {
            res = std::move(*refused);
        } else if (auto bad = undecodable(*found.route, call.params, request.target)) {
            res = std::move(*bad);
        } else if (writes && server.store && server.store->importing()) {
            // One import at a time holds the database's write lock (store.hpp): changes wait for it.
            res = api::detail(409, "A product import is under way; try again when it has ended");
            res.headers.emplace_back("Retry-After", "2");
        } else {
            try {
                res = co_await found.route->handler(call);
            } catch (std::exception const& e) {
                log::event(log::Level::error, "http failed",
                           {{"request", request.id}, {"method", request.method}, {"target", std::string_view(request.target).substr(0, 200)},
                            {"error", e.what()}});
                res = api::detail(500, "The server could not do this; nothing was changed. Try again");
            }
        }
    }
    add_cors(server, request, res);
    co_return res;
}

} // namespace brandchat
