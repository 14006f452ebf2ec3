// The HTTP request handling: bytes as a client sends them, through Beast's request parser with
// the server's limits (16 KiB of header, 64 KiB of body), the framing and key checks
// (request_checks.hpp), the origin policy for upgrades, and handle_http against the bundled
// brands, chat page and API documents, and the management API's router (answer_http) with its
// handlers, run to the end on an io_context: a request may carry the fuzz admin key
// (`Bearer fuzz-admin-key`, in the dictionary), so its writes reach the in-memory store and
// the catalog. The server is made afresh every 2,000 requests, so what they wrote stays
// bounded. Checks, beyond not crashing:
// - a refusal has a reason; a request with exactly one Host, no Transfer-Encoding and (for an
//   upgrade) a canonical 16-byte key is never refused;
// - the answer's status is a real one, its JSON bodies parse (a gzip copy aside), and a 200
//   under /ui/ is one of the page's own files, byte for byte: nothing else on disk is served;
// - a path the page table accepts has no empty, "." or ".." segment, no backslash or control
//   byte, and never starts with "/".
#include "brandchat/api/api.hpp"
#include "brandchat/net/field_values.hpp"
#include "brandchat/net/http_api.hpp"
#include "brandchat/net/http_front.hpp"
#include "brandchat/net/origin_policy.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/setup.hpp"
#include "fuzz_check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>

using namespace brandchat;
namespace http = boost::beast::http;

namespace {

std::unique_ptr<ServerContext> make_server() {
    auto s = std::make_unique<ServerContext>();
    s->options.resources = BRANDCHAT_SOURCE_RESOURCES;
    s->options.log_level = "off";
    s->options.database = ":memory:";
    s->options.admin_key = "fuzz-admin-key";
    s->options.word_delay = std::chrono::milliseconds(0);
    prepare_context(*s);
    return s;
}

// The server of the last requests; a fresh one every 2,000, so writes do not pile up.
ServerContext& context() {
    static std::unique_ptr<ServerContext> server;
    static int uses = 0;
    if (!server || ++uses > 2000) {
        server.reset();
        server = make_server();
        uses = 0;
    }
    return *server;
}

HttpResponse answer_of(ServerContext& server, HttpRequest request) {
    static boost::asio::io_context io;
    auto done = boost::asio::co_spawn(io, answer_http(server, std::move(request)), boost::asio::use_future);
    io.restart();
    io.run();
    return done.get();
}

void check_page_path(std::string_view path) {
    auto key = StaticSite::normalize(path);
    if (!key) return;
    FUZZ_CHECK(!key->empty() && key->front() != '/');
    for (char c : *key) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '\\');
    std::string_view rest = *key;
    for (;;) {
        auto slash = rest.find('/');
        auto segment = rest.substr(0, slash);
        FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..");
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(bytes), size);
    check_page_path(input);

    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
    auto const& req = parser.get();

    auto head = head_of(req);
    auto refusal = refuse_request(head);
    if (refusal) FUZZ_CHECK(!refusal->empty());
    bool plain = head.hosts.size() == 1 && valid_host(trim_whitespace(head.hosts.front())) && head.transfer_encodings.empty() &&
                 (!head.websocket_upgrade || (head.websocket_keys.size() == 1 && valid_websocket_key(head.websocket_keys.front())));
    if (plain) FUZZ_CHECK(!refusal);
    if (refusal) return 0;

    auto& server = context();
    if (head.websocket_upgrade) {
        origin_allowed(req[http::field::origin], req[http::field::host], {}, server.options.allowed_origins);
        return 0;
    }
    HttpRequest request{std::string(req.method_string()),           std::string(req.target()),
                        std::string(req[http::field::origin]),        std::string(req[http::field::if_none_match]),
                        std::string(req[http::field::accept_encoding]), std::string(req[http::field::authorization]),
                        std::string(req["X-API-Key"]),                 std::string(req[http::field::content_type]),
                        req.body(),                                    "203.0.113.7"};
    if (req.body().size() > body_limit_for(server, request.method, request.target)) return 0; // http_front answers 413
    auto answer = answer_of(server, request);
    FUZZ_CHECK(answer.status >= 200 && answer.status <= 599);
    // A JSON answer is valid JSON, unless it is a document's gzip copy (/openapi.json).
    bool packed = std::any_of(answer.headers.begin(), answer.headers.end(), [](auto const& h) { return h.first == "Content-Encoding"; });
    if (answer.content_type == "application/json" && !answer.body.empty() && !packed) {
        boost::system::error_code jec;
        boost::json::parse(answer.body, jec);
        FUZZ_CHECK(!jec);
    }
    auto path = request.target.substr(0, request.target.find('?'));
    if (answer.status == 200 && path.starts_with("/ui/")) {
        auto const* file = server.ui.find(path.substr(4));
        FUZZ_CHECK(file != nullptr);
        FUZZ_CHECK(answer.body == file->body || answer.body == file->gzip_body);
    }
    return 0;
}
