#include "brandchat/net/http_api.hpp"

#include "brandchat/language/text.hpp"
#include "brandchat/log.hpp"
#include "brandchat/net/field_values.hpp"
#include "brandchat/net/metrics_page.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/static_site.hpp"
#include "brandchat/protocol/server_message.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string_view>

namespace brandchat {

namespace json = boost::json;

namespace {

HttpResponse json_response(unsigned status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

std::string status_json(ServerContext const& server) {
    json::object o;
    o["message"] = "Multi-Brand Chatbot API is running";
    o["status"] = "running";
    o["version"] = BRANDCHAT_VERSION;
    o["timestamp"] = protocol::iso_timestamp_now();
    auto active = server.brands.active();
    o["active_brands"] = active.size();
    json::array brands;
    for (auto const& b : active) brands.push_back(json::object{{"id", b->id}, {"name", b->name}});
    o["brands"] = std::move(brands);
    return json::serialize(o);
}

std::string health_json(ServerContext const& server) {
    json::object o;
    o["status"] = "healthy";
    o["version"] = BRANDCHAT_VERSION;
    o["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - server.started).count();
    o["responder"] = server.responder ? std::string(server.responder->name()) : "none";
    o["active_connections"] = server.sessions.size();
    o["conversations"] = server.conversations.size();
    o["connections_total"] = server.stats.connections_total;
    o["replies_total"] = server.stats.replies_total;
    o["replies_failed"] = server.stats.replies_failed;
    o["chunks_total"] = server.stats.chunks_total;
    o["socket_writes_total"] = socket_writes_total();
    json::object tokens{{"prompt", server.stats.prompt_tokens}, {"completion", server.stats.completion_tokens}};
    o["tokens"] = std::move(tokens);
    json::object by_brand;
    for (auto const& [brand, usage] : server.stats.usage_by_brand)
        by_brand[brand] = json::object{{"prompt", usage.prompt}, {"completion", usage.completion}, {"total", usage.total}};
    o["tokens_by_brand"] = std::move(by_brand);
    json::array skipped;
    for (auto const& why : server.import_problems) skipped.emplace_back(why);
    o["import_problems"] = std::move(skipped);
    if (server.store) {
        auto const& c = server.store->counters();
        o["store"] = json::object{{"database", server.store->describe()},
                                  {"exchanges_written", c.exchanges_written},
                                  {"commits", c.commits},
                                  {"write_errors", c.write_errors},
                                  {"conversations_loaded", c.conversations_loaded},
                                  {"conversations_expired", c.conversations_expired}};
    }
    return json::serialize(o);
}

HttpResponse static_file(StaticSite const& site, std::string const& relative, HttpRequest const& req) {
    auto const* file = site.find(relative);
    if (!file) return problem(404, "Not found");
    bool gzip = !file->gzip_body.empty() && accepts_gzip(req.accept_encoding);
    auto const& etag = gzip ? file->etag_gzip : file->etag;
    HttpResponse r;
    r.headers.emplace_back("ETag", etag);
    // Revalidate every time: pages change with the server, and a 304 costs almost nothing.
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (!file->gzip_body.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (etag_matches(req.if_none_match, etag)) {
        r.status = 304;
        r.content_type.clear();
        return r;
    }
    if (gzip) r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = gzip ? file->gzip_body : file->body;
    r.content_type = file->content_type;
    return r;
}

// The file of resources/api/ a path names: /openapi.json, /asyncapi.json, the page that renders
// them (/docs) and its script and style sheet (/docs/...); nothing for any other path.
std::optional<std::string> api_document(std::string_view path) {
    if (path == "/openapi.json" || path == "/asyncapi.json") return std::string(path.substr(1));
    if (path == "/docs" || path == "/docs/") return "docs.html";
    if (path.starts_with("/docs/")) return std::string(path.substr(6));
    return std::nullopt;
}

// The docs page loads its own script, style sheet and the two documents, and nothing else: the
// browser refuses any other origin, inline script and framing.
constexpr char docs_page_policy[] = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
                                    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

} // namespace

void add_cors(ServerContext const& server, HttpRequest const& req, HttpResponse& res) {
    auto const& allowed = server.options.cors_origins;
    if (allowed == "*") {
        res.headers.emplace_back("Access-Control-Allow-Origin", "*");
    } else if (!req.origin.empty()) {
        bool listed = false;
        for_each_list_element(allowed, [&](std::string_view origin) { listed = listed || origin == req.origin; });
        if (listed) res.headers.emplace_back("Access-Control-Allow-Origin", req.origin);
        res.headers.emplace_back("Vary", "Origin");
    }
}

HttpResponse problem(unsigned status, std::string const& detail) {
    // The detail often echoes what the client sent (a path, a brand id): at most 300 bytes of
    // it, and invalid UTF-8 replaced, so the answer is always valid JSON.
    std::string body = R"({"detail":)";
    protocol::append_json_string(body, std::string_view(detail).substr(0, utf8_prefix_length(detail, 300)));
    body += "}";
    return json_response(status, std::move(body));
}

// For a load balancer: 200 while this instance takes conversations; 503 while its store does not
// answer a query, or while it is draining (SIGTERM: it finishes the replies in flight and takes no
// new ones). Draining closes the listening socket at once, so a probe on a new connection is
// refused then, and one on a connection already open gets the 503. /health stays a plain
// liveness answer.
static HttpResponse readiness(ServerContext const& server) {
    std::string reason;
    if (server.stopping) {
        reason = "draining: the server is stopping";
    } else if (!server.store) {
        reason = "no store";
    } else {
        try {
            server.store->brand_count();
        } catch (std::exception const& e) {
            reason = std::string("the store does not answer: ") + e.what();
        }
    }
    std::string body = reason.empty() ? R"({"status":"ready"})" : R"({"status":"not ready","reason":)";
    if (!reason.empty()) {
        protocol::append_json_string(body, std::string_view(reason).substr(0, utf8_prefix_length(reason, 300)));
        body += "}";
    }
    auto res = json_response(reason.empty() ? 200 : 503, std::move(body));
    if (!reason.empty()) res.headers.emplace_back("Retry-After", "2");
    return res;
}

HttpResponse handle_http(ServerContext const& server, HttpRequest const& req) {
    std::string path = req.target.substr(0, req.target.find('?'));
    bool read = req.method == "GET" || req.method == "HEAD";
    bool api = path == "/" || path == "/health" || path == "/ready" || path == "/metrics";

    HttpResponse res;
    if (req.method == "OPTIONS" && api) {
        res.status = 204;
        res.content_type.clear();
        res.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        res.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
        res.headers.emplace_back("Access-Control-Max-Age", "600");
    } else if (path == "/ui") {
        res.status = 308;
        res.content_type.clear();
        res.headers.emplace_back("Location", "/ui/");
    } else if (path.starts_with("/ui/")) {
        res = read ? static_file(server.ui, path.substr(4), req) : problem(405, "Method not allowed: use GET");
        if (res.status == 405) res.headers.emplace_back("Allow", "GET, HEAD");
        return res;
    } else if (auto document = api_document(path)) {
        // With CORS (below), so that other tools may read the documents.
        res = read ? static_file(server.api_docs, *document, req) : problem(405, "Method not allowed: use GET");
        if (res.status == 405) res.headers.emplace_back("Allow", "GET, HEAD");
        else if (document->ends_with(".html")) res.headers.emplace_back("Content-Security-Policy", docs_page_policy);
    } else if (path.starts_with("/ws/chat/") || path.starts_with("/ws/voice/")) {
        res = problem(426, "This is a WebSocket endpoint: connect with a WebSocket client");
        res.headers.emplace_back("Upgrade", "websocket");
    } else if (!api) {
        res = problem(404, "Not found: " + path);
    } else if (!read) {
        res = problem(405, "Method not allowed: " + req.method + " " + path + " (use GET)");
        res.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
    } else if (path == "/") {
        res = json_response(200, status_json(server));
    } else if (path == "/ready") {
        res = readiness(server);
    } else if (path == "/metrics") {
        res.content_type = PrometheusText::content_type;
        res.body = metrics_text(server);
    } else {
        res = json_response(200, health_json(server));
    }
    add_cors(server, req, res);
    return res;
}

} // namespace brandchat
