#include "test_server.hpp"

#include "brandchat/log.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <future>
#include <stdexcept>
#include <sys/socket.h>

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

} // namespace brandchat::test
