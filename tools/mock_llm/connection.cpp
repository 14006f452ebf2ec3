#include "connection.hpp"

#include "chat_request.hpp"
#include "completion_plan.hpp"
#include "completion_wire.hpp"
#include "control_api.hpp"
#include "event_log.hpp"
#include "fault_spec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <chrono>
#include <ctime>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

namespace mock_llm {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using TlsStream = net::ssl::stream<tcp::socket>;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_request_body = 32 * 1024 * 1024;
constexpr std::size_t watch_read_size = 512;  // it is there to see EOF; a next request is read by the parser
constexpr std::string_view last_chunk = "0\r\n\r\n";
constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

tcp::socket& socket_of(tcp::socket& stream) { return stream; }
tcp::socket& socket_of(TlsStream& stream) { return stream.next_layer(); }

// One HTTP/1.1 chunk: size in hex, CRLF, payload, CRLF.
void append_chunk(std::string& out, std::string_view payload) {
    char size[2 * sizeof(std::size_t)];
    auto [end, ec] = std::to_chars(size, size + sizeof size, payload.size(), 16);
    out.append(size, end).append("\r\n").append(payload).append("\r\n");
}

std::chrono::steady_clock::time_point after_ms(unsigned ms) {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

std::int64_t monotonic_us(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<std::string> header(const Request& req, std::string_view name) {
    auto it = req.find(name);
    if (it == req.end()) return std::nullopt;
    return std::string(it->value());
}

RecordedHeaders recorded_headers(const Request& req) {
    return {header(req, "authorization"), header(req, "openai-organization"), header(req, "openai-project"),
            header(req, "content-type")};
}

// A malformed request deserves a 400; a client that closed mid-request gets nothing.
bool is_malformed_request(beast::error_code ec) {
    return ec.category() == http::make_error_code(http::error::bad_method).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// Coroutine style note: GCC 12.2 miscompiled `if (!co_await f()) co_return Ending{...};` followed by
// `co_return co_await g();` in this file (a segfault on resumption; cf. GCC bug 107288 and
// shared/notes/boost-1.81.md). Every awaited result here goes through a named variable instead.

// How a chat answer ended, and whether the connection can carry another request.
struct Ending {
    Outcome outcome;
    unsigned status = 200;
    bool reusable = false;
};

template <class Stream>
class Connection {
public:
    Connection(Stream& stream, MockState& state, std::uint64_t number)
        : stream_(stream), state_(state), number_(number), wakeup_(stream.get_executor()) {
        event_text_.reserve(1024);
        frame_.reserve(1024);
    }

    // Serves requests until the client leaves, then closes the socket.
    net::awaitable<void> serve();

private:
    net::awaitable<void> serve_requests();
    net::awaitable<beast::error_code> read_request(http::request_parser<http::string_body>& parser);
    net::awaitable<bool> dispatch(const Request& req);
    net::awaitable<bool> write_json(unsigned status, std::string body);

    // Chat Completions.
    net::awaitable<bool> serve_chat(const Request& req, std::string_view path);
    net::awaitable<Ending> answer_chat(RequestRecord& record, const ChatRequest& chat, const CompletionPlan& plan);
    net::awaitable<Ending> answer_error(unsigned status, std::string message, std::string_view type,
                                        std::optional<std::string_view> code);
    net::awaitable<Ending> answer_status_fault(const CompletionPlan& plan);
    net::awaitable<Ending> answer_whole(RequestRecord& record, const ChatRequest& chat, const CompletionPlan& plan);
    net::awaitable<Ending> answer_stream(RequestRecord& record, const ChatRequest& chat, const CompletionPlan& plan);
    net::awaitable<Ending> interrupt_stream(Interruption how, const ChunkEvents& events);
    net::awaitable<bool> send_events(bool last_of_response);

    // Noticing that the client left: a read kept pending during a chat answer.
    void start_watch();
    net::awaitable<void> wait_for_watch();
    net::awaitable<bool> pause_until(std::chrono::steady_clock::time_point deadline);
    net::awaitable<void> stall_until_client_leaves();
    void close_socket();

    Stream& stream_;
    MockState& state_;
    std::uint64_t number_; // which of the mock's connections this is, from 1
    beast::flat_buffer buffer_{max_request_body + 64 * 1024};
    // Wakes the coroutine when the watch read completes; also the pacing timer between tokens.
    net::steady_timer wakeup_;
    bool watching_ = false;
    bool client_gone_ = false;
    bool keep_alive_ = true;
    std::shared_ptr<RequestRecord> current_;
    std::string chat_id_;
    std::string event_text_;  // the SSE events of one write, reused for every token
    std::string frame_;       // the same, framed as an HTTP chunk
};

template <class Stream>
net::awaitable<void> Connection<Stream>::serve() {
    std::exception_ptr failure;
    try {
        co_await serve_requests();
    } catch (...) {
        failure = std::current_exception();
    }
    close_socket();
    co_await wait_for_watch();  // the watch handler refers to this object
    if (current_) state_.journal.finish(*current_, Outcome::client_closed);
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (std::exception const& e) {
            log_line(std::string("connection failed: ") + e.what());
        }
    }
}

template <class Stream>
net::awaitable<void> Connection<Stream>::serve_requests() {
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(max_request_body);
        auto ec = co_await read_request(parser);
        if (ec) {
            keep_alive_ = false;
            if (ec == http::error::body_limit)
                co_await write_json(413, error_body("Request body too large.", "invalid_request_error"));
            else if (is_malformed_request(ec))
                co_await write_json(400, error_body("Malformed HTTP request: " + ec.message(), "invalid_request_error"));
            co_return;
        }
        auto req = parser.release();
        bool reusable = co_await dispatch(req);
        if (!reusable) co_return;
        co_await wait_for_watch();  // its bytes, if any, are the start of the next request
        if (client_gone_) co_return;
    }
}

// Answers `Expect: 100-continue` (curl sends it with large bodies, then waits a second for it).
template <class Stream>
net::awaitable<beast::error_code> Connection<Stream>::read_request(http::request_parser<http::string_body>& parser) {
    auto [header_ec, header_bytes] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
    if (header_ec || parser.is_done()) co_return header_ec;
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        auto [continue_ec, continue_bytes] = co_await net::async_write(stream_, net::buffer(continue_response), use_tuple);
        if (continue_ec) co_return continue_ec;
    }
    // Room for the whole body, so it arrives in one read or a few, not 512 bytes at a time (a
    // prompt is several KB, and what the mock spends reading it counts as the server's latency).
    // What the client claims is believed up to 1 MiB; a bigger body grows the buffer as it comes.
    if (auto length = parser.content_length(); length && buffer_.capacity() - buffer_.size() < *length)
        buffer_.reserve(buffer_.size() + static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1024 * 1024)));
    auto [body_ec, body_bytes] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
    if (buffer_.size() == 0) buffer_.shrink_to_fit(); // 10,000 streams each holding it adds up
    co_return body_ec;
}

template <class Stream>
net::awaitable<bool> Connection<Stream>::dispatch(const Request& req) {
    keep_alive_ = req.keep_alive();
    auto path = path_of(req.target());
    if (path.ends_with("/chat/completions")) {
        if (req.method() == http::verb::post) {
            bool reusable = co_await serve_chat(req, path);
            co_return reusable;
        }
        bool written = co_await write_json(
            405, error_body("Use POST for " + std::string(path) + ".", "invalid_request_error", "method_not_allowed"));
        co_return written && keep_alive_;
    }
    auto reply = handle_control_request(req.method_string(), path, req.body(), state_);
    if (!reply)
        reply = JsonReply{404, error_body("Unknown request URL: " + std::string(req.method_string()) + " " +
                                              std::string(path) + ".",
                                          "invalid_request_error", "unknown_url")};
    bool written = co_await write_json(reply->status, std::move(reply->body));
    co_return written && keep_alive_;
}

template <class Stream>
net::awaitable<bool> Connection<Stream>::write_json(unsigned status, std::string body) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(keep_alive_);
    res.body() = std::move(body);
    res.prepare_payload();
    auto [ec, bytes] = co_await http::async_write(stream_, res, use_tuple);
    co_return !ec;
}

template <class Stream>
net::awaitable<bool> Connection<Stream>::serve_chat(const Request& req, std::string_view path) {
    current_ = state_.journal.open(std::string(path), recorded_headers(req));
    current_->connection = number_;
    auto& record = *current_;
    chat_id_ = "chatcmpl-mock-" + std::to_string(record.seq);

    Ending ending{Outcome::client_closed};
    json::error_code parse_error;
    auto body = json::parse(req.body(), parse_error);
    auto chat = read_chat_request(body);
    if (!parse_error) record.body = std::move(body);

    if (parse_error) {
        ending = co_await answer_error(400, "We could not parse the JSON body of your request: " + parse_error.message(),
                                       "invalid_request_error", std::nullopt);
    } else if (!chat.error.empty()) {
        ending = co_await answer_error(400, chat.error, "invalid_request_error", std::nullopt);
    } else {
        auto queued = state_.faults.take();
        auto header_fault = req["x-mock-fault"];
        record.fault = join_fault_specs(
            {state_.settings.fault, queued, find_fault_marker(chat.request.last_user_text), header_fault});
        auto fault = parse_fault_spec(record.fault);
        if (!fault.error.empty()) {
            ending = co_await answer_error(400, "Invalid mock fault: " + fault.error, "invalid_request_error",
                                           std::nullopt);
        } else {
            auto const& s = state_.settings;
            auto plan = make_completion_plan({s.tokens, s.token_delay_ms, s.first_token_ms}, chat.request, fault.plan);
            // Bytes already buffered are a pipelined next request: the client is there, and a
            // watch read would wait for bytes that will not come until this answer ends.
            if (buffer_.size() == 0) start_watch();
            ending = co_await answer_chat(record, chat.request, plan);
        }
    }

    state_.journal.finish(record, ending.outcome, ending.status);
    current_.reset();
    log_line("#" + std::to_string(record.seq) + " " + record.path + " " + record.outcome_text() + " tokens=" +
             std::to_string(record.tokens_sent) + " ms=" + std::to_string(*record.ended_ms - record.started_ms) +
             (record.fault.empty() ? "" : " fault=" + record.fault));
    co_return ending.reusable && !client_gone_;
}

template <class Stream>
net::awaitable<Ending> Connection<Stream>::answer_chat(RequestRecord& record, const ChatRequest& chat,
                                                      const CompletionPlan& plan) {
    bool client_stayed = co_await pause_until(after_ms(plan.first_byte_ms));
    Ending ending{Outcome::client_closed};
    if (!client_stayed) co_return ending;
    if (plan.status)
        ending = co_await answer_status_fault(plan);
    else if (chat.stream)
        ending = co_await answer_stream(record, chat, plan);
    else
        ending = co_await answer_whole(record, chat, plan);
    co_return ending;
}

template <class Stream>
net::awaitable<Ending> Connection<Stream>::answer_error(unsigned status, std::string message, std::string_view type,
                                                       std::optional<std::string_view> code) {
    Ending ending{Outcome::client_closed};
    bool written = co_await write_json(status, error_body(message, type, code));
    if (written) ending = Ending{Outcome::status, status, keep_alive_};
    co_return ending;
}

template <class Stream>
net::awaitable<Ending> Connection<Stream>::answer_status_fault(const CompletionPlan& plan) {
    auto status = *plan.status;
    auto kind = error_kind_for_status(status);
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.set("x-request-id", chat_id_);
    if (plan.retry_after_s) res.set(http::field::retry_after, std::to_string(*plan.retry_after_s));
    if (plan.retry_after_ms) res.set("retry-after-ms", std::to_string(*plan.retry_after_ms));
    res.keep_alive(keep_alive_);
    res.body() = error_body("Mock fault: HTTP " + std::to_string(status) + ".", kind.type, kind.code);
    res.prepare_payload();
    Ending ending{Outcome::client_closed};
    auto [ec, bytes] = co_await http::async_write(stream_, res, use_tuple);
    if (!ec) ending = Ending{Outcome::status, status, keep_alive_};
    co_return ending;
}

template <class Stream>
net::awaitable<Ending> Connection<Stream>::answer_whole(RequestRecord& record, const ChatRequest& chat,
                                                       const CompletionPlan& plan) {
    Ending ending{Outcome::client_closed};
    switch (plan.interruption) {
    case Interruption::drop:
        close_socket();
        ending.outcome = Outcome::dropped;
        co_return ending;
    case Interruption::stall:
        co_await stall_until_client_leaves();
        ending.outcome = Outcome::stalled_then_client_closed;
        co_return ending;
    case Interruption::error_event:
    case Interruption::error_object:
        ending = co_await answer_error(500, "mock failure", "server_error", std::nullopt);
        co_return ending;
    case Interruption::none: break;
    }
    auto created = static_cast<std::int64_t>(std::time(nullptr));
    auto body = completion_body(chat_id_, created, chat.model, state_.reply.text(plan.tokens), plan.finish_reason,
                                {chat.prompt_tokens, plan.tokens});
    bool written = co_await write_json(200, std::move(body));
    if (!written) co_return ending;
    record.tokens_sent = plan.tokens;
    ending = Ending{Outcome::completed, 200, keep_alive_};
    co_return ending;
}

template <class Stream>
net::awaitable<Ending> Connection<Stream>::answer_stream(RequestRecord& record, const ChatRequest& chat,
                                                        const CompletionPlan& plan) {
    Ending ending{Outcome::client_closed};
    state_.journal.mark_streaming(record);
    http::response<http::empty_body> head{http::status::ok, 11};
    head.set(http::field::content_type, "text/event-stream");
    head.set(http::field::cache_control, "no-cache");
    head.set("x-request-id", chat_id_);
    head.keep_alive(keep_alive_);
    head.chunked(true);
    http::response_serializer<http::empty_body> serializer{head};
    auto [ec, bytes] = co_await http::async_write_header(stream_, serializer, use_tuple);
    if (ec) co_return ending;

    ChunkEvents const events{chat_id_, static_cast<std::int64_t>(std::time(nullptr)), chat.model, plan.style};
    event_text_.clear();
    events.append_role(event_text_);
    bool sent = co_await send_events(false);
    if (!sent) co_return ending;

    // Tokens fall due on a fixed schedule, as a model generates them, so time spent writing
    // (10,000 streams queue behind each other) does not stretch every gap.
    // With no delay between tokens, up to `batch` tokens share one write, as a model server
    // flushing what it has generated does; with a delay, every token is its own write.
    std::size_t const batch = plan.token_delay_ms == 0 ? 16 : 1;
    std::size_t pending = 0; // tokens in event_text_ not yet written
    auto due = after_ms(plan.first_token_ms);
    for (std::size_t i = 0;; ++i, due += std::chrono::milliseconds(plan.token_delay_ms)) {
        bool interrupt = plan.interruption != Interruption::none && i == plan.interrupt_after;
        if (pending > 0 && (interrupt || i == plan.tokens || pending == batch)) {
            sent = co_await send_events(false);
            if (!sent) co_return ending;
            record.tokens_sent += pending;
            pending = 0;
        }
        if (interrupt) {
            ending = co_await interrupt_stream(plan.interruption, events);
            co_return ending;
        }
        if (i == plan.tokens) break;
        if (pending == 0) {
            bool client_stayed = co_await pause_until(due);
            if (!client_stayed) co_return ending;
            event_text_.clear();
        }
        if (state_.settings.stamp_tokens)
            events.append_token(event_text_, stamped_token(monotonic_us(std::chrono::steady_clock::now()), monotonic_us(due)));
        else
            events.append_token(event_text_, state_.reply.escaped_token(i));
        ++pending;
    }

    event_text_.clear();
    events.append_finish(event_text_, plan.finish_reason);
    if (chat.include_usage) events.append_usage(event_text_, {chat.prompt_tokens, record.tokens_sent});
    events.append_done(event_text_);
    sent = co_await send_events(true);
    if (sent) ending = Ending{Outcome::completed, 200, keep_alive_};
    co_return ending;
}

template <class Stream>
net::awaitable<Ending> Connection<Stream>::interrupt_stream(Interruption how, const ChunkEvents& events) {
    Ending ending{Outcome::client_closed};
    switch (how) {
    case Interruption::drop:
        close_socket();  // no terminating chunk: the client sees the body cut short
        ending.outcome = Outcome::dropped;
        co_return ending;
    case Interruption::stall:
        co_await stall_until_client_leaves();
        ending.outcome = Outcome::stalled_then_client_closed;
        co_return ending;
    case Interruption::error_event:
    case Interruption::error_object:
    case Interruption::none: break;
    }
    event_text_.clear();
    if (how == Interruption::error_event) events.append_error_event(event_text_);
    else events.append_error_object(event_text_);
    bool sent = co_await send_events(true);
    if (sent) ending = Ending{Outcome::error_event, 200, keep_alive_};
    co_return ending;
}

template <class Stream>
net::awaitable<bool> Connection<Stream>::send_events(bool last_of_response) {
    frame_.clear();
    append_chunk(frame_, event_text_);
    if (last_of_response) frame_.append(last_chunk);
    auto [ec, bytes] = co_await net::async_write(stream_, net::buffer(frame_), use_tuple);
    co_return !ec;
}

template <class Stream>
void Connection<Stream>::start_watch() {
    if (watching_ || client_gone_) return;
    net::mutable_buffer space;
    try {
        space = buffer_.prepare(watch_read_size);
    } catch (std::length_error const&) {
        return;  // a client pipelining megabytes: stop watching rather than buffer more
    }
    watching_ = true;
    stream_.async_read_some(space, [this](beast::error_code ec, std::size_t bytes) {
        watching_ = false;
        if (ec)
            client_gone_ = true;  // EOF, reset, TLS truncation, or our own close
        else
            buffer_.commit(bytes);  // the client sent its next request early: keep it for later
        wakeup_.cancel();
    });
}

template <class Stream>
net::awaitable<void> Connection<Stream>::wait_for_watch() {
    while (watching_) {
        wakeup_.expires_at(net::steady_timer::time_point::max());
        co_await wakeup_.async_wait(use_tuple);
    }
}

// Waits until deadline; false as soon as the client leaves.
template <class Stream>
net::awaitable<bool> Connection<Stream>::pause_until(std::chrono::steady_clock::time_point deadline) {
    while (!client_gone_ && std::chrono::steady_clock::now() < deadline) {
        wakeup_.expires_at(deadline);
        co_await wakeup_.async_wait(use_tuple);
    }
    co_return !client_gone_;
}

template <class Stream>
net::awaitable<void> Connection<Stream>::stall_until_client_leaves() {
    while (!client_gone_) {
        start_watch();  // again, if the watch ended because the client sent bytes instead of leaving
        wakeup_.expires_at(net::steady_timer::time_point::max());
        co_await wakeup_.async_wait(use_tuple);
    }
}

template <class Stream>
void Connection<Stream>::close_socket() {
    beast::error_code ignored;
    auto& socket = socket_of(stream_);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}

// Counts the connection as open for its lifetime, for /mock/stats.
class OpenConnection {
public:
    explicit OpenConnection(RequestJournal& journal) : journal_(journal), number_(journal_.connection_opened()) {}
    ~OpenConnection() { journal_.connection_closed(); }
    std::uint64_t number() const { return number_; }
    OpenConnection(const OpenConnection&) = delete;
    OpenConnection& operator=(const OpenConnection&) = delete;

private:
    RequestJournal& journal_;
    std::uint64_t number_;
};

} // namespace

net::awaitable<void> serve_plain_connection(tcp::socket socket, MockState& state) {
    OpenConnection open{state.journal};
    Connection<tcp::socket> connection{socket, state, open.number()};
    co_await connection.serve();
}

net::awaitable<void> serve_tls_connection(tcp::socket socket, net::ssl::context& tls, MockState& state) {
    OpenConnection open{state.journal};
    TlsStream stream{std::move(socket), tls};
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
    if (ec) {
        log_line("TLS handshake failed: " + ec.message());
        co_return;
    }
    Connection<TlsStream> connection{stream, state, open.number()};
    co_await connection.serve();
}

} // namespace mock_llm
