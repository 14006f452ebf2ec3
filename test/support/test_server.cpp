#include "test_server.hpp"

#include "brandchat/log.hpp"
#include "brandchat/setup.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <future>
#include <stdexcept>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace brandchat::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

Options quiet_options() {
    Options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.word_delay = std::chrono::milliseconds(0);
    o.resources = BRANDCHAT_SOURCE_RESOURCES;
    o.log_level = "off";
    o.database = ":memory:";
    return o;
}

TestServer::TestServer(Options options) {
    log::set_level(log::Level::off);
    context_.options = std::move(options);
    prepare_context(context_);
    server_ = std::make_unique<Server>(io_, context_);
    port_ = server_->listen(context_.options.host, context_.options.port);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
}

TestServer::~TestServer() {
    asio::post(io_, [this] {
        server_->stop();
    });
    // Sessions answer the close handshake quickly; do not wait on clients that never do.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    io_.stop();
    thread_.join();
}

void TestServer::run_on_server(std::function<void()> const& fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
        fn();
        done.set_value();
    });
    done.get_future().wait();
}

struct WsClient::Impl {
    asio::io_context io;
    websocket::stream<tcp::socket> ws{io};
};

WsClient::WsClient(std::uint16_t port, std::string const& path, std::string const& source_address) : impl_(std::make_unique<Impl>()) {
    auto& sock = impl_->ws.next_layer();
    sock.open(tcp::v4());
    if (!source_address.empty()) sock.bind(tcp::endpoint(asio::ip::make_address(source_address), 0));
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0}; // a reply that does not come within 10 s is a failure, not a hang
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    impl_->ws.handshake("127.0.0.1:" + std::to_string(port), path);
}

WsClient::~WsClient() {
    beast::error_code ec;
    if (impl_->ws.is_open()) impl_->ws.next_layer().close(ec);
}

void WsClient::send_text(std::string const& text) {
    impl_->ws.text(true);
    impl_->ws.write(asio::buffer(text));
}

void WsClient::send_binary(std::string const& bytes) {
    impl_->ws.binary(true);
    impl_->ws.write(asio::buffer(bytes));
}

void WsClient::chat(std::string const& message, std::optional<std::string> conversation_id, bool voice) {
    boost::json::object data{{"message", message}, {"voice", voice}};
    data["conversation_id"] = conversation_id ? boost::json::value(*conversation_id) : boost::json::value(nullptr);
    send_json(boost::json::object{{"type", "chat"}, {"data", data}});
}

Frame WsClient::read() {
    beast::flat_buffer buffer;
    impl_->ws.read(buffer);
    Frame f;
    f.raw = beast::buffers_to_string(buffer.data());
    auto v = boost::json::parse(f.raw);
    f.type = std::string(v.at("type").as_string());
    f.data = v.at("data").as_object();
    return f;
}

WsClient::Reply WsClient::read_reply() {
    Reply r;
    for (;;) {
        auto f = read();
        if (f.type == "chunk") {
            r.text += std::string(f.data.at("content").as_string());
            r.conversation_id = std::string(f.data.at("conversation_id").as_string());
            ++r.chunks;
        } else if (f.type == "complete" || f.type == "error") {
            r.complete = std::move(f);
            return r;
        }
    }
}

int WsClient::read_until_close() {
    beast::flat_buffer buffer;
    for (;;) {
        beast::error_code ec;
        impl_->ws.read(buffer, ec);
        if (ec == websocket::error::closed) return impl_->ws.reason().code;
        // A server that fails the connection (1009) may be gone before our close reply is
        // written: the close frame was still received, and its code is what counts.
        if (ec) return impl_->ws.reason().code;
        buffer.consume(buffer.size());
    }
}

void WsClient::close() { impl_->ws.close(websocket::close_code::normal); }

std::string http_get(std::uint16_t port, std::string const& target, std::string const& method, std::string const& origin,
                     unsigned* status, std::string const& body) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
        req.prepare_payload();
    }
    if (!origin.empty()) req.set(http::field::origin, origin);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    if (method == "HEAD") {
        http::response_parser<http::string_body> parser;
        parser.skip(true);
        http::read(stream, buffer, parser);
        res = parser.release();
    } else {
        http::read(stream, buffer, res);
    }
    if (status) *status = res.result_int();
    std::string headers;
    for (auto const& field : res) headers += std::string(field.name_string()) + ": " + std::string(field.value()) + "\n";
    return headers + "\n" + res.body();
}

HttpAnswer http_call(std::uint16_t port, std::string const& method, std::string const& target, std::string const& body,
                     std::vector<std::pair<std::string, std::string>> const& headers) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream.expires_after(std::chrono::seconds(30));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (auto const& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser);
    auto res = parser.release();
    HttpAnswer out;
    out.status = res.result_int();
    out.body = res.body();
    for (auto const& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    return out;
}

std::string HttpAnswer::header(std::string const& name) const {
    for (auto const& [k, v] : headers)
        if (beast::iequals(k, name)) return v;
    return {};
}

boost::json::value HttpAnswer::json() const { return boost::json::parse(body); }

std::vector<std::pair<std::string, std::string>> bearer(std::string const& key) { return {{"Authorization", "Bearer " + key}}; }

RawClient::RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect failed");
}

RawClient::~RawClient() {
    if (fd_ >= 0) ::close(fd_);
}

void RawClient::send(std::string const& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
        auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error("send failed");
        sent += static_cast<std::size_t>(n);
    }
}

std::string RawClient::read_until_close(int ms) {
    std::string out = std::move(pending_);
    pending_.clear();
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) return out;
        char buf[4096];
        auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return out;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

std::string RawClient::upgrade(std::string const& path, std::string const& extra, std::string const& key) {
    send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n" + extra + "\r\n");
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 3000) <= 0) break;
        char buf[4096];
        auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
    }
    auto end = head.find("\r\n\r\n");
    if (end != std::string::npos) {
        pending_ = head.substr(end + 4); // the first frames, if they came along
        head.resize(end + 4);
    }
    return head;
}

int RawClient::read_close_code(int ms) { return close_code_of(read_until_close(ms)); }

int RawClient::close_code_of(std::string const& bytes) {
    // Server frames are unmasked: opcode, 7-bit length (or 16-bit), payload.
    for (std::size_t i = 0; i + 2 <= bytes.size();) {
        unsigned op = static_cast<unsigned char>(bytes[i]) & 0x0f;
        std::size_t len = static_cast<unsigned char>(bytes[i + 1]) & 0x7f, at = i + 2;
        if (len == 126) {
            if (at + 2 > bytes.size()) break;
            len = std::size_t(static_cast<unsigned char>(bytes[at])) << 8 | static_cast<unsigned char>(bytes[at + 1]);
            at += 2;
        } else if (len == 127) {
            if (at + 8 > bytes.size()) break;
            len = 0;
            for (int k = 0; k < 8; ++k) len = len << 8 | static_cast<unsigned char>(bytes[at + k]);
            at += 8;
        }
        if (op == 0x8) return len >= 2 && at + 2 <= bytes.size()
                                  ? (static_cast<unsigned char>(bytes[at]) << 8 | static_cast<unsigned char>(bytes[at + 1]))
                                  : 1005;
        i = at + len;
    }
    return -1;
}

} // namespace brandchat::test
