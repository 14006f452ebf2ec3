#include "brandchat/reply/upstream_connection.hpp"

#include "brandchat/config/parse_number.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace brandchat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;

constexpr std::size_t max_read_buffer = 16 * 1024; // per streaming upstream connection, at most

UpstreamEndpoint parse_base_url(std::string const& url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) throw std::invalid_argument("not a URL: " + url);
    UpstreamEndpoint e;
    auto scheme = parsed->scheme();
    if (scheme == "https") e.tls = true;
    else if (scheme == "http") e.tls = false;
    else throw std::invalid_argument("the model's base URL must start with http:// or https://");
    e.host = std::string(parsed->host_address());
    if (e.host.empty()) throw std::invalid_argument("the model's base URL has no host");
    e.port = parsed->has_port() ? std::string(parsed->port()) : (e.tls ? "443" : "80");
    e.base_path = std::string(parsed->encoded_path());
    while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
    return e;
}

struct UpstreamConnection::Impl {
    Impl(asio::any_io_executor ex, ssl::context* ctx) : plain(ex), watchdog(ex) {
        if (ctx) secure.emplace(tcp_stream_type(ex), *ctx);
    }
    using tcp_stream_type = beast::tcp_stream;

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : plain; }

    beast::tcp_stream plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    std::string host;
    std::string request_head;  // reused by every request on this connection
    beast::flat_buffer buffer;
    std::optional<http::response_parser<http::string_body>> parser;
    bool closed = false;
    bool keep_alive = false;
    // The body's time limit (set_deadline). Re-arming a Beast stream timeout on every read costs a
    // timer start, a cancel and an extra handler per read; instead a read only looks at
    // `deadline`, and one watchdog coroutine per response wakes when it passes (or is brought
    // forward) to end the read in progress.
    asio::steady_timer watchdog;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    bool watching = false;   // the watchdog runs: from the first body read to the response's end
    bool timed_out = false;
    std::chrono::steady_clock::time_point written_at{}, read_at{}; // request_written_at(), last_read_at()
};

// Wakes at the deadline, and whenever it is brought forward; closes the socket once it has
// passed, so the read in progress ends (timed_out says why). Ends with the response.
asio::awaitable<void> UpstreamConnection::watch_deadline(std::shared_ptr<Impl> impl) {
    while (impl->watching && !impl->closed) {
        impl->watchdog.expires_at(impl->deadline);
        auto [ec] = co_await impl->watchdog.async_wait(as_tuple(use_awaitable));
        if (!impl->watching || impl->closed) break;
        if (!ec && std::chrono::steady_clock::now() >= impl->deadline) {
            impl->timed_out = true;
            beast::error_code ignored;
            impl->lowest().socket().close(ignored);
            break;
        }
    }
    impl->watching = false;
}

namespace {

UpstreamFailure transport_failure(beast::error_code ec, bool closed, char const* during) {
    if (closed || ec == asio::error::operation_aborted) return {UpstreamFailure::Kind::cancelled, "cancelled"};
    if (ec == beast::error::timeout) return {UpstreamFailure::Kind::timeout, std::string("timed out ") + during};
    if (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated)
        return {UpstreamFailure::Kind::tls, std::string("TLS failure ") + during + ": " + ec.message()};
    return {UpstreamFailure::Kind::broken, std::string("connection failed ") + during + ": " + ec.message()};
}

std::chrono::milliseconds parse_retry_after(http::response_header<> const& h) {
    auto number = [](std::string_view s) -> std::optional<long long> {
        long long v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || v < 0) return std::nullopt;
        return v;
    };
    if (auto ms = h.find("retry-after-ms"); ms != h.end())
        if (auto v = number(ms->value())) return std::chrono::milliseconds(*v);
    if (auto s = h.find(http::field::retry_after); s != h.end())
        if (auto v = number(s->value())) return std::chrono::milliseconds(*v * 1000);
    return std::chrono::milliseconds(-1);
}

} // namespace

std::string request_header_lines(std::vector<std::pair<std::string, std::string>> const& fields) {
    auto clean = [](std::string_view s) {
        return std::none_of(s.begin(), s.end(), [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
    };
    std::string lines;
    for (auto const& [name, value] : fields) {
        if (name.empty() || !clean(name) || name.find(':') != std::string::npos || !clean(value))
            throw std::invalid_argument("the model request header " + (clean(name) ? name : std::string("(a name)")) +
                                        " holds a line break or another control character");
        lines.append(name).append(": ").append(value).append("\r\n");
    }
    return lines;
}

UpstreamConnection::UpstreamConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
UpstreamConnection::~UpstreamConnection() {
    if (impl_) close(); // the watchdog, if it still runs, holds the rest until it has woken
}

namespace {

using Addresses = std::vector<tcp::endpoint>;
struct CachedAddresses {
    std::shared_ptr<Addresses const> addresses;
    std::chrono::steady_clock::time_point until;
};
thread_local std::map<std::pair<std::string, std::string>, CachedAddresses> cache; // one per io thread

// The model's addresses. An IP address needs no lookup; a name is looked up (Asio runs
// getaddrinfo on a thread of its own, a round trip between threads) and remembered for 30 s, or
// until connecting to it fails, so a burst of new conversations does not queue behind the resolver.
asio::awaitable<std::shared_ptr<Addresses const>> resolve(asio::any_io_executor executor, UpstreamEndpoint const& endpoint,
                                                          std::chrono::milliseconds timeout) {
    auto key = std::make_pair(endpoint.host, endpoint.port);
    auto now = std::chrono::steady_clock::now();
    if (auto it = cache.find(key); it != cache.end() && it->second.until > now) co_return it->second.addresses;

    beast::error_code ec;
    auto literal = asio::ip::make_address(endpoint.host, ec);
    auto port = parse_number<unsigned short>(endpoint.port); // else a service name, for the resolver
    std::shared_ptr<Addresses const> addresses;
    if (!ec && port) {
        addresses = std::make_shared<Addresses const>(Addresses{tcp::endpoint(literal, *port)});
    } else {
        // The resolver takes no cancellation slot and has no timeout of its own: a watchdog beside
        // it cancels it at the deadline, or when the reply is cancelled (the watchdog's wait is).
        tcp::resolver resolver(executor);
        asio::steady_timer deadline(executor, timeout);
        bool timed_out = false, finished = false;
        tcp::resolver::results_type results;
        beast::error_code rec;
        auto lookup = [&]() -> asio::awaitable<void> {
            std::tie(rec, results) = co_await resolver.async_resolve(endpoint.host, endpoint.port, as_tuple(use_awaitable));
            finished = true;
            deadline.cancel();
        };
        auto watchdog = [&]() -> asio::awaitable<void> {
            auto [ec] = co_await deadline.async_wait(as_tuple(use_awaitable));
            timed_out = !ec;
            if (!finished) resolver.cancel();
        };
        {
            using namespace asio::experimental::awaitable_operators;
            auto a = lookup(); // named: GCC 12 mishandles temporaries in co_await expressions
            auto b = watchdog();
            co_await (std::move(a) && std::move(b));
        }
        if (timed_out && !finished) throw UpstreamFailure(UpstreamFailure::Kind::timeout, "timed out resolving " + endpoint.host);
        if (rec == asio::error::operation_aborted) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
        if (rec) throw UpstreamFailure(UpstreamFailure::Kind::connect, "cannot resolve " + endpoint.host + ": " + rec.message());
        Addresses found;
        for (auto const& r : results) found.push_back(r.endpoint());
        addresses = std::make_shared<Addresses const>(std::move(found));
    }
    if (cache.size() > 64) cache.clear(); // a handful of models at most; never grows without bound
    cache[key] = {addresses, now + std::chrono::seconds(30)};
    co_return addresses;
}

} // namespace

asio::awaitable<std::unique_ptr<UpstreamConnection>> UpstreamConnection::open(asio::any_io_executor executor,
                                                                             UpstreamEndpoint const& endpoint, ssl::context* tls,
                                                                             std::chrono::milliseconds timeout) {
    auto impl = std::make_shared<Impl>(executor, endpoint.tls ? tls : nullptr);
    impl->host = endpoint.host;
    // One budget for resolving, connecting and the TLS handshake.
    auto started = std::chrono::steady_clock::now();
    auto addresses = co_await resolve(executor, endpoint, timeout);
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    auto& lowest = impl->lowest();
    lowest.expires_after(std::max(timeout - spent, std::chrono::milliseconds(1)));
    auto [cec, ep] = co_await lowest.async_connect(*addresses, as_tuple(use_awaitable));
    if (cec) {
        cache.erase({endpoint.host, endpoint.port}); // look the name up again next time
        auto f = transport_failure(cec, false, "connecting");
        if (f.kind == UpstreamFailure::Kind::broken) f.kind = UpstreamFailure::Kind::connect;
        throw f;
    }
    lowest.socket().set_option(tcp::no_delay(true));
    if (!impl->secure) { // request() writes to it directly first
        beast::error_code nec;
        lowest.socket().non_blocking(true, nec);
        if (nec) throw transport_failure(nec, false, "connecting");
    } else {
        auto* native = impl->secure->native_handle();
        if (!SSL_set_tlsext_host_name(native, endpoint.host.c_str()))
            throw UpstreamFailure(UpstreamFailure::Kind::tls, "cannot set TLS server name");
        impl->secure->set_verify_mode(ssl::verify_peer);
        impl->secure->set_verify_callback(ssl::host_name_verification(endpoint.host));
        auto [hec] = co_await impl->secure->async_handshake(ssl::stream_base::client, as_tuple(use_awaitable));
        if (hec) {
            if (hec == beast::error::timeout) throw UpstreamFailure(UpstreamFailure::Kind::timeout, "timed out in the TLS handshake");
            if (hec == asio::error::operation_aborted) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
            throw UpstreamFailure(UpstreamFailure::Kind::tls, "TLS handshake failed: " + hec.message());
        }
    }
    co_return std::unique_ptr<UpstreamConnection>(new UpstreamConnection(std::move(impl)));
}

asio::awaitable<UpstreamConnection::Header> UpstreamConnection::request(std::string_view target, std::string_view header_lines,
                                                                        std::string const& body, std::chrono::milliseconds timeout) {
    auto& impl = *impl_;
    // The head is written as text, not through Beast's fields and serializer: it is the same few
    // lines for every request, and building them once into a reused string spares the fields'
    // allocations and the serializer's buffer juggling on every chat message.
    auto& head = impl.request_head;
    head.clear();
    head.append("POST ").append(target).append(" HTTP/1.1\r\nHost: ").append(impl.host);
    head.append("\r\nUser-Agent: brandchat/" BRANDCHAT_VERSION "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n");
    head.append(header_lines);
    head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
    std::array<asio::const_buffer, 2> message{asio::buffer(head), asio::buffer(body)};

    impl.keep_alive = false;
    impl.lowest().expires_after(timeout);
    beast::error_code ec;
    if (impl.secure) {
        std::tie(ec, std::ignore) = co_await asio::async_write(*impl.secure, message, as_tuple(use_awaitable));
    } else {
        // Straight into the socket (non-blocking since open()), which nearly always takes the few
        // KB at once: that spares the write's completion a trip through the event loop's queue,
        // behind every other connection's work, before the model has the request. What the
        // socket does not take goes the asynchronous way.
        auto sent = asio::write(impl.plain.socket(), message, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(message);
            rest.consume(sent);
            std::tie(ec, std::ignore) = co_await asio::async_write(impl.plain, rest, as_tuple(use_awaitable));
        }
    }
    if (ec) throw transport_failure(ec, impl.closed, "sending the request");
    impl.written_at = std::chrono::steady_clock::now();

    impl.parser.emplace();
    impl.parser->body_limit(boost::none);
    impl.lowest().expires_after(timeout);
    if (impl.secure) std::tie(ec, std::ignore) = co_await http::async_read_header(*impl.secure, impl.buffer, *impl.parser, as_tuple(use_awaitable));
    else std::tie(ec, std::ignore) = co_await http::async_read_header(impl.plain, impl.buffer, *impl.parser, as_tuple(use_awaitable));
    if (ec) throw transport_failure(ec, impl.closed, "waiting for the response");
    impl.read_at = std::chrono::steady_clock::now(); // the body's first bytes may have come with the header
    auto const& h = impl.parser->get();
    co_return Header{h.result_int(), parse_retry_after(h.base())};
}

void UpstreamConnection::set_deadline(std::chrono::steady_clock::time_point deadline) {
    auto& impl = *impl_;
    bool sooner = deadline < impl.deadline;
    impl.deadline = deadline;
    if (sooner && impl.watching) impl.watchdog.cancel(); // wakes it to wait for the new deadline
}

asio::awaitable<std::optional<std::string>> UpstreamConnection::read_body() {
    auto& impl = *impl_;
    auto& parser = *impl.parser;
    for (;;) {
        // Parse everything already buffered before going back to the event loop, so one read
        // from the model (often many events) reaches the client as one batch.
        while (impl.buffer.size() > 0 && !parser.is_done()) {
            beast::error_code ec;
            auto used = parser.put(impl.buffer.data(), ec);
            impl.buffer.consume(used);
            if (ec == http::error::need_more || (!ec && used == 0)) break;
            if (ec) throw UpstreamFailure(UpstreamFailure::Kind::broken, "the stream is not valid HTTP: " + ec.message());
        }
        auto& body = parser.get().body();
        if (!body.empty()) {
            std::string out = std::move(body);
            body.clear();
            co_return out;
        }
        if (parser.is_done()) {
            impl.keep_alive = parser.get().keep_alive();
            impl.watching = false; // the watchdog ends when it next wakes
            impl.watchdog.cancel();
            if (impl.buffer.size() == 0) impl.buffer.shrink_to_fit(); // a pooled connection keeps no read buffer
            co_return std::nullopt;
        }
        if (std::chrono::steady_clock::now() >= impl.deadline) {
            impl.timed_out = true;
            throw UpstreamFailure(UpstreamFailure::Kind::timeout, "timed out reading the stream");
        }
        impl.lowest().expires_never();
        if (!impl.watching) {
            impl.watching = true;
            asio::co_spawn(impl.watchdog.get_executor(), watch_deadline(impl_), asio::detached);
        }
        beast::error_code ec;
        // Beast reads at most the buffer's free capacity. A stream that fills it on every read
        // is outrunning it: grow it, so one read (and one batch to the client) carries many
        // events. A slow stream keeps its small buffer, so 10,000 of them stay cheap.
        auto const before = impl.buffer.size();
        auto const room = std::max<std::size_t>(512, impl.buffer.capacity() - before);
        std::size_t used = 0;
        if (impl.secure) std::tie(ec, used) = co_await http::async_read_some(*impl.secure, impl.buffer, parser, as_tuple(use_awaitable));
        else std::tie(ec, used) = co_await http::async_read_some(impl.plain, impl.buffer, parser, as_tuple(use_awaitable));
        impl.read_at = std::chrono::steady_clock::now();
        if (!ec && used + impl.buffer.size() - before >= room && impl.buffer.capacity() < max_read_buffer)
            impl.buffer.reserve(std::min(max_read_buffer, 2 * std::max<std::size_t>(impl.buffer.capacity(), 512)));
        if (ec && impl.timed_out) throw UpstreamFailure(UpstreamFailure::Kind::timeout, "timed out reading the stream");
        if (ec == asio::error::operation_aborted) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof)
            throw UpstreamFailure(UpstreamFailure::Kind::broken, "the stream ended before the reply was complete");
        if (ec) throw transport_failure(ec, impl.closed, "reading the stream");
    }
}

asio::awaitable<std::string> UpstreamConnection::read_all(std::size_t limit, std::chrono::milliseconds timeout) {
    set_deadline(std::chrono::steady_clock::now() + timeout);
    std::string all;
    while (all.size() < limit) {
        auto piece = co_await read_body();
        if (!piece) break;
        all += *piece;
    }
    co_return all;
}

std::chrono::steady_clock::time_point UpstreamConnection::request_written_at() const { return impl_->written_at; }
std::chrono::steady_clock::time_point UpstreamConnection::last_read_at() const { return impl_->read_at; }

void UpstreamConnection::close() {
    impl_->closed = true;
    impl_->keep_alive = false;
    impl_->watching = false;
    impl_->watchdog.cancel();
    beast::error_code ignored;
    impl_->lowest().socket().close(ignored);
}

bool UpstreamConnection::reusable() const { return impl_->keep_alive && !impl_->closed && !impl_->timed_out; }

} // namespace brandchat
