#include "brandchat/net/http_front.hpp"

#include "brandchat/log.hpp"
#include "brandchat/api/api.hpp"
#include "brandchat/net/http_api.hpp"
#include "brandchat/net/origin_policy.hpp"
#include "brandchat/net/request_checks.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>

namespace brandchat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// /ws/chat/{id} or /ws/voice/{id}: the brand id, or nullopt for any other path.
std::optional<std::pair<std::string, bool>> websocket_route(std::string_view target) {
    target = target.substr(0, target.find('?'));
    for (auto [prefix, voice] : {std::pair{std::string_view("/ws/chat/"), false}, std::pair{std::string_view("/ws/voice/"), true}})
        if (target.starts_with(prefix) && target.size() > prefix.size() && target.substr(prefix.size()).find('/') == std::string_view::npos)
            return std::pair{std::string(target.substr(prefix.size())), voice};
    return std::nullopt;
}

http::response<http::string_body> to_beast(HttpResponse const& r, unsigned version, bool keep_alive, bool head) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "brandchat/" BRANDCHAT_VERSION);
    if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
    for (auto const& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    if (head) res.body().clear(); // Content-Length stays that of the GET
    return res;
}


} // namespace

RequestHead head_of(http::request<http::string_body> const& req) {
    RequestHead head;
    head.version = req.version();
    auto all = [&](http::field f, std::vector<std::string_view>& out) {
        for (auto [it, end] = req.equal_range(f); it != end; ++it) out.push_back(it->value());
    };
    all(http::field::host, head.hosts);
    all(http::field::transfer_encoding, head.transfer_encodings);
    head.content_length = req.count(http::field::content_length) > 0;
    head.websocket_upgrade = beast::websocket::is_upgrade(req);
    all(http::field::sec_websocket_key, head.websocket_keys);
    return head;
}

// Answers `status` with a JSON detail and closes: whatever else the client sent is not read as
// a request. The send side is shut first and the rest read briefly, so the answer is not lost
// to a reset.
asio::awaitable<void> refuse(beast::tcp_stream& stream, unsigned status, std::string const& detail, unsigned version) {
    auto res = to_beast(problem(status, detail), version == 10 ? 10 : 11, false, false);
    stream.expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, res, as_tuple(use_awaitable));
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(std::chrono::seconds(1));
    std::array<char, 512> sink;
    for (std::size_t drained = 0; drained < 64 * 1024;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), as_tuple(use_awaitable));
        if (ec) break;
        drained += n;
    }
}

// Answers plain HTTP until the client leaves or asks for a WebSocket. Its frame (parser,
// buffers) is gone before the WebSocket session starts, so idle sockets stay small.
asio::awaitable<std::optional<Upgrade>> serve_http(beast::tcp_stream& stream, ServerContext& server, std::string const& remote_address) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        // Beast checks a Content-Length against the limit as it reads the header, so the header is
        // read under the largest limit, and the request's own (a product import may send more
        // than any other request: --max-import-bytes) is applied once the target is known.
        parser.body_limit(std::max<std::size_t>(server.options.max_import_bytes, 64 * 1024));
        stream.expires_after(std::chrono::seconds(30));
        auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, as_tuple(use_awaitable));
        std::size_t limit = 0;
        if (!ec) {
            limit = body_limit_for(server, parser.get().method_string(), parser.get().target());
            if (parser.content_length() && *parser.content_length() > limit) ec = http::error::body_limit;
            parser.body_limit(limit); // for a chunked body, checked as it arrives
        }
        if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
        if (ec) {
            if (ec == http::error::body_limit) {
                if (limit == 0) limit = std::max<std::size_t>(server.options.max_import_bytes, 64 * 1024);
                co_await refuse(stream, 413, "Request body too large: at most " + std::to_string(limit) + " bytes here", 11);
            } else if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::connection_reset &&
                       ec != asio::error::eof) {
                co_await refuse(stream, 400, "Bad request: " + ec.message(), 11);
            }
            co_return std::nullopt;
        }
        auto req = parser.release();
        if (auto refusal = refuse_request(head_of(req))) {
            co_await refuse(stream, 400, *refusal, req.version());
            co_return std::nullopt;
        }
        if (beast::websocket::is_upgrade(req)) {
            if (auto route = websocket_route(req.target())) {
                auto brand = server.brands.find_active(route->first);
                static std::vector<std::string> const none;
                auto origin = req[http::field::origin];
                if (!origin_allowed(origin, req[http::field::host], brand ? brand->allowed_origins : none, server.options.allowed_origins)) {
                    log::event(log::Level::info, "websocket refused",
                               {{"brand", route->first}, {"origin", std::string_view(origin).substr(0, 100)}, {"from", remote_address},
                                {"why", "origin not allowed"}});
                    co_await refuse(stream, 403,
                                    "Origin '" + std::string(std::string_view(origin).substr(0, 100)) +
                                        "' may not open this chat: add it to the brand's allowed_origins or --allowed-origins",
                                    req.version());
                    co_return std::nullopt;
                }
                Upgrade up;
                up.brand = std::move(brand);
                up.brand_id = route->first;
                up.voice = route->second;
                up.request = std::move(req);
                co_return up;
            }
        }
        HttpRequest request{std::string(req.method_string()), std::string(req.target()), std::string(req[http::field::origin]),
                            std::string(req[http::field::if_none_match]), std::string(req[http::field::accept_encoding]),
                            std::string(req[http::field::authorization]), std::string(req["X-API-Key"]),
                            std::string(req[http::field::content_type]), std::move(req.body()), remote_address,
                            ++server.stats.http_requests};
        auto const request_id = request.id;
        auto answer = co_await answer_http(server, std::move(request));
        bool keep_alive = req.keep_alive() && !server.stopping;
        auto res = to_beast(answer, req.version(), keep_alive, req.method() == http::verb::head);
        auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
        ++bounded_entry(server.stats.http_by_status, std::to_string(answer.status));
        log::event(log::Level::debug, "http",
                   {{"request", request_id}, {"method", std::string_view(req.method_string())},
                    {"target", std::string_view(req.target()).substr(0, 200)}, {"status", answer.status}, {"from", remote_address}});
        if (wec || !keep_alive) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return std::nullopt;
        }
    }
}

} // namespace brandchat
