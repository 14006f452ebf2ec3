#include "brandchat/net/session.hpp"

#include "brandchat/chat/reply_pipeline.hpp"
#include "brandchat/language/customer_texts.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/transport.hpp"
#include "brandchat/protocol/server_message.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace brandchat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;

Session::Session(ServerContext& server, std::unique_ptr<Transport> transport, std::shared_ptr<Brand const> brand,
                 std::string requested_brand, bool voice_forced, std::string remote_address)
    : server_(server), transport_(std::move(transport)), brand_(std::move(brand)), requested_brand_(std::move(requested_brand)),
      voice_forced_(voice_forced), remote_address_(std::move(remote_address)),
      outbox_(std::min(Outbox::max_merged_bytes, chunk_piece_bytes(server.options.max_frame_bytes))) {}

Session::~Session() = default;

asio::any_io_executor Session::executor() const { return transport_->ws.get_executor(); }

asio::awaitable<void> Session::run() {
    auto self = shared_from_this();
    auto& ws = transport_->ws;
    auto const& options = server_.options;
    ws.next_layer().set_owner(weak_from_this());
    ws.next_layer().set_meters(&server_.stats.stream);

    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = options.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(options.max_frame_bytes);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "brandchat/" BRANDCHAT_VERSION); }));

    beast::get_lowest_layer(ws).expires_never();
    auto [accept_ec] = co_await ws.async_accept(transport_->upgrade, as_tuple(use_awaitable));
    transport_->upgrade = {};
    if (accept_ec) {
        log::debug("websocket handshake failed from ", remote_address_, ": ", accept_ec.message());
        co_return;
    }
    server_.sessions.insert(this);
    connection_id_ = ++server_.stats.connections_total;
    auto connected_at = std::chrono::steady_clock::now();
    log::event(log::Level::info, "connection open",
               {{"brand", requested_brand_}, {"connection", connection_id_}, {"from", remote_address_}, {"voice", voice_forced_},
                {"served", brand_ != nullptr}});

    if (!brand_) {
        send_error("Brand '" + requested_brand_ + "' not found or inactive", ErrorCause::brand_unavailable);
        close_soon(static_cast<std::uint16_t>(websocket::close_code::policy_error), "brand not found or inactive");
    } else {
        send(protocol::welcome(brand_->welcome_message, brand_->id, brand_->name));
    }

    // Beast copies each frame's payload into `piece`. A read into a dynamic buffer would keep a
    // 1.5 KiB prepared buffer allocated for every idle connection while it waits.
    std::array<char, 256> piece;
    std::string message; // the message being received; released between messages
    std::string close_cause = "client closed";
    bool violation = false;
    for (;;) {
        auto [ec, n] = co_await ws.async_read_some(asio::buffer(piece), as_tuple(use_awaitable));
        if (ec) {
            if (ec == websocket::error::message_too_big) close_cause = "message too big (closed with 1009)";
            else if (is_frame_violation(ec)) close_cause = ec.message() + " (closed with 1002)";
            else if (ec != websocket::error::closed) close_cause = ec.message();
            violation = is_frame_violation(ec);
            break;
        }
        message.append(piece.data(), n);
        if (!ws.is_message_done()) {
            watch_message_assembly();
            continue;
        }
        assembling_ = false;
        message_read_ = std::chrono::steady_clock::now();
        if (!closing_) {
            if (ws.got_text()) {
                co_await dispatch(message);
            } else {
                ++server_.stats.messages_by_type["binary"];
                send_error("Binary frames are not supported: send JSON text frames", ErrorCause::binary_frame);
            }
        }
        message.clear();
        if (message.capacity() > 4096) message.shrink_to_fit();
    }
    message = {};

    closing_ = true;
    assembling_ = false;
    transport_->assembly.cancel();
    if (violation) co_await close_after_violation();
    chats_.clear();
    cancel_reply();
    wake_room_waiters();
    server_.sessions.erase(this);
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored); // a blocked write to a gone peer ends now
    auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - connected_at);
    log::event(log::Level::info, "connection closed",
               {{"brand", requested_brand_}, {"connection", connection_id_}, {"from", remote_address_}, {"after_ms", lasted.count()},
                {"cause", close_cause}});
}

// A message's frames must all arrive within --message-timeout-ms of its first: a client that
// starts a message and stalls would otherwise hold what it sent until the idle timeout.
void Session::watch_message_assembly() {
    if (assembling_ || closing_ || server_.options.message_timeout.count() == 0) return;
    assembling_ = true;
    transport_->assembly.expires_after(server_.options.message_timeout);
    if (!assembly_watched_) {
        assembly_watched_ = true;
        asio::co_spawn(executor(), message_watchdog(), asio::detached);
    }
}

asio::awaitable<void> Session::message_watchdog() {
    auto self = shared_from_this();
    auto& timer = transport_->assembly;
    // Re-arming the timer for the next message wakes it; once no message is under way, it ends
    // at the last deadline.
    for (;;) {
        auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
        if (closing_ || !assembling_) break;
        if (!ec && timer.expiry() <= asio::steady_timer::clock_type::now()) {
            auto seconds = std::chrono::duration_cast<std::chrono::milliseconds>(server_.options.message_timeout).count() / 1000.0;
            log::event(log::Level::info, "message timeout",
                       {{"brand", requested_brand_}, {"connection", connection_id_}, {"from", remote_address_}, {"seconds", seconds}});
            send_error("Message not completed within " + std::to_string(static_cast<long>(seconds)) + " s: closing the connection",
                       ErrorCause::message_timeout);
            close_soon(static_cast<std::uint16_t>(websocket::close_code::policy_error), "message not completed in time");
            // A client that stalls its message will hardly answer the close: a second later the
            // socket is closed anyway, and what it sent is freed with the read loop.
            timer.expires_after(std::chrono::seconds(1));
            co_await timer.async_wait(as_tuple(use_awaitable));
            beast::error_code ignored;
            beast::get_lowest_layer(transport_->ws).socket().close(ignored);
            break;
        }
    }
    assembly_watched_ = false;
}

// The frame guard failed Beast's read before Beast saw the frame, so Beast's stream cannot
// answer: send the close frame here, give it a moment to leave, then the socket is closed.
asio::awaitable<void> Session::close_after_violation() {
    auto& socket = transport_->ws.next_layer();
    socket.write_close(static_cast<std::uint16_t>(websocket::close_code::protocol_error), "protocol error");
    socket.flush();
    asio::steady_timer timer(executor(), std::chrono::seconds(1));
    auto drained = [&]() -> asio::awaitable<void> {
        co_await socket.async_drained(as_tuple(use_awaitable));
        timer.cancel();
    };
    auto watchdog = [&]() -> asio::awaitable<void> {
        auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
        beast::error_code ignored;
        if (!ec) beast::get_lowest_layer(transport_->ws).socket().close(ignored); // ends the drain
    };
    using namespace asio::experimental::awaitable_operators;
    auto drain = drained();   // named first: GCC 12 mishandles temporaries in co_await expressions
    auto watch = watchdog();
    co_await (std::move(drain) && std::move(watch));
}

asio::awaitable<void> Session::dispatch(std::string_view frame) {
    auto decoded = protocol::decode_envelope(frame);
    if (auto* err = std::get_if<protocol::DecodeError>(&decoded)) {
        ++server_.stats.messages_by_type["invalid"];
        send_error(err->message, ErrorCause::invalid_message);
        co_return;
    }
    auto& envelope = std::get<protocol::Envelope>(decoded);
    auto const* handler = server_.handlers.find(envelope.type);
    if (!handler) {
        std::string shown = envelope.type.size() > 40 ? envelope.type.substr(0, 40) + "..." : envelope.type;
        ++server_.stats.messages_by_type["unknown"];
        send_error("Unknown message type '" + shown + "': expected one of " + server_.handlers.known_types(), ErrorCause::unknown_type);
        co_return;
    }
    ++bounded_entry(server_.stats.messages_by_type, envelope.type); // registered types only: a bounded set
    try {
        co_await (*handler)(*this, envelope.data);
    } catch (std::exception const& e) {
        log::event(log::Level::error, "handler failed",
                   {{"brand", requested_brand_}, {"connection", connection_id_}, {"type", envelope.type}, {"error", e.what()}});
        send_error("The server could not handle this '" + envelope.type + "' message; please try again", ErrorCause::handler_failed);
    }
}

void Session::send(std::string frame) {
    if (closing_ || !transport_->ws.is_open()) return;
    if (can_write_now()) return transport_->ws.next_layer().write_frame(frame);
    outbox_.push_frame(std::move(frame));
    start_writing();
}

// A chunk's frame must be one the client could send back: content longer than a piece is
// sent as several chunks (clients append them), cut between UTF-8 characters.
void Session::send_chunk(std::string_view content, std::string const& conversation_id) {
    auto const piece = chunk_piece_bytes(server_.options.max_frame_bytes);
    while (content.size() > piece) {
        auto cut = utf8_prefix_length(content, piece);
        send_one_chunk(content.substr(0, cut), conversation_id);
        content.remove_prefix(cut);
    }
    send_one_chunk(content, conversation_id);
}

void Session::send_one_chunk(std::string_view content, std::string const& conversation_id) {
    if (closing_ || !transport_->ws.is_open()) return;
    if (can_write_now()) {
        thread_local std::string frame; // reused: a chunk costs no allocation on its way out
        frame.clear();
        protocol::append_chunk(frame, content, conversation_id);
        auto& stream = transport_->ws.next_layer();
        stream.write_frame(frame);
        if (text_arrived_ != std::chrono::steady_clock::time_point{}) stream.stamp(std::exchange(text_arrived_, {}));
        return;
    }
    text_arrived_ = {}; // the client is behind: its wait is not the server's
    outbox_.push_chunk(content, conversation_id);
    start_writing();
}

void Session::flush() {
    if (outbox_.empty()) transport_->ws.next_layer().flush();
}

// Straight into the socket's batch while nothing is queued before it and the batch is small;
// otherwise the client is behind, and the frame waits in the outbox (where chunks merge).
bool Session::can_write_now() const { return outbox_.empty() && transport_->ws.next_layer().buffered() < batch_limit(); }

// At least one frame goes into an empty batch, whatever the outbox limit.
std::size_t Session::batch_limit() const { return std::clamp<std::size_t>(server_.options.outbox_limit_bytes / 2, 1, 64 * 1024); }

std::size_t Session::queued_bytes() const { return outbox_.bytes() + transport_->ws.next_layer().buffered(); }

void Session::start_writing() {
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(executor(), write_pump(), asio::detached);
    }
}

void Session::send_error(std::string_view message, ErrorCause cause) {
    ++server_.stats.errors_sent;
    ++server_.stats.errors_by_cause[static_cast<std::size_t>(cause)];
    send(protocol::error(message));
}

asio::awaitable<void> Session::write_pump() {
    auto self = shared_from_this();
    auto& ws = transport_->ws;
    auto& socket = ws.next_layer();
    auto const room_at = server_.options.outbox_limit_bytes / 2;
    for (;;) {
        while (!outbox_.empty() && ws.is_open() && socket.buffered() < batch_limit()) socket.write_frame(outbox_.pop());
        if (queued_bytes() <= room_at) {
            wake_room_waiters();
            if (outbox_.empty()) break;
        }
        auto [ec] = co_await socket.async_drained(as_tuple(use_awaitable));
        if (ec || !ws.is_open()) {
            // The peer is gone, broken or closing: nothing more can be delivered.
            closing_ = true;
            outbox_.clear();
            cancel_reply();
            wake_room_waiters();
            break;
        }
    }
    if (close_code_ != 0 && ws.is_open()) {
        websocket::close_reason reason(static_cast<websocket::close_code>(close_code_), close_reason_);
        close_code_ = 0;
        auto [ec] = co_await ws.async_close(reason, as_tuple(use_awaitable));
        if (ec) log::debug("close handshake: ", ec.message());
    }
    writing_ = false;
}

bool Session::outbox_full() const { return queued_bytes() > server_.options.outbox_limit_bytes; }

asio::awaitable<bool> Session::wait_until_woken() {
    if (!closing_ && outbox_full()) {
        start_writing(); // the writer wakes us once the backlog is down to half
        if (!closing_ && outbox_full()) { // it may have finished (or failed) already
            transport_->room.expires_at(asio::steady_timer::time_point::max());
            co_await transport_->room.async_wait(as_tuple(use_awaitable));
        }
    }
    co_return !closing_;
}

asio::awaitable<bool> Session::wait_for_room() {
    while (!closing_ && outbox_full()) co_await wait_until_woken();
    co_return !closing_;
}

void Session::wake_room_waiters() { transport_->room.cancel(); }

void Session::queue_chat(protocol::ChatRequest request) {
    if (closing_) return;
    if (replying_ && chats_.size() >= server_.options.queue_limit) {
        send_error(queue_full_text(chat_language(request), server_.options.queue_limit), ErrorCause::queue_full);
        return;
    }
    if (request.received == std::chrono::steady_clock::time_point{}) request.received = message_read_;
    chats_.push_back(std::move(request));
    if (!replying_) {
        replying_ = true;
        asio::co_spawn(executor(), reply_pump(), asio::detached);
    }
}

asio::awaitable<void> Session::reply_pump() {
    auto self = shared_from_this();
    while (!chats_.empty() && !closing_) {
        // Each message is answered with the brand as it is now: a price or a prompt changed
        // through the management API since the last one applies (net/brand_changes.hpp).
        auto current = server_.brands.find_active(requested_brand_);
        if (!current) {
            brand_withdrawn_ = true;
            break;
        }
        brand_ = std::move(current);
        auto request = std::move(chats_.front());
        chats_.erase(chats_.begin());
        reply_cancelled_ = false;
        request.received = std::max(request.received, reply_ended_); // a queued chat waited for the reply before it
        auto const language = chat_language(request);
        try {
            co_await answer_chat(*this, std::move(request));
        } catch (std::exception const& e) {
            log::event(log::Level::error, "reply failed", {{"brand", requested_brand_}, {"connection", connection_id_}, {"error", e.what()}});
            send_error(internal_error_text(language), ErrorCause::internal);
        }
        reply_ended_ = std::chrono::steady_clock::now();
    }
    replying_ = false;
    if (brand_withdrawn_) close_for_withdrawn_brand();
}

Language Session::chat_language(protocol::ChatRequest const& request) const {
    std::optional<Language> known;
    if (request.conversation_id)
        if (auto conversation = server_.conversations.find(*request.conversation_id, brand_->id)) known = conversation->language;
    return customer_language(request.message, known, brand_->language);
}

void Session::withdraw_brand() {
    chats_.clear();
    brand_withdrawn_ = true;
    if (!replying_) close_for_withdrawn_brand();
}

void Session::close_for_withdrawn_brand() {
    if (closing_) return;
    chats_.clear();
    send_error("Brand '" + requested_brand_ + "' not found or inactive", ErrorCause::brand_unavailable);
    close_soon(static_cast<std::uint16_t>(websocket::close_code::policy_error), "brand not found or inactive");
}

void Session::cancel_reply() {
    if (!replying_) return;
    reply_cancelled_ = true;
    reply_signal_.emit(asio::cancellation_type::terminal); // no one listens between resumes: the flag covers that
    wake_room_waiters();
}

void Session::close_soon(std::uint16_t code, std::string reason) {
    closing_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    start_writing();
}

void Session::shutdown() {
    chats_.clear();
    cancel_reply();
    wake_room_waiters();
    if (!closing_) close_soon(static_cast<std::uint16_t>(websocket::close_code::going_away), "server shutting down");
}

} // namespace brandchat
