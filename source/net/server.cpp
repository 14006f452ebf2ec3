#include "brandchat/net/server.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/http_api.hpp"
#include "brandchat/net/origin_policy.hpp"
#include "brandchat/net/request_checks.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/session.hpp"
#include "brandchat/net/transport.hpp"
#include "brandchat/reply/catalog_responder.hpp"
#include "brandchat/reply/responder_factory.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <filesystem>
#include <dlfcn.h>
#include <malloc.h>
#include <optional>
#include <unordered_set>

namespace brandchat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

struct Upgrade {
    http::request<http::string_body> request;
    std::shared_ptr<Brand const> brand;
    std::string brand_id;
    bool voice = false;
};

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
asio::awaitable<std::optional<Upgrade>> serve_http(beast::tcp_stream& stream, ServerContext& server) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(64 * 1024);
        stream.expires_after(std::chrono::seconds(30));
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
        if (ec) {
            if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::connection_reset &&
                ec != asio::error::eof)
                co_await refuse(stream, 400, "Bad request: " + ec.message(), 11);
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
                    log::info("websocket refused: origin '", std::string_view(origin).substr(0, 100), "' is not allowed for brand ",
                              route->first);
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
                            std::string(req[http::field::if_none_match]), std::string(req[http::field::accept_encoding])};
        auto answer = handle_http(server, request);
        bool keep_alive = req.keep_alive() && !server.stopping;
        auto res = to_beast(answer, req.version(), keep_alive, req.method() == http::verb::head);
        auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
        log::debug("http ", request.method, " ", request.target, " -> ", answer.status);
        if (wec || !keep_alive) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return std::nullopt;
        }
    }
}

// Plain-HTTP connections in progress, so that stopping the server does not wait for idle
// keep-alive sockets to time out.
using HttpStreams = std::unordered_set<beast::tcp_stream*>;

// One of an address's open connections (--max-connections-per-address), given back when the
// connection's coroutine ends, however it ends.
class AddressSlot {
public:
    AddressSlot(ServerContext& server, std::string address) : server_(server), address_(std::move(address)) {
        ++server_.connections_by_address[address_];
    }
    ~AddressSlot() {
        auto it = server_.connections_by_address.find(address_);
        if (it != server_.connections_by_address.end() && --it->second == 0) server_.connections_by_address.erase(it);
    }
    AddressSlot(AddressSlot const&) = delete;
    AddressSlot& operator=(AddressSlot const&) = delete;

private:
    ServerContext& server_;
    std::string address_; // a copy: the connection's own is moved into its session
};

bool address_full(ServerContext const& server, std::string const& address) {
    auto limit = server.options.max_connections_per_address;
    if (limit == 0) return false;
    auto it = server.connections_by_address.find(address);
    return it != server.connections_by_address.end() && it->second >= limit;
}

asio::awaitable<void> serve_connection(tcp::socket socket, ServerContext& server, HttpStreams& http_streams) {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? "unknown" : endpoint.address().to_string();
    // The stream is created inside the session's transport from the start: moving a tcp_stream
    // leaves the moved-from one holding a second implementation (timers and all) per connection.
    auto transport = std::make_unique<Session::Transport>(beast::tcp_stream(std::move(socket)));
    auto& stream = beast::get_lowest_layer(transport->ws);
    if (address_full(server, remote)) {
        ++server.stats.connections_refused;
        log::debug("connection from ", remote, " refused: ", server.options.max_connections_per_address, " already open");
        co_await refuse(stream, 429,
                        "Too many connections from your address: " + std::to_string(server.options.max_connections_per_address) +
                            " are open; close some and try again",
                        11);
        co_return;
    }
    AddressSlot slot(server, remote);
    http_streams.insert(&stream);
    std::optional<Upgrade> upgrade;
    try {
        upgrade = co_await serve_http(stream, server);
    } catch (...) {
        http_streams.erase(&stream);
        throw;
    }
    http_streams.erase(&stream);
    if (!upgrade || server.stopping) co_return;
    transport->upgrade = std::move(upgrade->request);
    auto session = std::make_shared<Session>(server, std::move(transport), std::move(upgrade->brand), std::move(upgrade->brand_id),
                                             upgrade->voice, std::move(remote));
    co_await session->run();
}

} // namespace

struct Server::Impl {
    Impl(asio::io_context& io, ServerContext& ctx) : io(io), context(ctx), acceptor(io), trim_timer(io) {}

    // Allocators keep freed pages; after many connections leave, give them back to the system so
    // that a burst does not leave the process at its peak size. Checked every 2 s: cheap.
    asio::awaitable<void> release_memory_loop() {
        std::size_t level = 0; // live sessions at the last release (or the highest since)
        for (;;) {
            trim_timer.expires_after(std::chrono::seconds(2));
            auto [ec] = co_await trim_timer.async_wait(as_tuple(use_awaitable));
            if (ec || context.stopping) co_return;
            std::size_t live = context.sessions.size();
            if (level > live + 256 && live < level * 4 / 5) {
                context.sessions.rehash(0); // its buckets were sized for the peak
                context.connections_by_address.rehash(0);
                http_streams.rehash(0);
                release_free_memory();
                log::debug("released freed memory after connections left: ", level, " -> ", live, " sessions");
                level = live;
            } else {
                level = std::max(level, live);
            }
        }
    }

    static void release_free_memory() {
        // jemalloc (-DBRANDCHAT_JEMALLOC=ON, or preloaded): purge every arena's dirty pages. glibc: malloc_trim.
        using mallctl_fn = int (*)(char const*, void*, std::size_t*, void*, std::size_t);
        static auto const mallctl = reinterpret_cast<mallctl_fn>(::dlsym(RTLD_DEFAULT, "mallctl"));
        if (mallctl) mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0); // 4096: MALLCTL_ARENAS_ALL
        else ::malloc_trim(0);
    }

    asio::awaitable<void> accept_loop() {
        acceptor.non_blocking(true); // for the batch below; async_accept is unaffected
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(as_tuple(use_awaitable));
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) {
                // Out of file descriptors and the like: say so, back off briefly, keep serving.
                log::warn("accept failed: ", ec.message());
                asio::steady_timer pause(io, std::chrono::milliseconds(50));
                co_await pause.async_wait(as_tuple(use_awaitable));
                continue;
            }
            start_connection(std::move(socket));
            // One wake-up of the accept loop takes the whole backlog (up to a bound): under load
            // the loop waits behind every streaming reply for its turn, and accepting one
            // connection per turn would leave new customers waiting seconds for their welcome.
            for (int more = 0; more < 128; ++more) {
                tcp::socket next(io);
                acceptor.accept(next, ec);
                if (ec) break; // would_block: the backlog is empty (other errors: the next async_accept says)
                start_connection(std::move(next));
            }
        }
    }

    void start_connection(tcp::socket socket) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::co_spawn(io, serve_logged(std::move(socket)), asio::detached);
    }

    // A connection's failure is its own: logged, and the server goes on.
    asio::awaitable<void> serve_logged(tcp::socket socket) {
        try {
            co_await serve_connection(std::move(socket), context, http_streams);
        } catch (std::exception const& e) {
            log::error("connection failed: ", e.what());
        }
    }

    asio::io_context& io;
    ServerContext& context;
    tcp::acceptor acceptor;
    asio::steady_timer trim_timer;
    HttpStreams http_streams;
};

Server::Server(asio::io_context& io, ServerContext& context) : impl_(std::make_unique<Impl>(io, context)) {}
Server::~Server() = default;

std::uint16_t Server::listen(std::string const& host, std::uint16_t port) {
    tcp::resolver resolver(impl_->io);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive);
    tcp::endpoint endpoint = *results.begin();
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor.local_endpoint().port();
}

void Server::start() {
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    asio::co_spawn(impl_->io, impl_->release_memory_loop(), asio::detached);
}

void Server::stop() {
    impl_->context.stopping = true;
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->trim_timer.cancel();
    if (impl_->context.responder) impl_->context.responder->stop();
    // Copy: shutting a session down may end it and erase it from the set.
    std::vector<Session*> live(impl_->context.sessions.begin(), impl_->context.sessions.end());
    for (auto* s : live) s->shutdown();
    HttpStreams open_http = impl_->http_streams; // a copy: closing lets their coroutines erase themselves
    for (auto* stream : open_http) stream->socket().close(ignored);
}

void prepare_context(ServerContext& context) {
    auto& o = context.options;
    context.brands = BrandCatalog::load_directory((std::filesystem::path(o.resources) / "brands").string());
    std::vector<std::string> skipped;
    context.ui = StaticSite::load((std::filesystem::path(o.resources) / "ui").string(), &skipped);
    for (auto const& why : skipped) log::warn("chat page: not serving ", why);
    context.address_limiter = KeyedRateLimiter(o.address_rate);
    context.responder = make_responder(o);
    if (o.llm_enabled() && o.fallback_to_catalog) context.fallback_responder = std::make_unique<CatalogResponder>(o.word_delay);
    register_builtin_handlers(context.handlers);
}

std::string find_resources(std::string const& configured, std::string const& executable_path) {
    namespace fs = std::filesystem;
    if (!configured.empty()) return configured;
    std::error_code ec;
    fs::path exe = fs::weakly_canonical(executable_path, ec);
    for (auto const& candidate : {exe.parent_path() / "resources", exe.parent_path().parent_path() / "resources",
                                  exe.parent_path().parent_path() / "share" / "brandchat" / "resources"})
        if (fs::is_directory(candidate / "brands", ec)) return candidate.string();
    return BRANDCHAT_SOURCE_RESOURCES;
}

} // namespace brandchat
